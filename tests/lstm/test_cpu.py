"""The cpu LSTM backend against the numpy reference and the C core (support.TOL), on each of its code paths;
bitwise determinism across runs and thread counts; NaN rows; bad input (API.md §5)."""
import numpy as np
import pytest

import gatecore as gc
from tests import cpu_checks, support

OPTS = {}

test_matches_references = pytest.mark.parametrize("path", cpu_checks.PATH_NAMES)(
    cpu_checks.property_test("lstm", OPTS))


@pytest.mark.parametrize("path", cpu_checks.PATH_NAMES)
@pytest.mark.parametrize("reverse", [False, True])
def test_projection_with_lengths(monkeypatch, path, reverse):
    cpu_checks.use_path(monkeypatch, path)
    problem = support.random_problem("lstm", 4, 3, 2, 5, np.float32, lengths="random", proj=3, seed=4)
    cpu_checks.check_against_references("lstm", problem, reverse, OPTS)


def test_single_sequence_on_whole_panels():
    cpu_checks.check_single_sequence_on_whole_panels("lstm", OPTS)


def test_single_sequence_split_on_panels(monkeypatch):
    cpu_checks.check_single_sequence_split_on_panels("lstm", OPTS, monkeypatch)


def test_weights_walked_down_on_odd_steps():
    cpu_checks.check_zigzag("lstm", OPTS)


def test_same_bits_across_runs(monkeypatch):
    cpu_checks.check_same_bits_across_runs("lstm", OPTS, monkeypatch)


def test_same_bits_with_one_and_two_threads():
    cpu_checks.check_same_bits_across_threads("lstm")


def test_same_bits_compiled_and_cached():
    cpu_checks.check_same_bits_compiled_and_cached("lstm")


def test_nan_stays_in_its_row(monkeypatch):
    cpu_checks.check_nan_stays_in_its_row("lstm", OPTS, monkeypatch)


def test_bad_input_names_the_argument():
    p = support.random_problem("lstm", 2, 2, 3, 4, np.float32)
    with pytest.raises(TypeError, match="w_hh"):
        gc.lstm_forward(**{**p, "w_hh": p["w_hh"].astype(np.float64)}, backend="cpu")
    with pytest.raises(ValueError, match="c0"):
        gc.lstm_forward(**{**p, "c0": p["c0"][:1]}, backend="cpu")
    with pytest.raises(ValueError, match="lengths"):
        gc.lstm_forward(**p, lengths=[3, 1], backend="cpu")
    y, h_n, c_n, tape = gc.lstm_forward(**p, backend="cpu", return_tape=True)
    with pytest.raises(ValueError, match="dy"):
        gc.lstm_backward(tape, y[:1])
