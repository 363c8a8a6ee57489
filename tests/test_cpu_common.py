"""cpu_common: which way a time loop is cut over Numba's threads (step_split), and the GEMM's passes over k."""
import numba
import numpy as np
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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M, K, N", [(200, 700, 70), (70, 300, 130), (130, 1, 5)])
def test_gemm_over_all_of_k_or_in_blocks_gives_the_same_bits(dtype, M, K, N, monkeypatch):
    """Full-k tasks and K_BLOCK passes sum the same KC slices in the same order: equal bits, on either path, at
    either thread count, and both match float64 to float rounding."""
    rng = np.random.default_rng(M + K)
    v, m, bias = (rng.standard_normal(s).astype(dtype) for s in ((M, K), (K, N), (N,)))
    P = cpu_common.pack(m)
    monkeypatch.setattr(config, "CPU_PARALLEL_MIN_WORK", 0)
    got = {}
    for name, limit in (("full", 1 << 62), ("blocks", 0)):
        monkeypatch.setattr(config, "CPU_GEMM_FULL_K_MAX_BYTES", limit)
        assert cpu_common.k_block(P) == (K if name == "full" else cpu_common.K_BLOCK)
        got[name] = cpu_common.gemm(v, P, N, bias)
    monkeypatch.setattr(config, "CPU_PARALLEL_MIN_WORK", 1 << 62)
    got["serial"] = cpu_common.gemm(v, P, N, bias)
    assert np.array_equal(got["full"], got["blocks"]) and np.array_equal(got["full"], got["serial"])
    want = v.astype(np.float64) @ m.astype(np.float64) + bias
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got["full"], want, rtol=tol, atol=tol * np.sqrt(K))
