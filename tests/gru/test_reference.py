"""The numpy GRU backend against torch.nn.GRU (linear_before_reset=True; float64, support.TOL), against a
hand-written per-step loop of the original equations (linear_before_reset=False, which torch lacks) and
against central differences (support.FD_TOL) for both variants.
"""
import numpy as np
import pytest

from tests import support
from tests.reference_checks import (ODD_SHAPES, check_against_torch, check_finite_differences,
                                    check_without_bias_or_state)

LBR = [True, False]


@pytest.mark.parametrize("lengths", [None, "random"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("init_state", [True, False])
def test_matches_torch(lengths, reverse, bias, init_state):
    problem = support.random_problem("gru", 5, 4, 3, 3, bias=bias, init_state=init_state, lengths=lengths,
                                     seed=12)
    check_against_torch("gru", problem, reverse, linear_before_reset=True)


@pytest.mark.parametrize("T,B,I,H", ODD_SHAPES)
@pytest.mark.parametrize("reverse", [False, True])
def test_odd_shapes_match_torch(T, B, I, H, reverse):
    problem = support.random_problem("gru", T, B, I, H, lengths="random", seed=T * 7 + H)
    check_against_torch("gru", problem, reverse, linear_before_reset=True)


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def original_gru_loop(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, lengths=None, reverse=False):
    """The original GRU, n = tanh(W_in x + b_in + W_hn (r*h) + b_hn), one batch row and step at a time."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    b_ih = np.zeros(3 * H) if b_ih is None else b_ih
    b_hh = np.zeros(3 * H) if b_hh is None else b_hh
    y = np.zeros((T, B, H))
    h_n = np.zeros((B, H))
    for b in range(B):
        h = np.zeros(H) if h0 is None else h0[b].copy()
        steps = range(T if lengths is None else int(lengths[b]))
        for t in (reversed(steps) if reverse else steps):
            r = _sigmoid(w_ih[:H] @ x[t, b] + b_ih[:H] + w_hh[:H] @ h + b_hh[:H])
            z = _sigmoid(w_ih[H:2 * H] @ x[t, b] + b_ih[H:2 * H] + w_hh[H:2 * H] @ h + b_hh[H:2 * H])
            n = np.tanh(w_ih[2 * H:] @ x[t, b] + b_ih[2 * H:] + w_hh[2 * H:] @ (r * h) + b_hh[2 * H:])
            h = (1 - z) * n + z * h
            y[t, b] = h
        h_n[b] = h
    return y, h_n


@pytest.mark.parametrize("lengths", [None, "random"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias,init_state", [(True, True), (False, False)])
def test_original_variant_matches_per_step_loop(lengths, reverse, bias, init_state):
    problem = support.random_problem("gru", 4, 3, 2, 3, bias=bias, init_state=init_state, lengths=lengths,
                                     seed=13)
    y, h_n, _ = support.forward("gru", problem, "numpy", reverse=reverse, linear_before_reset=False)
    ref_y, ref_h = original_gru_loop(**problem, reverse=reverse)
    rtol, atol = support.TOL[np.dtype(np.float64)]
    support.assert_close(y, ref_y, rtol, atol, "gru-orig y")
    support.assert_close(h_n, ref_h, rtol, atol, "gru-orig h_n")


def test_variants_differ():
    """The two variants are different functions (guards against linear_before_reset being ignored)."""
    problem = support.random_problem("gru", 3, 2, 2, 3, seed=14)
    y_lbr = support.forward("gru", problem, "numpy", linear_before_reset=True)[0]
    y_orig = support.forward("gru", problem, "numpy", linear_before_reset=False)[0]
    assert np.abs(y_lbr - y_orig).max() > 1e-4


@pytest.mark.parametrize("linear_before_reset", LBR)
@pytest.mark.parametrize("lengths", [None, "random"])
@pytest.mark.parametrize("reverse", [False, True])
def test_gradients_match_finite_differences(linear_before_reset, lengths, reverse):
    problem = support.random_problem("gru", 3, 3, 2, 3, lengths=lengths, seed=15)
    check_finite_differences("gru", problem, reverse, linear_before_reset=linear_before_reset)


@pytest.mark.parametrize("linear_before_reset", LBR)
@pytest.mark.parametrize("T,B,I,H", [(1, 1, 1, 1), (2, 1, 3, 2)])
def test_gradients_without_bias_or_state_match_finite_differences(linear_before_reset, T, B, I, H):
    check_without_bias_or_state("gru", T, B, I, H, seed=16, linear_before_reset=linear_before_reset)


def test_all_lengths_zero_keep_the_initial_state():
    problem = support.random_problem("gru", 3, 2, 2, 3, lengths=[0, 0], seed=17)
    y, h_n, _ = support.forward("gru", problem, "numpy")
    assert not y.any()
    np.testing.assert_array_equal(h_n, problem["h0"])
