"""The cpu GRU backend (both variants) against the numpy reference and the C core (support.TOL), on each of
its code paths; bitwise determinism across runs and thread counts; NaN rows; bad input (API.md §5)."""
import numpy as np
import pytest

import gatecore as gc
from tests import cpu_checks, support

VARIANTS = {"gru-lbr": {"linear_before_reset": True}, "gru-orig": {"linear_before_reset": False}}

test_pytorch_variant_matches_references = pytest.mark.parametrize("path", cpu_checks.PATH_NAMES)(
    cpu_checks.property_test("gru", VARIANTS["gru-lbr"]))
test_original_variant_matches_references = pytest.mark.parametrize("path", cpu_checks.PATH_NAMES)(
    cpu_checks.property_test("gru", VARIANTS["gru-orig"]))


@pytest.mark.parametrize("vid", VARIANTS)
def test_single_sequence_on_whole_panels(vid):
    cpu_checks.check_single_sequence_on_whole_panels("gru", VARIANTS[vid])


@pytest.mark.parametrize("vid", VARIANTS)
def test_single_sequence_split_on_panels(monkeypatch, vid):
    cpu_checks.check_single_sequence_split_on_panels("gru", VARIANTS[vid], monkeypatch)


@pytest.mark.parametrize("vid", VARIANTS)
def test_weights_walked_down_on_odd_steps(vid):
    cpu_checks.check_zigzag("gru", VARIANTS[vid])


@pytest.mark.parametrize("vid", VARIANTS)
def test_same_bits_across_runs(monkeypatch, vid):
    cpu_checks.check_same_bits_across_runs("gru", VARIANTS[vid], monkeypatch)


@pytest.mark.parametrize("vid", VARIANTS)
def test_same_bits_with_one_and_two_threads(vid):
    cpu_checks.check_same_bits_across_threads(vid)


@pytest.mark.parametrize("vid", VARIANTS)
def test_same_bits_compiled_and_cached(vid):
    cpu_checks.check_same_bits_compiled_and_cached(vid)


@pytest.mark.parametrize("vid", VARIANTS)
def test_nan_stays_in_its_row(monkeypatch, vid):
    cpu_checks.check_nan_stays_in_its_row("gru", VARIANTS[vid], monkeypatch)


def test_bad_input_names_the_argument():
    p = support.random_problem("gru", 2, 2, 3, 4, np.float32)
    with pytest.raises(TypeError, match="b_ih"):
        gc.gru_forward(**{**p, "b_ih": p["b_ih"].astype(np.float64)}, backend="cpu")
    with pytest.raises(ValueError, match="h0"):
        gc.gru_forward(**{**p, "h0": p["h0"][:, :2]}, backend="cpu")
    with pytest.raises(TypeError, match="lengths"):
        gc.gru_forward(**p, lengths=np.array([1.0, 2.0]), backend="cpu")
