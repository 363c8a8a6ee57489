"""Backend "cuda" for the GRU, both variants, against the numpy reference (see tests/cuda_checks.py)."""
import pytest

from tests import cuda_checks as cu

pytestmark = cu.needs_cuda
VARIANTS = pytest.mark.parametrize("lbr", [True, False], ids=["lbr", "orig"])


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("path", cu.PATHS)
@VARIANTS
def test_matches_reference_with_lengths(monkeypatch, lbr, path, reverse):
    cu.use_path(monkeypatch, path)
    cu.against_reference("gru", {"linear_before_reset": lbr}, path, reverse)


@VARIANTS
def test_full_lengths_no_bias_no_state(monkeypatch, lbr):
    cu.use_path(monkeypatch, "per-step")
    cu.against_reference("gru", {"linear_before_reset": lbr}, "per-step", True, shape=(4, 2, 3, 2),
                         lengths=None, bias=False, init_state=False)


@VARIANTS
def test_device_arrays_in_device_arrays_out(monkeypatch, lbr):
    cu.use_path(monkeypatch, "persistent")
    cu.device_in_device_out("gru", {"linear_before_reset": lbr})


def test_falls_back_when_weights_do_not_fit(monkeypatch):
    cu.falls_back_when_weights_do_not_fit("gru", {"linear_before_reset": False}, monkeypatch)


@cu.on_real_gpu
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("path", cu.PATHS)
@VARIANTS
def test_at_scale_on_a_gpu(monkeypatch, lbr, path, reverse):
    cu.at_scale("gru", {"linear_before_reset": lbr}, path, monkeypatch, reverse)
