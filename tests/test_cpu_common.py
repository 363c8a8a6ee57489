"""cpu_common: which way a time loop is cut over Numba's threads (step_split), the GEMM's passes over k, and
packing shared out over the threads."""
import os
import subprocess
import sys

import numba
import numpy as np
import pytest

import gatecore
from gatecore import config, cpu_common, cpu_packed, cpu_pool


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
    B = 8 * threads
    assert cpu_common.step_split(B, 4, 256, 256, itemsize=4) == -threads
    assert cpu_common.step_split(B, 4, 256, 256, itemsize=8) > 1, "float64 weights are twice the bytes"
    assert cpu_common.step_split(B, 4, 256, 256, itemsize=8, backward=True) == -threads
    assert cpu_common.step_split(B, 4, 257, 257, itemsize=4) > 1
    assert cpu_common.step_split(B, 4, 257, 257, backward=True, itemsize=4) == -threads
    many = config.CPU_ROW_SPLIT_ANY_WEIGHTS_ROWS * threads
    assert cpu_common.step_split(many, 4, 257, 257, itemsize=4) == -threads, "enough rows a thread: any weights"
    assert cpu_common.step_split(many - 1, 4, 257, 257, itemsize=4) > 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_single_sequence_packs_small_or_large_weights_from_enough_steps(dtype):
    """packs(): B >= 2 from two steps; B = 1 from CPU_PACKED_MIN_STEPS steps when W_hh stays on one thread
    (CPU_PARALLEL_MIN_WEIGHTS) or takes CPU_PACKED_MIN_WEIGHT_BYTES or more, W_hh's rows in between. Whatever the
    thread count."""
    itemsize = np.dtype(dtype).itemsize
    steps = config.CPU_PACKED_MIN_STEPS
    small = np.zeros((4, config.CPU_PARALLEL_MIN_WEIGHTS // 4 - 1), dtype)
    middle = np.zeros((4, config.CPU_PARALLEL_MIN_WEIGHTS // 4), dtype)
    large = np.zeros((4, -(-config.CPU_PACKED_MIN_WEIGHT_BYTES // (4 * itemsize))), dtype)
    assert middle.nbytes < config.CPU_PACKED_MIN_WEIGHT_BYTES <= large.nbytes
    assert all(cpu_common.packs(w, 2, 2) and not cpu_common.packs(w, 1, 2) for w in (small, middle, large))
    assert [cpu_common.packs(w, steps, 1) for w in (small, middle, large)] == [True, False, True]
    assert not any(cpu_common.packs(w, steps - 1, 1) for w in (small, middle, large))
    assert not cpu_common.packs(large[:, 1:], steps, 1), "four weights under the bytes: rows"


def test_num_threads_follows_set_num_threads_on_each_thread(two_threads):
    import threading
    threads = numba.get_num_threads()
    assert cpu_common.num_threads() == threads
    seen = []

    def one():
        numba.set_num_threads(1)            # thread-local: the caller keeps its count
        seen.append(cpu_common.num_threads())
    t = threading.Thread(target=one)
    t.start(); t.join()
    assert seen == [1]
    assert cpu_common.num_threads() == threads
    numba.set_num_threads(1)
    try:
        assert cpu_common.num_threads() == 1
        assert cpu_common.step_split(64, 4, 64, 64, itemsize=4) == 1
    finally:
        numba.set_num_threads(threads)


def test_num_threads_in_a_fresh_process_before_any_parallel_region():
    import subprocess, sys
    code = ("from gatecore import cpu_common as cc; import numba; "
            "n = cc.num_threads(); assert n == numba.get_num_threads() >= 1, n; print(n)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_none_is_one_shared_empty_array_per_dtype_and_ndim(dtype):
    for ndim in (1, 2, 3):
        a = cpu_common.none(dtype, ndim)
        assert a.shape == (0,) * ndim and a.dtype == dtype and a.size == 0
        assert cpu_common.none(dtype, ndim) is a
    assert cpu_common.none(dtype, 1) is not cpu_common.none(dtype, 2)
    assert cpu_common.none(np.dtype(dtype), 2) is cpu_common.none(np.dtype(dtype).name, 2) is cpu_common.none(dtype, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K, N", [(1, 1), (3, 70), (300, 20), (257, 130), (130, 257), (64, 1000)])
@pytest.mark.parametrize("flipped", [False, True])
def test_pack_on_the_threads_copies_what_one_thread_copies(two_threads, dtype, K, N, flipped, monkeypatch):
    """Shared out by panels (m = W.T) or by rows of m (C-contiguous), edge panels and odd row counts included:
    the same panels, padding zeros included, as cpu_packed.pack on one thread."""
    rng = np.random.default_rng(K * N)
    m = np.asfortranarray(rng.standard_normal((K, N))).astype(dtype, order="F") if flipped else \
        rng.standard_normal((K, N)).astype(dtype)
    one = cpu_packed.pack(m)
    monkeypatch.setattr(config, "CPU_PACK_PARALLEL_MIN_BYTES", 0)
    single_panel_of_w_t = cpu_packed.transposed(m) and N * m.itemsize <= cpu_packed.PANEL_BYTES
    if not single_panel_of_w_t:
        def on_one_thread(m):
            raise AssertionError("packed on one thread")
        monkeypatch.setattr(cpu_packed, "pack", on_one_thread)
    shared = cpu_common.pack(m)
    assert shared.shape == one.shape and shared.dtype == one.dtype
    np.testing.assert_array_equal(shared, one)
    assert np.array_equal(shared.transpose(1, 0, 2).reshape(K, -1)[:, :N], m), "not m's panels"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M, K, N", [(200, 700, 70), (70, 300, 130), (130, 1, 5), (5, 300, 200), (1, 130, 300)])
def test_gemm_over_all_of_k_or_in_blocks_gives_the_same_bits(dtype, M, K, N, monkeypatch):
    """Full-k tasks and K_BLOCK passes sum the same KC slices in the same order: equal bits, on either path, at
    either thread count, and both match float64 to float rounding. A single row block (M = 5, 1) is shared out
    panel by panel on the threads."""
    rng = np.random.default_rng(M + K)
    v, m, bias = (rng.standard_normal(s).astype(dtype) for s in ((M, K), (K, N), (N,)))
    P = cpu_common.pack(m)
    monkeypatch.setattr(config, "CPU_GEMM_PARALLEL_MIN_WORK", 0)
    got = {}
    for name, limit in (("full", 1 << 62), ("blocks", 0)):
        monkeypatch.setattr(config, "CPU_GEMM_FULL_K_MAX_BYTES", limit)
        assert cpu_common.k_block(P) == (K if name == "full" else cpu_common.K_BLOCK)
        got[name] = cpu_common.gemm(v, P, N, bias)
    monkeypatch.setattr(config, "CPU_GEMM_PARALLEL_MIN_WORK", 1 << 62)
    got["serial"] = cpu_common.gemm(v, P, N, bias)
    assert np.array_equal(got["full"], got["blocks"]) and np.array_equal(got["full"], got["serial"])
    want = v.astype(np.float64) @ m.astype(np.float64) + bias
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got["full"], want, rtol=tol, atol=tol * np.sqrt(K))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M, K, N", [(64, 130, 256), (70, 300, 520), (65, 2, 250)])
@pytest.mark.parametrize("with_bias", [False, True])
def test_matmul_packing_on_the_threads_that_read_the_panels_gives_gemms_bits(two_threads, dtype, M, K, N,
                                                                             with_bias, monkeypatch):
    """matmul's W^T packed panel share by panel share on the threads that multiply them (_pack_gemm_parallel),
    an edge panel and an uneven share included: the bits of gemm on pack(W^T), and the path is taken."""
    rng = np.random.default_rng(M + K + N)
    a, w = (rng.standard_normal(s).astype(dtype) for s in ((M, K), (N, K)))
    bias = rng.standard_normal(N).astype(dtype) if with_bias else None
    monkeypatch.setattr(config, "CPU_GEMM_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(config, "CPU_PACK_GEMM_MAX_BYTES", 1 << 62)
    assert cpu_common._owned_panels(M, N, K, a.itemsize)
    calls = []
    kernel = cpu_common._pack_gemm_parallel
    monkeypatch.setattr(cpu_common, "_pack_gemm_parallel", lambda *args: calls.append(1) or kernel(*args))
    got = cpu_common.matmul(a, w.T, bias)
    assert calls and got.flags.c_contiguous and got.shape == (M, N)
    want = cpu_common.gemm(a, cpu_common.pack(w.T), N, bias)
    np.testing.assert_array_equal(got, want)
    exact = a.astype(np.float64) @ w.T.astype(np.float64) + (0 if bias is None else bias)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, exact, rtol=tol, atol=tol * np.sqrt(K))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_forward_with_the_input_projection_packed_on_its_threads_keeps_its_bits(two_threads, cell, monkeypatch):
    """A whole forward whose input projection takes _pack_gemm_parallel: the bits of the pack-then-gemm path."""
    T, B, G = 8, 8, {"lstm": 4, "gru": 3}[cell]
    H = 64 if cell == "lstm" else 128          # panels that share out evenly (GRU H=64 has 3)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((T, B, H)).astype(np.float32)
    w_ih, w_hh = (rng.uniform(-.2, .2, (G * H, H)).astype(np.float32) for _ in range(2))
    b = rng.uniform(-.2, .2, G * H).astype(np.float32)
    monkeypatch.setattr(config, "CPU_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(config, "CPU_GEMM_PARALLEL_MIN_WORK", 0)
    fwd = getattr(gatecore, cell + "_forward")
    got = {}
    for limit in (0, 1 << 62):
        monkeypatch.setattr(config, "CPU_PACK_GEMM_MAX_BYTES", limit)
        assert cpu_common._owned_panels(T * B, G * H, H, 4) == (limit > 0)
        got[limit] = fwd(x, w_ih, w_hh, b, b)
    for a, b_ in zip(got[0], got[1 << 62]):
        np.testing.assert_array_equal(a, b_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T, B, M, N", [(37, 9, 96, 70), (16, 16, 128, 200), (5, 3, 64, 33)])
@pytest.mark.parametrize("parallel", [False, True])
def test_weight_grads_in_transposed_chunks_give_the_bits_of_one_gemm_on_the_view(dtype, T, B, M, N, parallel,
                                                                               monkeypatch):
    """da^T transposed chunk by chunk of k (any number of chunks, the last one ragged, a row range for the second
    input) sums the same KC slices in the same order as one GEMM on the view da^T: equal bits; and float64 to
    float rounding."""
    rng = np.random.default_rng(T * B + M)
    da = rng.standard_normal((T, B, M)).astype(dtype)
    x, h = (rng.standard_normal((T, B, n)).astype(dtype) for n in (N, N + 5))
    monkeypatch.setattr(config, "CPU_GEMM_PARALLEL_MIN_WORK", 0 if parallel else 1 << 62)
    monkeypatch.setattr(config, "CPU_GRAD_CHUNK_BYTES", 0)
    view = cpu_common.weight_grads(da, (x, h), (M, M // 2))
    got = {}
    for chunk in (1, M * da.itemsize * 2 * cpu_common.KC, 1 << 30):     # one KC of k, two, all of it
        monkeypatch.setattr(config, "CPU_GRAD_CHUNK_BYTES", chunk)
        got[chunk] = cpu_common.weight_grads(da, (x, h), (M, M // 2))
        assert all(np.array_equal(a, b) for a, b in zip(view, got[chunk])), chunk
    d = da.reshape(-1, M).astype(np.float64)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(view[0], d.T @ x.reshape(-1, N), rtol=tol, atol=tol * np.sqrt(T * B))
    np.testing.assert_allclose(view[1], d[:, :M // 2].T @ h.reshape(-1, N + 5), rtol=tol, atol=tol * np.sqrt(T * B))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1,), (3, 5), (2, 16, 64), (0, 4), (64, 64, 8)])     # the last: from NumPy
def test_aligned_arrays_start_on_a_cache_line(dtype, shape):
    for zero in (False, True):
        a = cpu_common.aligned(shape, dtype, zero)
        assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable
        assert a.size == 0 or a.ctypes.data % cpu_common.LINE == 0
        if zero:
            assert not a.any()
    assert cpu_common.allocators(False, config.CPU_POOL_MIN_BYTES - 1) == (np.empty, np.zeros)
    assert cpu_common.allocators(False, config.CPU_POOL_MIN_BYTES) == (cpu_pool.empty, cpu_pool.zeros)

    @numba.njit
    def scratch(like):
        return cpu_common.aligned_zeros(3, 7, like), cpu_common.aligned_empty(2, 5, like)
    z, e = scratch(np.zeros(1, dtype))
    assert z.shape == (3, 7) and e.shape == (2, 5) and not z.any()
    assert z.ctypes.data % cpu_common.LINE == 0 and e.ctypes.data % cpu_common.LINE == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K, M", [(1, 3), (7, 5), (512, 70), (513, 70), (3000, 130)])
def test_column_sums_add_chunks_of_rows_in_order(dtype, K, M):
    """column_sums: within a chunk of SUM_ROWS rows NumPy's row order (its bits when K <= SUM_ROWS), the chunks'
    sums in order; the same bits from the serial and the threaded kernel; within 4e-6 * sqrt(K) (float32) or
    4e-14 * sqrt(K) (float64) of the float64 sum."""
    a = np.random.default_rng(K + M).standard_normal((K, M)).astype(dtype)
    serial, threaded = np.empty(M, dtype), np.empty(M, dtype)
    cpu_common._column_sums_serial(serial, a)
    cpu_common._column_sums_parallel(threaded, a)
    assert np.array_equal(serial, threaded) and np.array_equal(cpu_common.column_sums(a), serial)
    R = cpu_common.SUM_ROWS
    chunks = [a[k:k + R].sum(axis=0) for k in range(0, K, R)]
    assert np.array_equal(serial, np.sum(chunks, axis=0) if len(chunks) > 1 else chunks[0])
    exact = a.astype(np.float64).sum(axis=0)
    np.testing.assert_allclose(serial, exact, rtol=0, atol=(1e-6 if dtype == np.float32 else 1e-14) * np.sqrt(K) * 4)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("B, ragged", [(1, False), (16, True)])
def test_split_loops_on_aligned_arrays_give_the_same_bits(two_threads, cell, B, ragged, monkeypatch):
    """Forward and backward of a split loop (units at B=1, rows at B=16) with every array it writes on a cache
    line (aligns: CPU_ALIGN_MIN_STEPS = 0) equal the same calls on NumPy's arrays, bit for bit. (The general path:
    a compiled call's arrays are always on a line, test_cpu_compiled.)"""
    monkeypatch.setattr(config, "CPU_COMPILED_MAX_BYTES", 0)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    T, H = 6, {4: 192, 3: 224, 1: 384}[G]  # (smaller steps stay on one thread at B=1: CPU_PARALLEL_MIN_WEIGHTS*)
    rng = np.random.default_rng(B + G)
    x = rng.standard_normal((T, B, H)).astype(np.float32)
    w_ih, w_hh = (rng.standard_normal((G * H, H)).astype(np.float32) * 0.1 for _ in range(2))
    b_ih, b_hh = (rng.standard_normal(G * H).astype(np.float32) * 0.1 for _ in range(2))
    lengths = rng.integers(0, T + 1, B) if ragged else None
    dy = rng.standard_normal((T, B, H)).astype(np.float32)
    fwd, bwd = getattr(gatecore, f"{cell}_forward"), getattr(gatecore, f"{cell}_backward")
    assert cpu_common.step_split(B, G, H, H, panel=16 if B > 1 else 0, itemsize=4) != 1

    def run():
        *out, tape = fwd(x, w_ih, w_hh, b_ih, b_hh, lengths=lengths, reverse=True, backend="cpu", return_tape=True)
        return out, bwd(tape, dy)
    real_aligned = cpu_common.aligned
    monkeypatch.setattr(config, "CPU_ALIGN_MIN_STEPS", 1 << 30)
    plain_out, plain_grads = run()
    made = []                               # the aligned path ran: the arrays came from aligned()
    monkeypatch.setattr(cpu_common, "aligned", lambda *a: made.append(a) or real_aligned(*a))
    monkeypatch.setattr(config, "CPU_ALIGN_MIN_STEPS", 0)
    out, grads = run()
    assert made
    assert all(np.array_equal(a, b) for a, b in zip(plain_out, out))
    assert grads.keys() == plain_grads.keys()
    assert all(np.array_equal(grads[k], plain_grads[k]) for k in grads), cell


def _chunk_case(cell, B, reverse, ragged, proj, lbr, dtype):
    rng = np.random.default_rng(B * 7 + reverse * 3 + ragged)
    T, I, H = 9, 5, 6
    G = {"lstm": 4, "gru": 3}[cell]
    x = rng.standard_normal((T, B, I)).astype(dtype)
    w_ih, b_ih, b_hh = (rng.standard_normal(s).astype(dtype) * 0.5 for s in ((G * H, I), (G * H,), (G * H,)))
    R = 4 if proj else H
    w_hh = rng.standard_normal((G * H, R)).astype(dtype) * 0.5
    h0 = rng.standard_normal((B, R)).astype(dtype)
    lengths = rng.integers(0, T + 1, B) if ragged else None
    if cell == "lstm":
        w_hr = rng.standard_normal((R, H)).astype(dtype) * 0.5 if proj else None
        c0 = rng.standard_normal((B, H)).astype(dtype)
        return lambda: gatecore.lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths=lengths, reverse=reverse,
                                             w_hr=w_hr, backend="cpu")
    return lambda: gatecore.gru_forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths=lengths, reverse=reverse,
                                        linear_before_reset=lbr, backend="cpu")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell, proj, lbr", [("lstm", False, True), ("lstm", True, True), ("gru", False, True),
                                             ("gru", False, False)])
@pytest.mark.parametrize("B", [1, 5])
@pytest.mark.parametrize("reverse, ragged", [(False, False), (False, True), (True, False), (True, True)])
def test_forward_in_time_chunks_gives_the_same_bits(cell, proj, lbr, B, reverse, ragged, dtype, monkeypatch):
    """A forward without a tape run in chunks of steps (time_chunks: 2 steps each, T = 9 so the last one takes
    3) equals the forward in one run, bit for bit: y, h_n (and c_n)."""
    run = _chunk_case(cell, B, reverse, ragged, proj, lbr, dtype)
    whole = run()
    monkeypatch.setattr(config, "CPU_CHUNK_MIN_BYTES", 0)
    monkeypatch.setattr(config, "CPU_CHUNK_BYTES", 1)
    chunked = run()
    for a, b in zip(whole, chunked):
        assert np.array_equal(a, b)
    assert not np.array_equal(whole[0], 0 * whole[0])


def test_time_chunks_are_even_and_never_one_step_at_the_end(monkeypatch):
    monkeypatch.setattr(config, "CPU_CHUNK_MIN_BYTES", 0)
    monkeypatch.setattr(config, "CPU_CHUNK_BYTES", 4 * 3 * 4)     # 4 steps of B=1, width 3, float32
    x = np.zeros((9, 1, 2), np.float32)
    y = np.zeros((9, 1, 5), np.float32)
    full = np.array([9])
    runs = cpu_common.time_chunks(x, y, full, False, 3, False)
    assert [r[0].shape[0] for r in runs] == [4, 5]
    assert [int(r[2][0]) for r in runs] == [4, 5]
    backwards = cpu_common.time_chunks(x, y, full, True, 3, False)
    assert [np.shares_memory(r[1], y[5:]) for r in backwards] == [True, False]
    assert len(cpu_common.time_chunks(x, y, np.array([8]), True, 3, False)) == 1, "ragged reverse: one run"
    assert len(cpu_common.time_chunks(x, y, full, False, 3, True)) == 1, "a tape: one run"


_NESTED_KERNELS = '''
import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def inner(out):
    for i in prange(out.shape[0]):
        out[i] = i


@njit(cache=True)
def outer(n):
    out = np.empty(n)
    inner(out)
    return out
'''


def test_a_cached_caller_of_a_parallel_kernel_loads_safely_after_the_cpu_kernels_are_imported(tmp_path):
    """Numba 0.68 drops the relaunch of its threads from a cached function whose parallel callee was itself loaded
    from the cache when the caller compiled: a fresh process that then calls the caller first segfaulted
    (_gemm_transposed_packing after a batched forward had cached _gemm_parallel). Three processes on one cache:
    the parallel callee alone, the caller (compiled against the cached callee), then the caller loaded, after
    importing gatecore.cpu_common, which launches the threads (the last one crashed without that)."""
    (tmp_path / "nested_kernels.py").write_text(_NESTED_KERNELS)
    run = ("import sys; {guard}import numpy as np, nested_kernels as m\n"
           "out = np.empty(10)\n"
           "m.inner(out) if sys.argv[1] == 'inner' else print(m.outer(10).sum())")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(tmp_path)] + sys.path))
    for step, guard in (("inner", ""), ("outer", ""), ("outer", "import gatecore.cpu_common; ")):
        done = subprocess.run([sys.executable, "-c", run.format(guard=guard), step], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (step, guard, done.returncode, done.stderr[-2000:])
    assert done.stdout.split()[-1] == "45.0"
