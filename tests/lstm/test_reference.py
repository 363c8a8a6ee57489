"""The numpy LSTM backend against torch.nn.LSTM (float64, support.TOL) and central differences
(support.FD_TOL)."""
import numpy as np
import pytest

from tests import support
from tests.reference_checks import (ODD_SHAPES, check_against_torch, check_finite_differences,
                                    check_without_bias_or_state)



@pytest.mark.parametrize("lengths", [None, "random"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("init_state", [True, False])
@pytest.mark.parametrize("proj", [0, 2])
def test_matches_torch(lengths, reverse, bias, init_state, proj):
    problem = support.random_problem("lstm", 5, 4, 3, 3, bias=bias, init_state=init_state, lengths=lengths,
                                     proj=proj, seed=11)
    check_against_torch("lstm", problem, reverse)


@pytest.mark.parametrize("T,B,I,H", ODD_SHAPES)
@pytest.mark.parametrize("reverse", [False, True])
def test_odd_shapes_match_torch(T, B, I, H, reverse):
    problem = support.random_problem("lstm", T, B, I, H, lengths="random", seed=T * 7 + H)
    check_against_torch("lstm", problem, reverse)


def test_all_lengths_zero_keep_the_initial_state():
    problem = support.random_problem("lstm", 3, 2, 2, 3, lengths=[0, 0], seed=2)
    check_against_torch("lstm", problem)
    y, h_n, c_n = support.forward("lstm", problem, "numpy")
    assert not y.any()
    np.testing.assert_array_equal(h_n, problem["h0"])
    np.testing.assert_array_equal(c_n, problem["c0"])


@pytest.mark.parametrize("lengths", [None, "random"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("proj", [0, 2])
def test_gradients_match_finite_differences(lengths, reverse, proj):
    problem = support.random_problem("lstm", 3, 3, 2, 3, lengths=lengths, proj=proj, seed=5)
    check_finite_differences("lstm", problem, reverse)


def test_gradients_without_bias_or_state_match_finite_differences():
    check_without_bias_or_state("lstm", 3, 2, 2, 2, seed=6)

