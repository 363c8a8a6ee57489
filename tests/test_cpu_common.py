"""cpu_common.step_split: which way a time loop is cut over Numba's threads."""
import numba
import pytest

from gatecore import config, cpu_common


@pytest.fixture
def two_threads():
    if numba.get_num_threads() < 2:
        pytest.skip("nothing splits with one Numba thread")


def test_rows_when_every_thread_gets_four(two_threads):
    threads = numba.get_num_threads()
    assert cpu_common.step_split(4 * threads, 4, 64, 64, itemsize=4) == -threads
    assert cpu_common.step_split(4 * threads - 1, 4, 64, 64, itemsize=4) > 0


def test_forward_with_weights_past_the_limit_splits_units_backward_keeps_rows(two_threads, monkeypatch):
    monkeypatch.setattr(config, "CPU_ROW_SPLIT_MAX_WEIGHT_BYTES", 4 * 256 * 256 * 4)   # float32 H=256 fits
    threads = numba.get_num_threads()
    B = 16 * threads
    assert cpu_common.step_split(B, 4, 256, 256, itemsize=4) == -threads
    assert cpu_common.step_split(B, 4, 256, 256, itemsize=8) > 1, "float64 weights are twice the bytes"
    assert cpu_common.step_split(B, 4, 256, 256, itemsize=8, backward=True) == -threads
    assert cpu_common.step_split(B, 4, 257, 257, itemsize=4) > 1
    assert cpu_common.step_split(B, 4, 257, 257, backward=True, itemsize=4) == -threads
