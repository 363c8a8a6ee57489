"""Backend "cuda" for the Elman RNN, tanh and relu, against the numpy reference (see tests/cuda_checks.py)."""
import pytest

from tests import cuda_checks as cu

pytestmark = cu.needs_cuda
NONLINEARITIES = pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("path", cu.PATHS)
@NONLINEARITIES
def test_matches_reference_with_lengths(monkeypatch, nonlinearity, path, reverse):
    cu.use_path(monkeypatch, path)
    cu.against_reference("rnn", {"nonlinearity": nonlinearity}, path, reverse)


@NONLINEARITIES
def test_full_lengths_no_bias_no_state(monkeypatch, nonlinearity):
    cu.use_path(monkeypatch, "persistent")
    cu.against_reference("rnn", {"nonlinearity": nonlinearity}, "persistent", False, shape=(4, 2, 3, 2),
                         lengths=None, bias=False, init_state=False)


def test_device_arrays_in_device_arrays_out(monkeypatch):
    cu.use_path(monkeypatch, "per-step")
    cu.device_in_device_out("rnn", {"nonlinearity": "relu"})


def test_falls_back_when_weights_do_not_fit(monkeypatch):
    cu.falls_back_when_weights_do_not_fit("rnn", {"nonlinearity": "tanh"}, monkeypatch)


@cu.on_real_gpu
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("path", cu.PATHS)
@NONLINEARITIES
def test_at_scale_on_a_gpu(monkeypatch, nonlinearity, path, reverse):
    cu.at_scale("rnn", {"nonlinearity": nonlinearity}, path, monkeypatch, reverse)
