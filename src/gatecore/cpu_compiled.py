"""A forward or a backward as one compiled call: the products, the packs, the arrays and the time loop in one Numba
function, with the same kernels (threaded or not) as the general path.

A forward spends time in the Python between its kernels: LSTM T=16 B=1 H=64, float32, took ~48 us in the
backend's forward() of which ~29 were the two kernels (the input projection and the loop), and ~20 the dozen
Python steps around them (allocations, the split, the feed, the bias, each at 0.5-6 us in a call). At T=16 B=16
H=64 the same pieces as one compiled call took 114 us against 149 through the general path: the Python, and
memory that the pool (cpu_pool) hands out after the other core wrote it last (W_hh^T packed into it: 12-18 us in a
call, ~2 us into memory malloc just freed on this thread). A backward has more such steps (W_hh's panels, dx,
dW_ih, dW_hh and db each a matmul or a sum from Python, ~5-15 us apiece in a call at T=16 B=1 H=64).
Where plan() says so (a forward in one piece without a projection: config.CPU_COMPILED_MAX_BYTES says how
large), each cell's cpu.forward calls its `_compiled_forward` instead: inputs() (the projection as
cpu_common.matmul would make it: cpu_common.planned_matmul, or the feed of cpu_feed.inputs), panels()
(cpu_common.panels), arrays from Numba's allocator on cache lines, and the cell's own _forward_loop with the
split step_split chose. Where grads_plan() says so (da under the same limit, no projection), each cell's
cpu.backward makes two compiled calls: its `_compiled_backward` (the loop's panels: panels(); da from the cell's
_backward_loop), then input_grads(), one function for every cell (cpu_common.input_grads: dx by planned_matmul,
the weight gradients by weight_grads(), in place or on da^T transposed in chunks as cpu_common.weight_grads
makes them, db by column_sums()). Two calls, not one: input_grads' code inside every cell's call made each fresh
process load it six times (three cells, two dtypes), ~30-40 ms a load; apart it loads once per dtype, for
~1-2 us more per backward (benchmarks/results/probes_session26.txt). Python decides (plan(), grads_plan(): the
rules are cpu_common's own: matmul_way, gemm_way, pack_threads, grads_in_place, chunk_steps, sums_parallel) and the
compiled code follows, so each product and pack runs the kernel the general path would run, threaded where it
would be: bitwise the general path's results. A plan is made once per shape and kept (_PLANS), keyed also by
what the rules read besides the shape (Numba's thread count, on_this_thread(), config.version: any knob set
since); making one took 1.5-2.9 us of a ~10 us call at T=1 (benchmarks/results/probes_session28.txt).
"""
from __future__ import annotations

import numba
import numpy as np

from . import config, cpu_common as cc, cpu_feed, cpu_packed, cpu_sync
from .prepacked import is_prepacked

# how inputs() makes the projection: at the loop's first step (a short single sequence: cpu_common.step_inputs),
# by a second thread as the loop runs (gatecore.cpu_feed), or as cpu_common.matmul would (planned_matmul: its
# FEW_ROWS, OWNED or PACKED way)
FEW_ROWS, OWNED, PACKED = cc.FEW_ROWS, cc.OWNED, cc.PACKED
IN_LOOP, FED = 3, 4
NO_LENGTHS = np.zeros(0, np.int64)      # _compiled_forward's lengths when every sequence is full


_PLANS = {}             # plan() and grads_plan() by their key (_key): what Python decided for a shape, ~1-2 us a call
_PLANS_MAX = 1024        # kept plans; past that the dict starts again


def _key(*shape):
    """A cached plan's key: the call's shapes and flags, with what else the rules read (Numba's thread count, the
    calling thread inside on_this_thread(), and config.version: any knob set since)."""
    return shape + (cc.num_threads(), cc.on_one_thread(), config.version)


def _kept(key, make, *args):
    """_PLANS[key], made by make(*args) the first time."""
    found = _PLANS.get(key, _PLANS)
    if found is _PLANS:
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        found = _PLANS[key] = make(*args)
    return found


def plan(x, w_ih, w_hh, G, R, lengths, reverse):
    """_plan(), kept per shape (_PLANS): not for prepacked weights (the plan holds their panels) nor for reverse
    sequences of given lengths (whether they are fed depends on the lengths' values)."""
    if is_prepacked(w_ih) or is_prepacked(w_hh) or (reverse and lengths is not None):
        return _plan(x, w_ih, w_hh, G, R, lengths, reverse)
    key = _key("forward", x.shape, x.dtype, w_ih.shape[0], G, R, reverse, w_hh.flags.c_contiguous)
    return _kept(key, _plan, x, w_ih, w_hh, G, R, lengths, reverse)


def _plan(x, w_ih, w_hh, G, R, lengths, reverse):
    """How a forward over x [T, B, I] (w_ih [G*H, I], w_hh [G*H, R]) runs as one compiled call, or None (the
    general path): when its pre-activations take less than config.CPU_COMPILED_MAX_BYTES (its arrays then come from
    Numba's allocator, not from cpu_pool) and it runs in one piece (at most config.CPU_CHUNK_MIN_BYTES: not in
    cpu_common.time_chunks). Else (split, hh, P_hh, projection): step_split's split; hh = 0 (P_hh: the kept
    panels of a prepacked W_hh, or none), else pack W_hh^T in the call on hh - 1 threads (0: this thread alone;
    pack_threads()); projection = (how, way, P_ih, steps): how IN_LOOP, FED (steps per feeding task) or
    matmul's way (way = cpu_common.matmul_way(), P_ih a prepacked W_ih's kept panels where it reads them)."""
    T, B, I = x.shape
    M, GH = T * B, w_ih.shape[0]
    nbytes = M * GH * x.itemsize
    if nbytes >= config.CPU_COMPILED_MAX_BYTES or nbytes > config.CPU_CHUNK_MIN_BYTES:
        return None
    none3 = cc.none(x.dtype, 3)
    if is_prepacked(w_hh):
        hh, P_hh = 0, cc.panels(w_hh, T, B)
        panel = cc.panel_units(P_hh)
    else:
        hh = 1 + pack_threads(w_hh.T) if cc.packs(w_hh, T, B) else 0
        P_hh, panel = none3, panel_width(x) if hh else 0
    split = cc.step_split(B, G, GH // G, R, panel=panel, itemsize=x.itemsize)
    prepacked = is_prepacked(w_ih)
    way = cc.matmul_way(M, I, GH, x.itemsize, cc.transposes(M, I), cc.transposes(GH, I), not prepacked, prepacked)
    if cc.projects_in_loop(T, B):
        how, steps = IN_LOOP, 0
    elif cpu_feed.fed(split, x, GH, R, lengths, reverse):
        how, steps = FED, max(1, config.CPU_FEED_ROWS // B)
    else:
        how, steps = way[0], 0
    P_ih = cc.transposed_panels(w_ih) if prepacked and how in (FED, PACKED) else none3
    return split, hh, P_hh, (how, way, P_ih, steps)


def pack_threads(m):
    """The threads cpu_common.pack(m) shares its copy over (0: the calling thread alone; cpu_common.pack_threads)."""
    return cc.pack_threads(m.nbytes, m.shape[1], m.itemsize, cpu_packed.transposed(m))


@numba.njit(**cc.JIT)
def panels(m, hh, P):
    """A loop's panels of m (pack(m): W_hh^T's for a forward, cpu_common.panels; W_hh's for a backward,
    cpu_common.weight_panels): P as given (hh 0: kept, or none), else packed here on hh - 1 threads (plan(),
    weight_panels())."""
    return P if hh == 0 else cc.packed(m, hh - 1)


@numba.njit(**cc.JIT)
def inputs(x, w_ih, bias, projection, idle):
    """cpu_feed.inputs as plan() found the general path would run it: (gates, x1, w1, bias1, feed), gates
    [T, B, G*H] = x W_ih^T + bias (bias empty: none) and feed = idle (cpu_feed.idle); or for a short single
    sequence (cpu_common.projects_in_loop) gates to be filled at the loop's first step from x1 = x's rows, w1 = w_ih
    and bias1 = bias; or gates to be filled by the feed (W_ih^T packed by its first task where not kept)."""
    how, way, P_ih, steps = projection
    T, B, I = x.shape
    GH = w_ih.shape[0]
    rows = x.reshape((T * B, I))
    none2 = np.zeros((0, 0), x.dtype)
    none1 = np.zeros(0, x.dtype)
    if how == IN_LOOP:
        return empty(T, B, GH, x), rows, w_ih, bias, idle
    if how == FED:
        pack = P_ih.shape[0] == 0
        P = cc.transposed_empty_panels(w_ih) if pack else P_ih
        tasks = cpu_sync.new_tasks((T + steps - 1) // steps + np.int64(pack))
        feed = (rows, w_ih, P, bias, tasks, steps, pack)
        return empty(T, B, GH, x), none2, none2, none1, feed
    gates = cc.planned_matmul(rows, w_ih.T, bias, way, P_ih)
    return gates.reshape((T, B, GH)), none2, none2, none1, idle


@numba.njit(**cc.JIT)
def bias_sum(b_ih, b_hh):
    """b_ih + b_hh, or empty (no bias) for empty ones."""
    return b_ih + b_hh if b_ih.shape[0] > 0 else np.zeros(0, b_ih.dtype)


@numba.njit(**cc.JIT)
def empty(T, B, width, like):
    """[T, B, width] of like's dtype, uninitialised, on a cache line (cpu_common.aligned: the loop's threads
    write neighbouring ranges of it)."""
    return cc.aligned_empty(T * B, width, like).reshape((T, B, width))


@numba.njit(**cc.JIT)
def state(s0, B, width, like):
    """hbuf [2, B, width] with hbuf[0] = s0, zeros where s0 is empty (not given): cpu_common.initial_state."""
    hbuf = cc.aligned_zeros(2 * B, width, like).reshape((2, B, width))
    if s0.shape[0] > 0:
        hbuf[0] = s0
    return hbuf


@numba.njit(**cc.JIT)
def lengths_and_outputs(lengths, T, B, width, like):
    """(lengths, y [T, B, width]): lengths empty (every sequence full) becomes [T] * B and y is left
    uninitialised (the loop writes all of it), else y is zeros (cpu_common.outputs)."""
    if lengths.shape[0] == 0:
        return np.full(B, T, np.int64), empty(T, B, width, like)
    return lengths, zeros(T, B, width, like)


def weight_panels(w, r0=0, r1=None):
    """(hh, P) for panels(): a prepacked w's kept panels of w[r0:r1] (cpu_common.weight_panels), hh = 0;
    else hh = 1 + pack_threads(w[r0:r1]) (pack it in the call)."""
    if is_prepacked(w):
        return 0, cc.weight_panels(w, r0, r1)
    return 1 + pack_threads(cc.plain(w)[r0:r1]), cc.none(w.dtype, 3)


def grads_plan(gates, x, w_ih, hp, hp_rows, n_rows=0):
    """_grads_plan(), kept per shape (_PLANS), but for a prepacked w_ih (the plan may hold its panels)."""
    if is_prepacked(w_ih):
        return _grads_plan(gates, x, w_ih, hp, hp_rows, n_rows)
    key = _key("backward", gates.shape, x.shape[2], hp.shape[2], x.dtype, hp_rows, n_rows)
    return _kept(key, _grads_plan, gates, x, w_ih, hp, hp_rows, n_rows)


def _grads_plan(gates, x, w_ih, hp, hp_rows, n_rows=0):
    """How cpu_common.input_grads(da, x, w_ih, hp, hp_rows) runs as input_grads(), for da of gates' shape
    [T, B, G*H] (C-contiguous), or None (the general path, its arrays from cpu_pool) where da takes
    config.CPU_COMPILED_MAX_BYTES or more, or where the arrays the backward allocates take more than
    config.CPU_COMPILED_BACKWARD_MAX_BYTES. n_rows: the rows of the GRU's W_hn, whose gradient dn^T h_in [n_rows, R]
    input_grads() adds (0: none). Else (dx's way, P_ih, weight_grads_plan() of dW_ih and dW_hh, db on the
    threads, weight_grads_plan() of dn^T h_in, dn's sums on the threads): dx's way as input_grads' matmul takes it
    (cpu_common.matmul_way), P_ih a prepacked W_ih's kept panels (cpu_common.weight_panels) where it reads them;
    without n_rows, stand-ins of the same types for dn's."""
    T, B, GH = gates.shape
    K, I, R = T * B, x.shape[2], hp.shape[2]
    if gates.nbytes >= config.CPU_COMPILED_MAX_BYTES:
        return None
    weights = weight_grads_plan(K, GH, (I, R), (GH, hp_rows), x.itemsize)
    n_ways = weight_grads_plan(K, n_rows, (R, R), (n_rows, 0), x.itemsize) if n_rows else weights
    in_place, _, (steps, *_) = weights
    # what the backward allocates: da, dx, both weights' panels and gradients, x and h packed, da^T's chunk, and
    # the GRU's dn and h_in (what W_hn multiplies)
    allocated = K * GH + K * I + 2 * GH * (I + R) + K * (I + R) + (0 if in_place else GH * steps) \
        + (K * (n_rows + R) if n_rows else 0)
    if allocated * x.itemsize > config.CPU_COMPILED_BACKWARD_MAX_BYTES:
        return None
    dx = cc.matmul_way(K, GH, I, x.itemsize, cc.transposes(K, GH), False, False, is_prepacked(w_ih))
    P_ih = cc.weight_panels(w_ih) if is_prepacked(w_ih) and dx[0] == PACKED else cc.none(x.dtype, 3)
    return dx, P_ih, weights, cc.sums_parallel(K, GH), n_ways, n_rows > 0 and cc.sums_parallel(K, n_rows)


def weight_grads_plan(K, M, columns, rows, itemsize):
    """How cpu_common.weight_grads(da, (x, h), rows) runs inside a kernel (weight_grads()), for da [K, M], x and h
    [K, N] with their N in `columns` and rows = (M, h's rows: 0 for no h): (in place, ways, chunks). In place
    (cpu_common.grads_in_place): ways holds each product's matmul_way (da[:, :r]^T x). Else da^T is transposed in
    chunks of `steps` values of k (cpu_common.chunk_steps): chunks = (steps, the transposes on the threads, each
    product's gemm_way for a full chunk, for the last). The unused part holds stand-ins of the same types."""
    ways = tuple(cc.matmul_way(r, K, N, itemsize, False, False, True) for N, r in zip(columns, rows))
    in_place = cc.grads_in_place(M, max(columns), itemsize)
    if in_place:
        return True, ways, (1, False, ways, ways)
    steps = cc.chunk_steps(K, M, itemsize)
    last = K - (K - 1) // steps * steps
    full = tuple(cc.gemm_way(r, steps, N, itemsize, False) for N, r in zip(columns, rows))
    return False, ways, (steps, cc._parallel(M * K * max(columns)),
                         full, tuple(cc.gemm_way(r, last, N, itemsize, False) for N, r in zip(columns, rows)))


def panel_width(like):
    """The width of the panels pack() makes for like's dtype (cpu_common.panel_units of any of them)."""
    return cpu_packed.PANEL_BYTES // like.itemsize


@numba.njit(**cc.JIT)
def zeros(T, B, width, like):
    """Zeros [T, B, width] of like's dtype on a cache line (outputs with padding, the arrays a backward loop
    fills)."""
    return cc.aligned_zeros(T * B, width, like).reshape((T, B, width))


@numba.njit(**cc.JIT)
def copy(a):
    """A writable copy of a [B, width] on a cache line (cpu_common.state_or_zeros)."""
    out = cc.aligned_empty(a.shape[0], a.shape[1], a)
    out[:] = a
    return out


@numba.njit(**cc.JIT)
def column_sums(a, parallel):
    """cpu_common.column_sums(a), on the threads with `parallel` (cpu_common.sums_parallel)."""
    out = np.empty(a.shape[1], a.dtype)
    if parallel:
        cc._column_sums_parallel(out, a)
    else:
        cc._column_sums_serial(out, a)
    return out


@numba.njit(**cc.JIT)
def input_grads(da, x, w_ih, hp, hp_rows, dn, h_in, plan):
    """cpu_common.input_grads(da, x, w_ih, hp, hp_rows) the way grads_plan() found it runs: (dx [T, B, I],
    dW_ih [G*H, I], dW_hh [hp_rows + N, R], db_ih [G*H], db_hh [G*H]), the same products on the same panels.
    dW_hh's first hp_rows rows are da[:, :, :hp_rows]^T hp; the last N, dn^T h_in for dn [T*B, N] and
    h_in [T*B, R] (the GRU's W_hn, which multiplies h or r * h; N = 0 for the other cells). db_ih is da's
    column sums; db_hh the same but for its last N, dn's (N = G*H - hp_rows then)."""
    dx_way, P_ih, weights, sums_parallel, n_ways, n_sums_parallel = plan
    T, B, GH = da.shape
    K = T * B
    rows = da.reshape((K, GH))
    dx = cc.planned_matmul(rows, w_ih, np.zeros(0, da.dtype), dx_way, P_ih).reshape(x.shape)
    dw_ih, dw_hh = weight_grads(rows, x.reshape((K, x.shape[2])), hp.reshape((K, hp.shape[2])), hp_rows, weights)
    db_ih = column_sums(rows, sums_parallel)
    db_hh = db_ih.copy()
    N = dn.shape[1]
    if N > 0:
        rz = dw_hh
        dw_hh = np.empty((hp_rows + N, rz.shape[1]), da.dtype)
        dw_hh[:hp_rows] = rz
        dw_hh[hp_rows:] = weight_grads(dn, h_in, h_in, 0, n_ways)[0]
        db_hh[hp_rows:] = column_sums(dn, n_sums_parallel)
    return dx, dw_ih, dw_hh, db_ih, db_hh


@numba.njit(**cc.JIT)
def weight_grads(a, x, h, h_rows, plan):
    """cpu_common.weight_grads(da, (x, h), (M, h_rows)) inside a kernel, the way weight_grads_plan() found it
    runs, for a = da [K, M] (C-contiguous), x and h [K, *]: (a^T x, a[:, :h_rows]^T h; h_rows 0: none, empty)."""
    in_place, (x_way, h_way), chunks = plan
    if not in_place:
        return _chunked_weight_grads(a, x, h, h_rows, chunks)
    none1 = np.zeros(0, a.dtype)
    none3 = np.zeros((0, 0, 0), a.dtype)
    dw_x = cc.planned_matmul(a.T, x, none1, x_way, none3)
    if h_rows == 0:
        return dw_x, np.zeros((0, h.shape[1]), a.dtype)
    a_h = a if h_rows == a.shape[1] else np.ascontiguousarray(a[:, :h_rows])
    return dw_x, cc.planned_matmul(a_h.T, h, none1, h_way, none3)


@numba.njit(**cc.JIT)
def _chunked_weight_grads(a, x, h, h_rows, chunks):
    """weight_grads' transposed chunks: da^T chunk by chunk of k into one buffer (serial or threaded), and each
    product on that chunk added into its result (gemm on pack(x[k0:k1]), then on pack(h[k0:k1]))."""
    steps, transpose_parallel, full, last = chunks
    K, M = a.shape
    W = cpu_packed.VECTOR_BYTES // a.itemsize
    buf = cc.aligned_empty(M, (steps + W - 1) // W * W, a)
    dw_x = cc.aligned_empty(M, x.shape[1], a)
    dw_h = cc.aligned_empty(h_rows, h.shape[1], a)
    none1 = np.zeros(0, a.dtype)
    for k0 in range(0, K, steps):
        k1 = min(K, k0 + steps)
        if transpose_parallel:
            cc._transpose_parallel(buf, a, k0, k1)
        else:
            cc._transpose_serial(buf, a, k0, k1)
        x_way, h_way = full if k1 - k0 == steps else last
        cc.planned_gemm(dw_x, buf, cc.packed(x[k0:k1], x_way[3]), none1, x_way, k0 > 0)
        if h_rows > 0:
            cc.planned_gemm(dw_h, buf[:h_rows], cc.packed(h[k0:k1], h_way[3]), none1, h_way, k0 > 0)
    return dw_x, dw_h
