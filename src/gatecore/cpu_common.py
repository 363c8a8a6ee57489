"""What the Numba CPU kernels of the three cells share: compile settings, the recurrent product, packed-sequence
indexing, the thread split of a step, and the GEMMs around the time loop.

Layout used by every cpu kernel (T steps, B batch rows, G gates, H units, R = width of h):
  gates [T, B, G*H]  time-indexed; first W_ih x_t + b (one GEMM before the loop), then overwritten in place
                     by the post-activation gates as the loop reaches (t, b)
  hp    [T, B, R]    h_{t-1} as used at time t (time-indexed), so dW_hh = dA^T hp is one GEMM after the loop
  hbuf  [2, B, R]    the running state, double-buffered: step k reads hbuf[k % 2] and writes hbuf[1 - k % 2]
Step k of row b reads time t = time_of(k, lengths[b], reverse) and is real iff k < lengths[b]; a padding step
keeps the state and leaves y at 0 (API.md §1, PyTorch's packed sequences).

Inside the time loop only the recurrent product and one pointwise pass run, both over a range of hidden units
[u0, u1) and batch rows [b0, b1): the whole step on one thread, or split over Numba's threads when a step holds
enough work (step_split). Split by batch rows (each thread gets 4 or more), a thread takes its rows through all
T steps in one parallel region, since a row's recurrence needs no other row; split by hidden units, every unit
needs all of h_{t-1}, so each step (each pass of it) is a parallel region of its own (~1.6 us here). With at
least 2 steps and 2 sequences the product runs on W_hh^T packed once per call (gatecore.cpu_packed: an explicit-vector
GEMM micro-kernel, one fixed chain of multiply-adds per output); a single step or a single sequence uses
`products` on W_hh's rows as they are (gatecore.cpu_dots: the dot-product micro-kernel), where packing would not
pay. No BLAS
call (or BLAS thread pool) inside the loop. The pointwise pass then runs per batch row over contiguous units
with no calls or branches, so it vectorises too. Results do not depend on where the unit range is cut, so they
are bitwise the same whatever the thread count. Before and after the loop: the input projection, dx and dW
on the same packed kernel (gemm), never OpenBLAS.
"""
from __future__ import annotations

import contextlib
import math
import threading

import numba
import numpy as np
from numba import prange, types
from numba.extending import overload
from numba.np.ufunc import parallel as _numba_parallel

from . import config, cpu_math, cpu_pool, pointwise
from .prepacked import is_prepacked, packing, plain
from .cpu_dots import products
from . import cpu_packed
from .cpu_packed import KC, PANEL_BYTES, VECTOR_BYTES, packed_products, packed_rows, transpose_block

JIT = config.JIT
# Numba's threads, launched before any kernel runs. A cached function that calls a parallel one relaunches them
# when it loads only if the parallel one was compiled, not itself loaded from the cache, in the process that
# compiled the caller (Numba 0.68: the loaded library drops its reload hook; numba issue #8578); otherwise a fresh
# process that calls it first jumps into the threading layer unlaunched and segfaults. Seen with
# _gemm_transposed_packing, compiled after a batched forward had cached _gemm_parallel (probes_session33.txt).
# ~3 ms, once.
_numba_parallel._launch_threads()
# only explicit prange loops run in parallel: Numba would otherwise turn each np.zeros and array assignment
# of a kernel into a parallel region of its own (microseconds each, milliseconds on a loaded machine)
_ONLY_PRANGE = dict(comprehension=False, reduction=False, inplace_binop=False, setitem=False, numpy=False,
                    stencil=False, fusion=False, prange=True)
inline = numba.njit(inline="always")

# what cell.py calls, as the CPU compiles it (float32 math in float32: gatecore.cpu_math)
_CPU_MATH = {"sigmoid": cpu_math.sigmoid, "dsigmoid": cpu_math.dsigmoid, "dtanh": cpu_math.dtanh,
             "math": cpu_math.namespace}


def num_threads():
    """numba.get_num_threads() for the calling thread, without its Python-level _launch_threads() check on every
    call (0.77 -> 0.29 us here; a forward asks two or three times): the threading layer's own getter once the
    public function has launched it, the public function otherwise (and for a value it would reject, or a Numba
    without these private names)."""
    n = _numba_parallel._get_num_threads() if getattr(_numba_parallel, "_is_initialized", False) else 0
    return n if n > 0 else numba.get_num_threads()


_NONE = {}


def none(dtype, ndim):
    """A shared empty array (shape (0,) * ndim) standing for "no such operand" in a kernel call (no bias, no
    projection, no one-row inputs): one allocation per (dtype, ndim) instead of ~0.3 us at every call. Nothing
    can be written into it. Kept under the dtype as given too (np.dtype() is ~0.1 us a call)."""
    a = _NONE.get((dtype, ndim))
    if a is None:
        a = _NONE.setdefault((np.dtype(dtype), ndim), np.zeros((0,) * ndim, dtype))
        _NONE[(dtype, ndim)] = a
    return a


LINE = cpu_pool.LINE            # bytes in a cache line


@numba.njit(**JIT)
def _aligned_flat(n, like, zero):
    """n elements of like's dtype starting on a cache line (zeros if `zero`)."""
    W = LINE // like.itemsize
    raw = np.empty(n + W, like.dtype)
    a = raw[(LINE - raw.ctypes.data % LINE) % LINE // like.itemsize:][:n]
    if zero:
        for j in range(n):
            a[j] = 0
    return a


@inline
def aligned_zeros(m, n, like):
    """Zeros [m, n] of like's dtype starting on a cache line, inside a kernel (its scratch rows: aligned())."""
    return _aligned_flat(m * n, like, True).reshape((m, n))


# hidden units per chunk of a backward loop's pointwise gradients (unit_scratch)
UNITS = 64


@inline
def unit_scratch(split, outputs, like):
    """Each thread's scratch row for a backward loop's pointwise gradients, [threads, outputs * UNITS]: a step's
    range of units runs UNITS units at a time, the loop writing its outputs at fixed offsets of this row (and
    updating one array in place: dc, the GRU's dd), then each output copied into place. Written straight into
    the gate blocks of da[t, b] and of da_k[b] (offsets H apart, H unknown to the compiler), the loop wrote 9
    arrays (the GRU's 8) that LLVM could not tell apart: it vectorised the loop behind runtime overlap checks of
    every pair, ~200 compares, ~0.25 us a batch row whatever the units. LSTM, 64 rows of 64 units, one thread,
    16.8 -> 4.1 us; a single row 0.27 -> 0.07 us; the same bits (benchmarks/probes/unit_scratch.py,
    probes_session33.txt). The forward loops keep their form: the same change there sped B = 16-64 calls at
    H = 64 but slowed single sequences of 128-512 steps by 8-16% (probes_session33.txt)."""
    return aligned_zeros(max(1, abs(split)), outputs * UNITS, like)


@inline
def aligned_empty(m, n, like):
    """aligned_zeros() without the zeros."""
    return _aligned_flat(m * n, like, False).reshape((m, n))


def aligned(shape, dtype, zero=False):
    """np.empty(shape, dtype) (np.zeros with `zero`) starting on a cache line: for the arrays a split time loop
    writes. Two threads write neighbouring ranges of their rows or units at every step; where NumPy's allocator
    starts an array 16-48 bytes past a line, the line where the ranges meet is written from both cores at every
    step (LSTM forward loop, unit split, B=1 T=512 H=64: 558 us aligned vs 633 us 16 bytes off, min of 15;
    T=128 B=1 H=256 1067 vs 1301; benchmarks/probes/align_ab.py, probes_session15.txt). ~1.3 us more than
    np.empty from Python, so only where aligns() says so (allocators). Arrays of NUMPY_FROM_BYTES or more come
    from NumPy's allocator (with an offset), from config.CPU_POOL_MIN_BYTES up through cpu_pool: memory an
    earlier call had, already faulted in (zeroed in one pass where `zero`), or else fresh from NumPy, whose zeros
    are calloc's pages and which asks for huge pages for large arrays (probes_session16.txt)."""
    n = math.prod(shape)
    nbytes = n * np.dtype(dtype).itemsize
    if nbytes >= NUMPY_FROM_BYTES:
        return cpu_pool.line(nbytes, zero=zero).view(dtype).reshape(shape)
    return _aligned_flat(n, none(dtype, 1), zero).reshape(shape)


NUMPY_FROM_BYTES = 1 << 16


def aligns(split, T):
    """Whether a time loop of T steps cut `split` ways (step_split) gets aligned() arrays: when split over threads
    and at least config.CPU_ALIGN_MIN_STEPS long."""
    return split != 1 and T >= config.CPU_ALIGN_MIN_STEPS


def _aligned_empty(shape, dtype):
    return aligned(shape, dtype)


def _aligned_zeros(shape, dtype):
    return aligned(shape, dtype, True)


def allocators(threaded, largest):
    """(empty, zeros) for the arrays a time loop writes, the largest of them `largest` bytes: aligned() ones when
    threaded, else cpu_pool's, or NumPy's when they are all too small for the pool (no call in between: a small
    call makes six of them)."""
    if threaded:
        return _aligned_empty, _aligned_zeros
    return (np.empty, np.zeros) if largest < config.CPU_POOL_MIN_BYTES else (cpu_pool.empty, cpu_pool.zeros)


def initial_state(h0, B, width, dtype, threaded):
    """hbuf [2, B, width] for a time loop, hbuf[0] = h0 (zeros when not given); aligned() when threaded."""
    empty, zeros = allocators(threaded, 0)          # (small: not from the pool)
    if h0 is None:
        return zeros((2, B, width), dtype)
    hbuf = empty((2, B, width), dtype)
    hbuf[0] = h0
    return hbuf


def kernel(fn):
    """A time-loop kernel: compiled with its prange loops parallel (and nothing else)."""
    return numba.njit(parallel=dict(_ONLY_PRANGE), **JIT)(fn)


def compile_thread_loop(fn):
    """A time loop's steps as one thread runs them (all of them on its batch rows, or its tasks of every step),
    called from the kernel's prange body and from its one-thread path: a function of its own, not a loop written
    in the body. The same loop in the body ran 7-16% slower (GRU T=512 B=1 H=64, in a prange of 1 or 2, either
    thread) than outside any prange, and as a call from the body ~1-2% (benchmarks/results/probes_session29.txt).

    Its per-step parts are inlined into it (compile_step), so a step calls nothing but the products
    (cpu_packed.packed_rows, cpu_dots.products) and the feed. As calls, each passing ~20 arrays as exploded
    structs, they cost ~0.1 us a call: inlined, small steps ran 12-25% faster (B=1 H=64, LSTM, GRU and RNN,
    forward and backward), larger ones the same (benchmarks/results/probes_session30.txt). A backward loop
    inlines its part at one call site; a forward loop at two: its rows path passes the whole unit range (0, H),
    which the compiler then knows, its shared path each task's. Given as a task's range on the rows path too, the
    LSTM's step at T=512 B=1 H=64 took 0.49-0.54 us against 0.41-0.46; forwards at B=1 H=64 ran 2-5% (LSTM, RNN)
    and 20-28% (GRU) faster, for ~17 s more of the LSTM forward's cold compile (probes_session31.txt). The
    backwards measured no gain and keep one site.

    Compiled without Numba's reference counting (_nrt=False; what it calls inherits that unless it sets its
    own): every array view a step takes (a gates row, a unit range) would otherwise cost an atomic increment and
    decrement, ~0.2 us of a ~1 us step at B = 1 and H = 8-64 (benchmarks/results/probes_session13.txt). So a
    step allocates nothing: it copies arrays with copy() and multiplies with packed_rows, not packed_products;
    the feed, which allocates, sets the counting back on (cpu_feed.await_step)."""
    return numba.njit(_nrt=False, **JIT)(fn)


def compile_step(fn):
    """A time loop's per-step part (a pass of one step over a range of hidden units and batch rows), inlined
    into its thread loop (compile_thread_loop), which calls it from as few places as it can: each call site
    compiles it once more."""
    return numba.njit(_nrt=False, inline="always", **JIT)(fn)


def compile_pointwise(fn):
    """A cell's plain scalar function (cell.py) compiled for the CPU, inlined into the kernels.

    The scalar activations it calls (and `math.tanh`) are swapped for gatecore.cpu_math's, which keep float32
    math in float32, and the functions of its own module it calls are compiled alike; the source stays plain
    Python so the CUDA backend compiles the very same functions.
    """
    return inline(pointwise.rebound(fn, _CPU_MATH, compile_pointwise))


@inline
def copy(dst, src):
    """dst[:] = src for two 1-d arrays of one length that do not overlap, as a loop: an array assignment may copy
    src aside first, which needs Numba's allocator (compile_thread_loop compiles without it)."""
    for j in range(dst.shape[0]):
        dst[j] = src[j]


@inline
def recurrent_products(out, w, P, v, n0, n1, b0, b1, down=False):
    """out[b, n] = w[n] . v[b] for n in [n0, n1) and b in [b0, b1): on P = panels(w, T, B) (gatecore.cpu_packed)
    when it was made, else with products() on w's rows. down: the same products with n walked from n1 down to
    n0, a panel or config.ZIGZAG_CHUNK_BYTES of w's rows at a time (zigzag)."""
    if P.shape[0] > 0:
        packed_walk(out, P, v, n0, n1, b0, b1, down)
    elif not down:
        products(out, w, v, n0, n1, b0, b1)
    else:
        rows = max(16, config.ZIGZAG_CHUNK_BYTES // (w.shape[1] * w.itemsize))
        c1 = n1
        while c1 > n0:
            c0 = max(n0, c1 - rows)
            products(out, w, v, c0, c1, b0, b1)
            c1 = c0


@inline
def packed_walk(out, P, v, n0, n1, b0, b1, down):
    """packed_rows(out, P, v, n0, n1, b0, b1), or with `down` the same products from n1 down, cpu_packed.ROW_PANELS
    panels at a time (so a single row still takes them four at once)."""
    if not down:
        packed_rows(out, P, v, n0, n1, b0, b1)
        return
    PW = P.shape[2]
    c1 = n1
    while c1 > n0:
        c0 = max(n0, ((c1 - 1) // PW - (cpu_packed.ROW_PANELS - 1)) * PW)
        packed_rows(out, P, v, c0, c1, b0, b1)
        c1 = c0


@inline
def zigzag(w, P, k):
    """Whether step k walks the recurrent weights down: on odd steps, when they take config.CPU_ZIGZAG_MIN_BYTES
    or more. A sweep over more than L2 holds, in the same order every step, finds none of it in L2 (LRU evicts
    each line before its next use); walking back, a step first reads what the step before read last. One thread,
    float32, products() over rows of 512 (benchmarks/probes/zigzag.py): 2 MB 30.6 -> 20.9 us a sweep, 3 MB
    104 -> 59, 4 MB 154 -> 104; 1 MB (in L2) 11.2 vs 11.6. Forward loops only: walking W_hh's panels down in the
    LSTM backward (B=1 and B=16, H=512, its per-thread share 2 MB) measured no gain (probes_session20.txt)."""
    return k % 2 == 1 and max(w.size, P.size) * w.itemsize >= config.CPU_ZIGZAG_MIN_BYTES


@inline
def gate_products(out, w, P, v, G, H, u0, u1, b0, b1, k=0):
    """recurrent_products() for units [u0, u1) of each of the G gate blocks of w's rows (w [G*H, ...]), rows
    [b0, b1) of v; all G*H rows in one call when the range is every unit (a single row then takes several
    panels at once: cpu_packed.packed_rows). The same bits either way, and walked down (gates last to first)
    where step k zigzags."""
    down = zigzag(w, P, k)
    if u0 == 0 and u1 == H:
        recurrent_products(out, w, P, v, 0, G * H, b0, b1, down)
        return
    for q in range(G):
        g = G - 1 - q if down else q
        recurrent_products(out, w, P, v, g * H + u0, g * H + u1, b0, b1, down)


def panels(w, T, B):
    """The packed panels of w^T (gatecore.cpu_packed) that a forward loop of T steps over B sequences
    multiplies with, or none (shape (0, 0, 0)), and then products() reads w's rows as they are: for a single
    step, where packing (about 1-2 ns per weight) costs more than it saves, and for a single sequence unless it
    has config.CPU_PACKED_MIN_STEPS steps and w is either small enough to stay on one thread
    (config.CPU_PARALLEL_MIN_WEIGHTS; a row then takes four panels at once, cpu_packed.packed_rows: config) or
    large enough that each thread's share of panels streams faster than its rows
    (config.CPU_PACKED_MIN_WEIGHT_BYTES). So a call's result depends on T, B and w's size, never on the thread
    count. A backward loop always packs, in place of the transposed copy of w it needs otherwise. Made once for a
    prepacked w (gatecore.prepacked)."""
    return transposed_panels(w) if packs(w, T, B) else none(w.dtype, 3)


def packs(w, T, B):
    """Whether panels(w, T, B) packs w^T (its docstring says when)."""
    return T >= 2 and (B >= 2 or (T >= config.CPU_PACKED_MIN_STEPS and (
        w.size < config.CPU_PARALLEL_MIN_WEIGHTS or w.nbytes >= config.CPU_PACKED_MIN_WEIGHT_BYTES)))


def transposed_panels(w):
    """pack(w^T): the panels a forward product reads (h W_hh^T, x W_ih^T); made once for a prepacked w."""
    return packing(w, "w.T", lambda: pack(np.ascontiguousarray(plain(w)).T))


def weight_panels(w, r0=0, r1=None):
    """pack(w[r0:r1]): the panels a backward product reads (dh_{t-1} = da W_hh, dx = da W_ih); made once for a
    prepacked w."""
    return packing(w, ("w", r0, r1), lambda: pack(np.ascontiguousarray(plain(w)[r0:r1])))


@inline
def chunk(c, chunks, n):
    """The range [lo, hi) of chunk c when 0..n-1 is cut into `chunks` near-equal consecutive chunks whose
    inner edges are multiples of 4 (rows of v in products' blocks of 4; cpu_packed's 6-row blocks do not care)."""
    lo = (c * n // chunks) // 4 * 4
    hi = n if c == chunks - 1 else ((c + 1) * n // chunks) // 4 * 4
    return lo, hi


@inline
def time_of(k, n, reverse):
    """The time step that step k of a sequence of n real steps reads (k itself at padding steps)."""
    if reverse and k < n:
        return n - 1 - k
    return k


@inline
def tape_row(t, tape):
    """The row of a time-indexed tape array written at time t: t, or 0 when a forward without a tape passes one
    scratch row (shape [1, ...]), so that the pointwise pass stores its tape values without a branch but does
    not stream them to memory."""
    return min(t, tape.shape[0] - 1)


@numba.njit(inline="always", **JIT)
def save_prev_state(hp, h_prev, k, lengths, reverse, b0, b1, r0, r1):
    """Tape of step k for rows [b0, b1) and columns [r0, r1): hp[t, b] = h_prev[b] for real steps, 0 at padding
    steps (tape_row)."""
    for b in range(b0, b1):
        n = lengths[b]
        if k < n:
            copy(hp[tape_row(time_of(k, n, reverse), hp), b, r0:r1], h_prev[b, r0:r1])
        else:
            hp[tape_row(k, hp), b, r0:r1] = 0


def outputs(shape, dtype, lengths, threaded):
    """y [T, B, width] for a forward loop: uninitialised when every sequence is full (lengths None: the loop
    writes every y[t, b]), else zeros (a padding step leaves y at 0); aligned() when threaded (allocators). A
    zero-filled y is a pass over it before the loop starts (LSTM T=128 B=16 H=64, 512 kB of y: 0.886 -> 0.844 ms a
    call, benchmarks/probes/outputs_ab.py)."""
    empty, zeros = allocators(threaded, math.prod(shape) * np.dtype(dtype).itemsize)
    return (empty if lengths is None else zeros)(shape, dtype)


def full_lengths(lengths, T, B):
    """lengths as int64 [B]; None (every sequence full) becomes [T] * B."""
    if lengths is not None:
        return lengths
    full = np.empty(B, np.int64)
    full.fill(T)                # np.full costs microseconds more in Python
    return full


def time_chunks(x, y, lengths, reverse, width, need_tape):
    """The (x, y, lengths) of each run of the time loop, in step order: all of them at once, or, for a forward
    without a tape whose gate pre-activations [T, B, width] would exceed config.CPU_CHUNK_MIN_BYTES, chunks of
    an even number of steps (so each chunk's last state lands in hbuf[0], where the next one reads h_{t-1})
    whose pre-activations take about config.CPU_CHUNK_BYTES: the input projection of a chunk is then still in
    cache when the loop reads it, and its memory is the allocator's to reuse (a large array comes fresh from
    the OS at each call: 0.11-0.15 ms a MB here to fault its pages in). Same results: a projection's rows do not
    depend on how many rows it has (gemm) and a chunk runs the same steps with the state carried in hbuf and c.
    Views: x[t0:t1], y[t0:t1] and each row's steps left, clipped to the chunk (a reverse pass only when every
    sequence is full: else its rows read different times at one step). The caller decides step_inputs'
    in-loop projection for the whole call (projects_in_loop), so no chunk takes another way than the call in one
    piece; the last chunk is never one step long."""
    T, B, _ = x.shape
    step_bytes = B * width * x.itemsize
    if need_tape or T * step_bytes <= config.CPU_CHUNK_MIN_BYTES or (reverse and lengths.min() < T):
        return [(x, y, lengths)]
    rows = max(B, config.CPU_CHUNK_BYTES // step_bytes * B)
    if rows >= 2 * config.CPU_ROW_BLOCK:            # whole tasks of the threaded GEMM, an even count
        rows = rows // (2 * config.CPU_ROW_BLOCK) * (2 * config.CPU_ROW_BLOCK)
    steps = max(2, rows // B // 2 * 2)
    bounds = [[k0, min(T, k0 + steps)] for k0 in range(0, T, steps)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        last = bounds.pop()
        bounds[-1][1] = last[1]
    runs = []
    for k0, k1 in bounds:                           # (the caller packs W_ih once for them all: input_weights)
        t0, t1 = (T - k1, T - k0) if reverse else (k0, k1)
        runs.append((x[t0:t1], y[t0:t1], np.clip(lengths - k0, 0, k1 - k0)))
    return runs


def input_weights(w_ih, runs):
    """pack(w_ih^T) for step_inputs when the time loop runs in more than one chunk (time_chunks), else None."""
    return transposed_panels(w_ih) if len(runs) > 1 else None


def state_or_zeros(a, B, width, dtype, threaded):
    """The initial state as a fresh writable [B, width] array (zeros when not given); aligned() when threaded."""
    if not threaded:
        return np.zeros((B, width), dtype) if a is None else a.copy()
    out = aligned((B, width), dtype, a is None)
    if a is not None:
        out[...] = a
    return out


K_BLOCK = 2 * KC                # rows of P per pass of the threaded GEMM when P is large (k_block)


def k_block(P):
    """How many rows of P (k) the threaded GEMM's tasks take per pass: all of them (each task writes its rows of
    out once, and they stay in cache across k) when P has at most config.CPU_GEMM_FULL_K_MAX_BYTES, else
    K_BLOCK (a block of P then stays in L2 while every task of a thread passes over it; out is read and written
    once per block)."""
    return _k_block(P.size * P.itemsize, P.shape[1])


def _k_block(nbytes, K):
    return K if nbytes <= config.CPU_GEMM_FULL_K_MAX_BYTES else K_BLOCK


@inline
def _gemm_block(out, P, v, bias, b0, b1, ka, kb, add, n0, n1):
    """out[b0:b1, n0:n1] (+)= v[b0:b1] @ m[ka:kb, n0:n1] for P = pack(m), + bias[n0:n1] after the last k."""
    packed_products(out, P, v, n0, n1, b0, b1, ka, kb, add)
    if bias.shape[0] > 0 and kb == P.shape[1]:
        c = bias[n0:n1]
        for b in range(b0, b1):
            o = out[b, n0:n1]
            for j in range(n1 - n0):
                o[j] += c[j]


@inline
def gemm_rows(out, P, v, bias, b0, b1, n0, n1, rows, add):
    """out[b0:b1, n0:n1] of gemm(v, P, N, bias, out, add) on the calling thread, in blocks of `rows` rows (over
    all of k): the bits of the whole gemm whatever b0, b1, n0 and n1 (packed_products' sums do not depend on
    them)."""
    for r0 in range(b0, b1, rows):
        _gemm_block(out, P, v, bias, r0, min(b1, r0 + rows), np.int64(0), P.shape[1], add, n0, n1)


@numba.njit(**JIT)
def _gemm_serial(out, P, v, bias, rows, add):
    lo = np.int64(0)                # not the literal 0: a literal argument compiles each callee once more
    gemm_rows(out, P, v, bias, lo, out.shape[0], lo, out.shape[1], rows, add)


@kernel
def _gemm_parallel(out, P, v, bias, rows, kblock, add):
    """gemm on Numba's threads: a task per block of `rows` rows, or with a single block (a few rows: a prepacked
    W_ih^T read at T=16, B=1) a task per panel, so that both threads have a share."""
    M, N = out.shape
    K, PW = P.shape[1], P.shape[2]
    blocks = (M + rows - 1) // rows
    cols = P.shape[0] if blocks == 1 else 1
    for ka in range(0, K, kblock):
        kb = min(K, ka + kblock)
        for c in prange(blocks * cols):
            r0 = c // cols * rows
            n0, n1 = (c % cols * PW, min(N, c % cols * PW + PW)) if cols > 1 else (np.int64(0), N)
            _gemm_block(out, P, v, bias, r0, min(M, r0 + rows), ka, kb, add, n0, n1)


_this_thread = threading.local()
_inside = [0]                   # threads inside on_this_thread() now (on_one_thread's shortcut when none is)
_inside_lock = threading.Lock()


@contextlib.contextmanager
def on_this_thread():
    """Inside it, gemm() and the time loops (step_split) stay on the calling thread: for two kernel calls running
    at once in two Python threads (a bidirectional layer's directions, one_thread_each), which must not both
    launch parallel regions (Numba's workqueue layer aborts the process then; with omp or tbb four threads would
    share two cores)."""
    outer = getattr(_this_thread, "serial", False)
    with _inside_lock:
        _inside[0] += 1
    _this_thread.serial = True
    try:
        yield
    finally:
        _this_thread.serial = outer
        with _inside_lock:
            _inside[0] -= 1


def on_one_thread():
    """Whether this thread's calls stay on it (inside on_this_thread()). With no thread inside, no thread-local
    lookup (~0.25 us; a small call asks several times)."""
    return _inside[0] > 0 and getattr(_this_thread, "serial", False)


def gemm(v, P, N, bias=None, out=None, add=False):
    """v [M, K] @ m + bias -> [M, N] for P = pack(m), m [K, N] (bias [N] or None); v may be a transposed view and
    have more columns than m has rows (the first K are read). Into `out` when given (C-contiguous [M, N]); add:
    added to what out holds (the product over an earlier range of k, ending at a multiple of KC: then the sum
    is bitwise the one over both ranges in one call).

    In blocks of config.CPU_ROW_BLOCK rows (a block's rows of v stay in cache while P passes): with less than
    config.CPU_GEMM_PARALLEL_MIN_WORK multiply-adds on the calling thread, else as tasks on Numba's threads, k cut
    into blocks of K_BLOCK (a block of P is shared by the tasks while it is in cache). Every output is
    packed_products' fixed sum: the result does not depend on M, the thread count or the tasks. The cpu
    backend's only GEMM: OpenBLAS's threads spin for a while after each call and then take the cores from
    Numba's (README, Threads)."""
    M, K = v.shape[0], P.shape[1]
    bias = none(v.dtype, 1) if bias is None else bias
    if K == 0:
        out = np.zeros((M, N), v.dtype)
        return out + bias if bias.shape[0] > 0 else out
    out = cpu_pool.empty((M, N), v.dtype) if out is None else out
    if not _parallel(M * N * K):
        _gemm_serial(out, P, v, bias, config.CPU_ROW_BLOCK, add)
    else:
        _gemm_parallel(out, P, v, bias, config.CPU_ROW_BLOCK, k_block(P), add)
    return out


@kernel
def _pack_copy_parallel(P, m, threads):
    for c in prange(threads):
        k0, k1 = chunk(c, threads, m.shape[0])
        cpu_packed.pack_copy(P, m, k0, k1)


@kernel
def _pack_transposed_parallel(P, w):
    for p in prange(P.shape[0]):
        cpu_packed.pack_transposed(P, w, p, p + 1)


def pack(m):
    """cpu_packed.pack(m), shared out over Numba's threads when m has config.CPU_PACK_PARALLEL_MIN_BYTES or more
    (gemm's rule otherwise: not inside on_this_thread()): the same copy either way. From W.T (the transposing
    copy) a panel per task (one panel: one thread); from a C-contiguous m each thread copies its share of m's
    rows into every panel (a panel per task there ran at half the one-thread rate). float32, 2 threads, Zen 5,
    median us, one thread vs shared (benchmarks/probes/pack_ab.py; every shape in probes_session13.txt): W.T
    256 x 1024 40.1 vs 28.3, 512 x 2048 145.9 vs 87.1; x 1024 x 256 25.5 vs 18.8, 2048 x 512 119.2 vs 69.5.
    W_hh^T of an H = 256 LSTM (1 MB) took 51-88 us of a T=16 B=16 forward's ~0.9 ms on one thread."""
    if not pack_parallel(m):
        return cpu_packed.pack(m)
    P = cpu_packed.empty_panels(m)
    if cpu_packed.transposed(m):
        _pack_transposed_parallel(P, m.T)
    else:
        _pack_copy_parallel(P, m, num_threads())
    return P


def pack_parallel(m):
    """Whether pack(m) shares the copy out over Numba's threads (its docstring says when)."""
    return _pack_parallel(m.nbytes, m.shape[1], m.itemsize, cpu_packed.transposed(m))


def _pack_parallel(nbytes, N, itemsize, transposed):
    one_panel = N * itemsize <= PANEL_BYTES
    return nbytes >= config.CPU_PACK_PARALLEL_MIN_BYTES and not (transposed and one_panel) and threads_free()


def pack_threads(nbytes, N, itemsize, transposed):
    """The threads pack() shares a copy of nbytes (N columns; from W.T if transposed) over, 0 for the calling
    thread alone: packed()'s argument."""
    return num_threads() if _pack_parallel(nbytes, N, itemsize, transposed) else 0


@kernel
def _pack_gemm_parallel(out, w, v, bias, P, rows, tasks):
    """out = v @ w^T + bias (v [M, K], w [N, K] C-contiguous, bias [N] or empty) with P = pack(w^T) filled here:
    task c packs its share of the panels and computes their columns for every row of v, so no thread reads
    panels that another core has just written (a freshly written line crosses cores at ~7 ns here: matmul's
    pack-then-gemm read half of P that way). The same P and the same sums (packed_products) as gemm on pack."""
    M, N = out.shape
    PW = P.shape[2]
    for c in prange(tasks):
        p0 = np.int64(c) * P.shape[0] // tasks
        p1 = (np.int64(c) + 1) * P.shape[0] // tasks
        cpu_packed.pack_transposed(P, w, p0, p1)
        gemm_rows(out, P, v, bias, np.int64(0), M, p0 * PW, min(N, p1 * PW), rows, False)


def _owned_panels(M, N, K, itemsize):
    """Whether matmul packs b [K, N] on the threads that read it (_pack_gemm_parallel): a threaded product
    (gemm's rule) of M <= N / 2 rows (each thread then reads all of a: at M = N a whole LSTM forward gained
    nothing, T=16 B=64 H=256 lost 3%), whose panels take at most config.CPU_PACK_GEMM_MAX_BYTES (a thread's share
    stays in its L2 while every row passes) and share out evenly over the threads (else one waits on the other)."""
    threads = num_threads()
    panels = -(-N // (PANEL_BYTES // itemsize))
    return K > 0 and 2 * M <= N and _parallel(M * N * K) \
        and panels * K * PANEL_BYTES <= config.CPU_PACK_GEMM_MAX_BYTES \
        and panels >= threads and (panels % threads == 0 or panels >= 4 * threads)


def threads_free():
    """Whether a call may start a parallel region here: Numba has more than one thread and the calling thread's
    calls do not stay on it (on_this_thread())."""
    return num_threads() > 1 and not on_one_thread()


def _parallel(work):
    """Whether a GEMM-sized job of `work` multiply-adds runs on Numba's threads (gemm's rule)."""
    return work >= config.CPU_GEMM_PARALLEL_MIN_WORK and threads_free()


def few_rows(M, N):
    """Whether matmul's product of M rows and N columns may pack its rows (a^T), not b: fewer than a row block of
    rows, and fewer rows than columns (matmul_way then decides for b's kept panels)."""
    return M < config.CPU_ROW_BLOCK and M < N


# how matmul makes a product (matmul_way): on packed a^T (few_rows), on b = W^T packed by the threads that read it
# (_owned_panels), or on pack(b) or panels the caller gives
FEW_ROWS, OWNED, PACKED = range(3)


def matmul_way(M, K, N, itemsize, a_transposed, b_transposed, own, kept=False):
    """How matmul makes a [M, K] @ b [K, N], as (how, parallel, kblock, pack_on, threads, rows) for
    matmul and planned_matmul: how (FEW_ROWS, OWNED where `own`, i.e. no panels given, else PACKED); the product
    on Numba's threads (gemm's rule) and its k per pass (k_block of the panels read); the threads the pack of a^T
    (FEW_ROWS) or of b runs on (pack_threads: pack_parallel's rule); OWNED's tasks; gemm's row block.
    a_transposed, b_transposed: whether pack() would read a^T, b as W.T (cpu_packed.transposed). The pack's
    threads: 0 on the calling thread (Numba's thread count is read here: inside a kernel it would make the kernel
    uncachable)."""
    PW = PANEL_BYTES // itemsize
    rows = config.CPU_ROW_BLOCK
    if few_rows(M, N):
        # Packing a^T instead of b saves the copy of b. Where b's panels are kept (a prepacked weight) they cost
        # none, and reading them beat the few-rows way (its transposes, and the lanes its last vector leaves
        # empty) except on the threads with whole vectors, where they tied or lost. Prepacked weights, B=1,
        # forward (forward+backward), us: LSTM T=16 H=64 26.2 -> 25.6 (66.5 -> 59.8), T=4 H=256 67 -> 48-61
        # (172 -> 133), GRU T=8 H=64 18.1 -> 16.2; on the kept panels for every few-rows product, LSTM T=16 H=256
        # and H=512 ran up to 25% slower (benchmarks/results/probes_session31.txt). Session 21 had measured the
        # whole LSTM forward at T=16 B=1 70 / 323 us (H = 64 / 256) on them against 61 / 261 packing x^T.
        parallel = _parallel(M * N * K)
        if not kept or (parallel and M % (VECTOR_BYTES // itemsize) == 0):
            return (FEW_ROWS, parallel, _k_block(-(-M // PW) * K * PANEL_BYTES, K),
                    pack_threads(M * K * itemsize, M, itemsize, a_transposed), 0, rows)
    if own and b_transposed and _owned_panels(M, N, K, itemsize):
        return OWNED, True, K, 0, num_threads(), rows
    return gemm_way(M, K, N, itemsize, b_transposed)


def gemm_way(M, K, N, itemsize, b_transposed):
    """matmul_way's PACKED: gemm(a, pack(b), N) for a [M, K], b [K, N] (gemm's and pack's rules)."""
    PW = PANEL_BYTES // itemsize
    return (PACKED, _parallel(M * N * K), _k_block(-(-N // PW) * K * PANEL_BYTES, K),
            pack_threads(K * N * itemsize, N, itemsize, b_transposed), 0, config.CPU_ROW_BLOCK)


def transposes(m, n):
    """Whether the transpose of a C-contiguous [m, n] array is what pack() reads as W.T (cpu_packed.transposed:
    F-contiguous and not C)."""
    return m > 1 and n > 1


def matmul(a, b, bias=None, line_aligned=False, panels=None, kept=False):
    """a [M, K] @ b [K, N] (+ bias [N]) -> C-contiguous [M, N]; a and b C- or F-contiguous. Packs the smaller of
    b and a^T: with fewer than config.CPU_ROW_BLOCK rows, (b^T a^T)^T, so that a T=16, B=1 call packs x, not
    W_ih. Bitwise the same either way (a product's fused multiply-adds do not depend on which factor is the
    panel's), so rows stay independent of M. line_aligned: the result starts on a cache line (aligned(); the
    few-rows case always does). panels: a function giving pack(b) in place of packing it here (the panels a
    prepacked weight keeps), called only where b is packed. Without it, b = W^T packs on the threads that read
    its panels where _owned_panels says so (_pack_gemm_parallel: the same bits). matmul_way decides;
    planned_matmul runs the same way inside a kernel."""
    (M, K), N = a.shape, b.shape[1]
    bias = none(a.dtype, 1) if bias is None else bias
    how, parallel, kblock, pack_on, threads, rows = matmul_way(
        M, K, N, a.itemsize, cpu_packed.transposed(a.T), cpu_packed.transposed(b), panels is None, kept)
    if K == 0:
        return np.zeros((M, N), a.dtype) + bias
    if how == FEW_ROWS:
        if a.flags.c_contiguous and not pack_on:
            return _gemm_transposed_packing(a, b.T, bias, rows, parallel, kblock)
        return _gemm_transposed(pack(a.T), b.T, bias, M, rows, parallel, kblock)
    if how == OWNED:
        out = aligned((M, N), a.dtype)      # on a line: the threads' columns meet at whole lines
        _pack_gemm_parallel(out, b.T, a, bias, cpu_packed.empty_panels(b), rows, threads)
        return out
    P = pack(b) if panels is None else panels()
    return gemm(a, P, N, bias, aligned((M, N), a.dtype) if line_aligned else None)


def packed(m, threads):
    """pack(m) inside a kernel, the panels on a cache line (transposed_empty_panels), the copy shared over
    `threads` threads (0: on this one; pack_threads()): m = W.T (F-contiguous) by the transposing copy (a panel per
    task), else row by row."""
    raise NotImplementedError("packed() runs inside a kernel only")


@overload(packed, jit_options=JIT)
def _packed(m, threads):
    if isinstance(m, types.Array) and m.layout == "F":
        def transposing(m, threads):
            P = transposed_empty_panels(m.T)
            if threads > 0:
                _pack_transposed_parallel(P, m.T)
            else:
                cpu_packed.pack_transposed(P, m.T, 0, P.shape[0])
            return P
        return transposing

    def copying(m, threads):
        P = transposed_empty_panels(m.T)
        if threads > 0:
            _pack_copy_parallel(P, m, threads)
        else:
            cpu_packed.pack_copy(P, m, 0, m.shape[0])
        return P
    return copying


def owned_product(out, a, b, bias, rows, threads):
    """_pack_gemm_parallel for matmul's OWNED way inside a kernel: b = W^T (F-contiguous) only."""
    raise NotImplementedError("owned_product() runs inside a kernel only")


@overload(owned_product, jit_options=JIT)
def _owned_product(out, a, b, bias, rows, threads):
    if isinstance(b, types.Array) and b.layout == "F":
        def owned(out, a, b, bias, rows, threads):
            _pack_gemm_parallel(out, b.T, a, bias, transposed_empty_panels(b.T), rows, threads)
        return owned

    def not_owned(out, a, b, bias, rows, threads):      # (matmul_way gives OWNED only for b = W^T)
        raise ValueError("OWNED needs b = W^T")
    return not_owned


@numba.njit(**JIT)
def planned_matmul(a, b, bias, way, P):
    """matmul(a, b, bias) inside a kernel, made the way matmul_way said (bias empty: none; P: the panels of b a
    prepacked weight keeps, else none and b is packed here where the way packs it). The same kernels on the same
    panels, so matmul's bits; the result on a cache line."""
    how, parallel, kblock, pack_on, threads, rows = way
    M, K = a.shape
    N = b.shape[1]
    if K == 0:
        out = aligned_zeros(M, N, a)
        if bias.shape[0] > 0:
            for m in range(M):
                out[m] += bias
        return out
    if how == FEW_ROWS:
        return _gemm_transposed(packed(a.T, pack_on), b.T, bias, M, rows, parallel, kblock)
    out = aligned_empty(M, N, a)
    if how == OWNED:
        owned_product(out, a, b, bias, rows, threads)
        return out
    planned_gemm(out, a, packed(b, pack_on) if P.shape[0] == 0 else P, bias, way, False)
    return out


@numba.njit(**JIT)
def planned_gemm(out, a, P, bias, way, add):
    """gemm(a, P, N, bias, out, add) inside a kernel, on the threads or not as `way` (gemm_way) says."""
    _, parallel, kblock, _, _, rows = way
    if parallel:
        _gemm_parallel(out, P, a, bias, rows, kblock, add)
    else:
        _gemm_serial(out, P, a, bias, rows, add)


@numba.njit(**JIT)
def _gemm_transposed_packing(a, v, bias, rows, parallel, kblock):
    """_gemm_transposed(pack(a.T), v, ...) for a [M, K] C-contiguous, packed here: one call from Python, not
    three (empty_panels, the copy, the product). The same P's values, so the same bits (transposed_empty_panels
    says where P lies)."""
    P = transposed_empty_panels(a)
    cpu_packed.pack_transposed(P, a, 0, P.shape[0])
    return _gemm_transposed(P, v, bias, a.shape[0], rows, parallel, kblock)


@numba.njit(**JIT)
def transposed_empty_panels(w):
    """The uninitialised panels that pack(w^T) fills (w [N, K]), from inside a kernel: on a cache line, with one
    vector of slack after them (cpu_packed.empty_panels' rules; finding the line costs nothing in here)."""
    N, K = w.shape
    PW = PANEL_BYTES // w.itemsize
    panels = (N + PW - 1) // PW
    n = panels * K * PW
    return _aligned_flat(n + PW, w, False)[:n].reshape((panels, K, PW))


@numba.njit(**JIT)
def _gemm_transposed(P, v, bias, M, rows, parallel, kblock):
    """(v @ m)^T + bias, C-contiguous [M, N], for P = pack(m), m [K, M], v [N, K]: gemm's products into [N, M],
    then transposed in tiles of one vector's lanes square, in registers (cpu_packed.transpose_block), and the bias
    added (matmul's few-rows case, one call)."""
    N = v.shape[0]
    vm = np.empty((N, M), v.dtype)
    no_bias = np.zeros(0, v.dtype)     # (added after the transpose)
    if parallel:
        _gemm_parallel(vm, P, v, no_bias, rows, kblock, False)
    else:
        _gemm_serial(vm, P, v, no_bias, rows, False)
    out = aligned_empty(M, N, v)
    W = VECTOR_BYTES // v.itemsize
    full = N // W * W
    for n0 in range(0, full, W):
        for m0 in range(0, M, W):
            transpose_block(out, vm, n0, m0, n0, W, min(W, M - m0))
    for m in range(M):
        for n in range(full, N):
            out[m, n] = vm[n, m]
    if bias.shape[0] > 0:
        for m in range(M):
            for n in range(N):
                out[m, n] += bias[n]
    return out


def input_projection(x, w_ih, bias, P_ih=None, line_aligned=False):
    """W_ih x_t + bias for all T*B rows at once: [T, B, G*H] (bias None = no bias); on P_ih = pack(w_ih^T) when
    the caller made it (input_weights), else through matmul (on a prepacked w_ih's kept panels where it packs
    W_ih^T; same bits either way); starting on a cache line with line_aligned (a split loop's gates: aligned())."""
    T, B, I = x.shape
    rows = np.ascontiguousarray(x).reshape(T * B, I)
    if P_ih is None:
        kept = is_prepacked(w_ih)
        return matmul(rows, np.ascontiguousarray(plain(w_ih)).T, bias, line_aligned,
                      (lambda: transposed_panels(w_ih)) if kept else None, kept).reshape(T, B, -1)
    out = aligned((T * B, w_ih.shape[0]), x.dtype) if line_aligned else None
    return gemm(rows, P_ih, w_ih.shape[0], bias, out).reshape(T, B, -1)


def projects_in_loop(T, B):
    """Whether a forward over T steps of B sequences leaves its input projection to its time loop (step_inputs):
    a single sequence of fewer than config.CPU_PACKED_MIN_STEPS steps, which reads W_hh's rows as they are
    (panels()) and so has no bits to keep equal to a batch's rows; its few rows' projection on W_ih's rows
    (cpu_dots, four rows of x a pass) beat the few-rows GEMM's transposes (probes_session32.txt)."""
    return B == 1 and T < config.CPU_PACKED_MIN_STEPS


def step_inputs(x, w_ih, bias, P_ih=None, line_aligned=False, in_loop=None):
    """(gates, x1, w1, bias1) for a kernel: gates [T, B, G*H] holds W_ih x_t + bias (input_projection), except
    where in_loop (projects_in_loop() for the whole call; None: for x's shape), where the kernel computes it at its
    first step (one_step_inputs) from x1 [T*B, I], w1 = w_ih and bias1 = bias (else all three empty): products on
    W_ih's rows, each thread its own units' rows, instead of packing x or w_ih for a few rows. Elsewhere gemm's
    rows do not depend on the row count, which keeps batch blocks of two or more rows bitwise equal to the whole
    call, and the time chunks of a call equal to the call in one piece (the chunks of a call that projects in its
    loop do so too: cpu_dots' rows do not depend on the row count either). P_ih: pack(w_ih^T) when the caller
    made it once for several calls (time_chunks), passed on to input_projection. line_aligned: gates start on a
    cache line."""
    T, B, I = x.shape
    if in_loop is None:
        in_loop = projects_in_loop(T, B)
    if in_loop and x.flags.c_contiguous and w_ih.flags.c_contiguous:
        bias1 = none(x.dtype, 1) if bias is None else bias
        gates = (aligned if line_aligned else np.empty)((T, B, w_ih.shape[0]), x.dtype)
        return gates, x.reshape(T * B, I), plain(w_ih), bias1
    empty = none(x.dtype, 2)
    return input_projection(x, w_ih, bias, P_ih, line_aligned), empty, empty, none(x.dtype, 1)


@inline
def one_step_inputs(gates, x1, w1, bias1, G, H, u0, u1, b0, b1, k):
    """gates[t] = x1[t*B:(t+1)*B] W1^T + bias1 for every t, units [u0, u1) of each of the G gate blocks and rows
    [b0, b1), at the loop's first step (k = 0), when step_inputs left it to the kernel (w1 not empty): every time
    step's rows in one products() call where the rows are all of B (four rows of x a pass over W1's rows)."""
    if w1.shape[0] == 0 or k > 0:
        return
    T, B, GH = gates.shape
    g2 = gates.reshape((T * B, GH))
    for g in range(G):
        n0, n1 = g * H + u0, g * H + u1
        if b0 == 0 and b1 == B:
            products(g2, w1, x1, n0, n1, 0, T * B)
        else:
            for t in range(T):
                products(g2, w1, x1, n0, n1, t * B + b0, t * B + b1)
        if bias1.shape[0] > 0:
            for t in range(T):
                for b in range(b0, b1):
                    a, c = g2[t * B + b, n0:n1], bias1[n0:n1]
                    for j in range(n1 - n0):
                        a[j] += c[j]


def chunks(B, G, H, R, min_weights, panel, threads):
    """Into how many chunks (one per thread) a step's G * H units are cut (h is R wide): 1 (no parallel region)
    unless its B * G*H * R multiply-adds are worth more, or its weights (G*H * R) are at least min_weights, so
    that reading them bounds the step and two cores bring two caches (config). With products on panels `panel`
    units wide (cpu_packed; 0: unpacked), no chunk is narrower than a panel: half panels halve the micro-kernel's
    vectors per row (LSTM T=128 B=4 H=64 forward, 2 chunks of 32 units vs 1: 0.54 vs 0.46 ms)."""
    if B * G * H * R < config.CPU_PARALLEL_MIN_WORK and G * H * R < min_weights:
        return 1
    return threads if panel == 0 else max(1, min(threads, min(H, R) // panel))


def _row_split(B, G, H, R, threads, weight_bytes=0):
    small_weights = weight_bytes <= config.CPU_ROW_SPLIT_MAX_WEIGHT_BYTES
    return threads > 1 and B >= 4 * threads and B * G * H * R >= config.CPU_ROW_SPLIT_MIN_WORK \
        and (small_weights or B >= config.CPU_ROW_SPLIT_ANY_WEIGHTS_ROWS * threads)


def step_split(B, G, H, R, backward=False, panel=0, itemsize=0):
    """How a time loop over B sequences of G * H units (h R wide) is cut over Numba's threads: -threads (batch
    rows, chunk's blocks) when every thread gets 4 or more rows and a step holds config.CPU_ROW_SPLIT_MIN_WORK
    multiply-adds (each thread then runs whole rows, products and cell, through every step in one parallel
    region, with no per-row work duplicated) and, in a forward loop, the recurrent weights (G*H * R elements
    of `itemsize` bytes) are at most config.CPU_ROW_SPLIT_MAX_WEIGHT_BYTES or every thread gets
    config.CPU_ROW_SPLIT_ANY_WEIGHTS_ROWS rows, else chunks() (hidden units, a
    barrier per pass: cpu_sync) or 1; 1 inside on_this_thread(). panel: the width of the product's panels
    (panel_units)."""
    if on_one_thread():
        return 1
    threads = num_threads()         # (asked once: threads_free() would ask again, ~0.3 us on a small call's path)
    if threads == 1:
        return 1
    if _row_split(B, G, H, R, threads, 0 if backward else G * H * R * itemsize):
        return -threads
    return chunks(B, G, H, R, config.CPU_PARALLEL_MIN_WEIGHTS_BACKWARD if backward else config.CPU_PARALLEL_MIN_WEIGHTS,
                  panel, threads)


def panel_units(P):
    """The width of the panels P (cpu_packed.pack), 0 for none."""
    return P.shape[2] if P.size > 0 else 0


def one_thread_each(B, G, H, R):
    """Whether two independent kernel calls of this shape (a bidirectional layer's directions) should run at once
    in two Python threads, each on its own core (inside on_this_thread()): when Numba has 2 threads or more and
    neither the forward nor the backward loop would cut its batch rows, nor its units by the backward's rule
    (the forward's own rule splits smaller steps, where one core per direction is faster still)."""
    threads = num_threads()
    return threads > 1 and not _row_split(B, G, H, R, threads) \
        and chunks(B, G, H, R, config.CPU_PARALLEL_MIN_WEIGHTS_BACKWARD, 0, threads) == 1


@inline
def _transpose_rows(out, a, k0, k1, c):
    """Block c of W rows of a (W = one vector's lanes) from row k0 on: out[m, k - k0] = a[k, m] for those k < k1
    and every m, in W x W tiles transposed in registers (cpu_packed.transpose_block; zeros past k1)."""
    W = VECTOR_BYTES // a.itemsize
    M = a.shape[1]
    k = k0 + c * W
    for m0 in range(0, M, W):
        transpose_block(out, a, k, m0, k - k0, min(W, k1 - k), min(W, M - m0))


@numba.njit(**JIT)
def _transpose_serial(out, a, k0, k1):
    W = VECTOR_BYTES // a.itemsize
    for c in range((k1 - k0 + W - 1) // W):
        _transpose_rows(out, a, k0, k1, c)


@kernel
def _transpose_parallel(out, a, k0, k1):
    W = VECTOR_BYTES // a.itemsize
    for c in prange((k1 - k0 + W - 1) // W):
        _transpose_rows(out, a, k0, k1, c)


SUM_ROWS = 512                  # rows of a that one task of column_sums adds up (fixed: the same bits on any threads)


@inline
def _sum_rows(part, a, c):
    """part[c, j] = a[k0, j] + a[k0 + 1, j] + ... in row order over chunk c of SUM_ROWS rows."""
    K, M = a.shape
    k0 = c * SUM_ROWS
    acc = part[c]
    first = a[k0]
    for j in range(M):
        acc[j] = first[j]
    for k in range(k0 + 1, min(K, k0 + SUM_ROWS)):
        row = a[k]
        for j in range(M):
            acc[j] += row[j]


@inline
def _add_parts(out, part):
    M = out.shape[0]
    for j in range(M):
        out[j] = part[0, j]
    for c in range(1, part.shape[0]):
        for j in range(M):
            out[j] += part[c, j]


@numba.njit(**JIT)
def _column_sums_serial(out, a):
    part = np.empty(((a.shape[0] + SUM_ROWS - 1) // SUM_ROWS, a.shape[1]), a.dtype)
    for c in range(part.shape[0]):
        _sum_rows(part, a, c)
    _add_parts(out, part)


@kernel
def _column_sums_parallel(out, a):
    part = np.empty(((a.shape[0] + SUM_ROWS - 1) // SUM_ROWS, a.shape[1]), a.dtype)
    for c in prange(part.shape[0]):
        _sum_rows(part, a, c)
    _add_parts(out, part)


def column_sums(a):
    """a [K >= 1, M] summed over its rows -> [M]: chunks of SUM_ROWS rows each added in row order (up to SUM_ROWS
    rows the same bits as NumPy's a.sum(axis=0)), then the chunks' sums in order; the chunks over Numba's threads
    from 2^18 elements and more than SUM_ROWS rows up. db of a backward: T*B = 32768 rows of 256 columns took
    NumPy 1.76 ms on one thread, this 0.63 ms on two (benchmarks/probes/column_sums.py, probes_session16.txt)."""
    out = np.empty(a.shape[1], a.dtype)
    sums = _column_sums_parallel if sums_parallel(*a.shape) else _column_sums_serial
    sums(out, a)
    return out


def sums_parallel(K, M):
    """Whether column_sums of [K, M] runs on Numba's threads."""
    return _parallel(K * M * 16) and K > SUM_ROWS


def weight_grads(da, inputs, rows=None):
    """[sum over (t, b) of da[t, b, :r] (x) x[t, b] -> [r, N] for x, r in zip(inputs, rows)]: da [T, B, M],
    each x [T, B, N] (rows: M for each when None), the GEMMs da^T x with k = the T*B rows.

    da^T is what the GEMMs' rows read, and as a view of da each of its rows is a column of da: over more than one
    panel of x's columns the kernel then copies slices of it per task (packed_products), which ran these GEMMs
    at 60% of the rate on contiguous rows here (config.CPU_GRAD_CHUNK_BYTES). So from config.CPU_ROW_BLOCK rows
    of da^T and two panels up, it is transposed chunk by chunk of k (about CPU_GRAD_CHUNK_BYTES, a multiple of
    KC, into one buffer) and every x's GEMM adds that chunk's product into its result: the same sums, in the
    same order, as one GEMM over all of k."""
    T, B, M = da.shape
    rows = [M] * len(inputs) if rows is None else rows
    K = T * B
    xs = [np.ascontiguousarray(x).reshape(K, x.shape[2]) for x in inputs]
    widest = max(x.shape[1] for x in xs)
    if grads_in_place(M, widest, da.itemsize) or not da.flags.c_contiguous:
        a = np.ascontiguousarray(da).reshape(K, M)
        return [matmul((a if r == M else np.ascontiguousarray(a[:, :r])).T, x) for x, r in zip(xs, rows)]
    a = da.reshape(K, M)
    W = VECTOR_BYTES // da.itemsize
    steps = chunk_steps(K, M, da.itemsize)
    buf = cpu_pool.empty((M, (steps + W - 1) // W * W), da.dtype)
    outs = [cpu_pool.empty((r, x.shape[1]), da.dtype) for x, r in zip(xs, rows)]
    transpose = _transpose_parallel if _parallel(M * K * widest) else _transpose_serial
    for k0 in range(0, K, steps):
        k1 = min(K, k0 + steps)
        transpose(buf, a, k0, k1)
        for out, x, r in zip(outs, xs, rows):
            gemm(buf[:r], pack(x[k0:k1]), x.shape[1], out=out, add=k0 > 0)
    return outs


def chunk_steps(K, M, itemsize):
    """The rows of da [K, M] (values of k) per chunk that weight_grads transposes: about
    config.CPU_GRAD_CHUNK_BYTES, a multiple of KC."""
    return min(K, max(KC, config.CPU_GRAD_CHUNK_BYTES // (M * itemsize) // KC * KC))


def grads_in_place(M, widest, itemsize):
    """Whether weight_grads reads da^T (M rows) as a view, not transposed in chunks: with
    config.CPU_GRAD_CHUNK_BYTES 0, fewer than a row block of rows, or the widest x one panel wide (then the view
    is read in place)."""
    return config.CPU_GRAD_CHUNK_BYTES == 0 or widest * itemsize <= PANEL_BYTES or M < config.CPU_ROW_BLOCK


def input_grads(da, x, w_ih, hp, hp_rows=None):
    """From da = dL/d(W_ih x_t + b_ih) [T, B, G*H] and the tape's h_{t-1} hp [T, B, R]: (dx [T, B, I],
    dw_ih [G*H, I], da[:, :, :hp_rows]^T hp [hp_rows, R] (the part of dw_hh that da makes; all G*H rows when
    None), db [G*H]); the two weight gradients share da's transposed chunks (weight_grads)."""
    T, B, GH = da.shape
    rows = np.ascontiguousarray(da).reshape(T * B, GH)
    dx = matmul(rows, np.ascontiguousarray(plain(w_ih)), panels=lambda: weight_panels(w_ih),
                kept=is_prepacked(w_ih)).reshape(x.shape)
    dw_ih, dw_hh = weight_grads(da, (x, hp), (GH, GH if hp_rows is None else hp_rows))
    return dx, dw_ih, dw_hh, column_sums(da.reshape(T * B, GH))


def with_bias_grads(grads, has_bias, db_ih, db_hh):
    """grads plus db_ih, db_hh when the forward had biases (the contract returns them only then)."""
    if has_bias:
        grads["db_ih"] = db_ih
        grads["db_hh"] = db_hh
    return grads
