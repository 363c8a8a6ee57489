"""The numpy RNN backend (tanh and relu) against torch.nn.RNN (float64, support.TOL) and central differences
(support.FD_TOL)."""
import numpy as np
import pytest

from tests import support
from tests.reference_checks import (ODD_SHAPES, check_against_torch, check_finite_differences,
                                    check_without_bias_or_state)

NONLINEARITIES = ["tanh", "relu"]


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("lengths", [None, "random"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("init_state", [True, False])
def test_matches_torch(nonlinearity, lengths, reverse, bias, init_state):
    problem = support.random_problem("rnn", 5, 4, 3, 3, bias=bias, init_state=init_state, lengths=lengths,
                                     seed=21)
    check_against_torch("rnn", problem, reverse, nonlinearity=nonlinearity)


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("T,B,I,H", ODD_SHAPES)
@pytest.mark.parametrize("reverse", [False, True])
def test_odd_shapes_match_torch(nonlinearity, T, B, I, H, reverse):
    problem = support.random_problem("rnn", T, B, I, H, lengths="random", seed=T * 7 + H)
    check_against_torch("rnn", problem, reverse, nonlinearity=nonlinearity)


def test_relu_clips_and_tanh_does_not():
    """relu outputs are >= 0 with some exact zeros; tanh outputs take both signs (the option is used)."""
    problem = support.random_problem("rnn", 4, 3, 3, 4, seed=22, scale=1.0)
    y_relu = support.forward("rnn", problem, "numpy", nonlinearity="relu")[0]
    y_tanh = support.forward("rnn", problem, "numpy", nonlinearity="tanh")[0]
    assert y_relu.min() == 0 and (y_relu == 0).any()
    assert y_tanh.min() < 0 < y_tanh.max()


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("lengths", [None, "random"])
@pytest.mark.parametrize("reverse", [False, True])
def test_gradients_match_finite_differences(nonlinearity, lengths, reverse):
    problem = support.random_problem("rnn", 3, 3, 2, 3, lengths=lengths, seed=23)
    check_finite_differences("rnn", problem, reverse, nonlinearity=nonlinearity)


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("T,B,I,H", [(1, 1, 1, 1), (2, 1, 3, 2)])
def test_gradients_without_bias_or_state_match_finite_differences(nonlinearity, T, B, I, H):
    check_without_bias_or_state("rnn", T, B, I, H, seed=24, nonlinearity=nonlinearity)


def test_all_lengths_zero_keep_the_initial_state():
    problem = support.random_problem("rnn", 3, 2, 2, 3, lengths=[0, 0], seed=25)
    y, h_n, _ = support.forward("rnn", problem, "numpy")
    assert not y.any()
    np.testing.assert_array_equal(h_n, problem["h0"])
