"""The cpu RNN backend (tanh, relu) against the numpy reference and the C core (support.TOL), on each of its
code paths; bitwise determinism across runs and thread counts; NaN rows; bad input (API.md §5)."""
import numpy as np
import pytest

import gatecore as gc
from tests import cpu_checks, support

VARIANTS = {"rnn-tanh": {"nonlinearity": "tanh"}, "rnn-relu": {"nonlinearity": "relu"}}

test_tanh_matches_references = pytest.mark.parametrize("path", cpu_checks.PATH_NAMES)(
    cpu_checks.property_test("rnn", VARIANTS["rnn-tanh"]))
test_relu_matches_references = pytest.mark.parametrize("path", cpu_checks.PATH_NAMES)(
    cpu_checks.property_test("rnn", VARIANTS["rnn-relu"]))


@pytest.mark.parametrize("vid", VARIANTS)
def test_single_sequence_on_whole_panels(vid):
    cpu_checks.check_single_sequence_on_whole_panels("rnn", VARIANTS[vid])


@pytest.mark.parametrize("vid", VARIANTS)
def test_single_sequence_split_on_panels(monkeypatch, vid):
    cpu_checks.check_single_sequence_split_on_panels("rnn", VARIANTS[vid], monkeypatch)


@pytest.mark.parametrize("vid", VARIANTS)
def test_weights_walked_down_on_odd_steps(vid):
    cpu_checks.check_zigzag("rnn", VARIANTS[vid])


@pytest.mark.parametrize("vid", VARIANTS)
def test_same_bits_across_runs(monkeypatch, vid):
    cpu_checks.check_same_bits_across_runs("rnn", VARIANTS[vid], monkeypatch)


@pytest.mark.parametrize("vid", VARIANTS)
def test_same_bits_with_one_and_two_threads(vid):
    cpu_checks.check_same_bits_across_threads(vid)


@pytest.mark.parametrize("vid", VARIANTS)
def test_same_bits_compiled_and_cached(vid):
    cpu_checks.check_same_bits_compiled_and_cached(vid)


@pytest.mark.parametrize("vid", VARIANTS)
def test_nan_stays_in_its_row(monkeypatch, vid):
    cpu_checks.check_nan_stays_in_its_row("rnn", VARIANTS[vid], monkeypatch)


def test_bad_input_names_the_argument():
    p = support.random_problem("rnn", 2, 2, 3, 4, np.float64)
    with pytest.raises(ValueError, match="nonlinearity"):
        gc.rnn_forward(**p, nonlinearity="sigmoid", backend="cpu")
    with pytest.raises(ValueError, match="w_ih"):
        gc.rnn_forward(**{**p, "w_ih": p["w_ih"][:, :2]}, backend="cpu")
    with pytest.raises(TypeError, match="x"):
        gc.rnn_forward(**{**p, "x": p["x"].astype(np.int64)}, backend="cpu")
