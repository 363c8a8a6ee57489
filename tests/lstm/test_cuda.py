"""Backend "cuda" for the LSTM against the numpy reference (how, at what tolerance: tests/cuda_checks.py)."""
import numpy as np
import pytest

import gatecore as gc
from tests import cuda_checks as cu
from tests import support

pytestmark = cu.needs_cuda


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("path", cu.PATHS)
def test_matches_reference_with_lengths(monkeypatch, path, reverse):
    cu.use_path(monkeypatch, path)
    cu.against_reference("lstm", {}, path, reverse)


@pytest.mark.parametrize("path", cu.PATHS)
def test_full_lengths_no_bias_no_state(monkeypatch, path):
    cu.use_path(monkeypatch, path)
    cu.against_reference("lstm", {}, path, False, shape=(4, 2, 3, 2), lengths=None, bias=False,
                         init_state=False)


def test_device_arrays_in_device_arrays_out(monkeypatch):
    cu.use_path(monkeypatch, "persistent")
    cu.device_in_device_out("lstm", {})


def test_falls_back_when_weights_do_not_fit(monkeypatch):
    cu.falls_back_when_weights_do_not_fit("lstm", {}, monkeypatch)


def test_projection_is_rejected():
    problem = support.random_problem("lstm", 2, 2, 2, 3, np.float32, proj=2)
    with pytest.raises(ValueError, match="w_hr .projection. is not supported by the cuda backend"):
        gc.lstm_forward(**problem, backend="cuda")


@cu.on_real_gpu
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("path", cu.PATHS)
def test_at_scale_on_a_gpu(monkeypatch, path, reverse):
    cu.at_scale("lstm", {}, path, monkeypatch, reverse)
