"""A forward as one compiled call: the input projection, W_hh's panels, the arrays and the time loop in one Numba
function, with the same kernels (threaded or not) as the general path.

A forward spends time in the Python between its kernels: LSTM T=16 B=1 H=64, float32, took ~48 us in the
backend's forward() of which ~29 were the two kernels (the input projection and the loop), and ~20 the dozen
Python steps around them (allocations, the split, the feed, the bias, each at 0.5-6 us in a call). At T=16 B=16
H=64 the same pieces as one compiled call took 114 us against 149 through the general path: the Python, and
memory that the pool (cpu_pool) hands out after the other core wrote it last (W_hh^T packed into it: 12-18 us in a
call, ~2 us into memory malloc just freed on this thread).
Where plan() says so (a forward in one piece without a projection: config.CPU_COMPILED_MAX_BYTES says how
large), each cell's cpu.forward calls its `_compiled_forward` instead: inputs() (the projection as
cpu_common.matmul would make it, or the feed of cpu_feed.inputs), recurrent_panels() (cpu_common.panels), arrays
from Numba's allocator on cache lines, and the cell's own _forward_loop with the split step_split chose. Python decides (plan(): the
config knobs are read at each call) and the compiled code follows, so each product and pack runs the kernel the
general path would run, threaded where it would be: bitwise the general path's results.
"""
from __future__ import annotations

import numba
import numpy as np

from . import config, cpu_common as cc, cpu_feed, cpu_packed, cpu_sync
from .prepacked import is_prepacked

# how inputs() makes the projection (cpu_common.step_inputs and matmul): in the step (a single row), on packed
# x^T (fewer rows than columns and than a row block), on W_ih^T packed here, packed by the threads that read
# it (cpu_common._owned_panels), on a prepacked W_ih's kept panels, or by a second thread as the loop runs
# (gatecore.cpu_feed)
ONE_ROW, FEW_ROWS, PACKED, OWNED, KEPT, FED = range(6)
NO_LENGTHS = np.zeros(0, np.int64)      # _compiled_forward's lengths when every sequence is full


def plan(x, w_ih, w_hh, G, R, lengths, reverse):
    """How a forward over x [T, B, I] (w_ih [G*H, I], w_hh [G*H, R]) runs as one compiled call, or None (the
    general path): when its pre-activations take less than config.CPU_COMPILED_MAX_BYTES (its arrays then come from
    Numba's allocator, not from cpu_pool) and it runs in one piece (at most config.CPU_CHUNK_MIN_BYTES: not in
    cpu_common.time_chunks). Else (split, hh, P_hh, projection): step_split's split; hh = 0 (P_hh: the kept
    panels of a prepacked W_hh, or none), 1 or 2 (pack W_hh^T in the call, on this thread or on the threads:
    cpu_common.pack_parallel); projection = (how, pack on the threads, product on the threads, k block, threads,
    row block, kept W_ih^T panels, steps per feeding task) for inputs()."""
    T, B, I = x.shape
    M, GH = T * B, w_ih.shape[0]
    nbytes = M * GH * x.itemsize
    if nbytes >= config.CPU_COMPILED_MAX_BYTES or nbytes > config.CPU_CHUNK_MIN_BYTES:
        return None
    none3 = cc.none(x.dtype, 3)
    PW = cpu_packed.PANEL_BYTES // x.itemsize
    if is_prepacked(w_hh):
        hh, P_hh = 0, cc.panels(w_hh, T, B)
        panel = cc.panel_units(P_hh)
    else:
        hh = 0 if not cc.packs(w_hh, T, B) else 2 if cc.pack_parallel(w_hh.T) else 1
        P_hh, panel = none3, PW if hh else 0
    split = cc.step_split(B, G, GH // G, R, panel=panel, itemsize=x.itemsize)
    work = M * GH * I
    parallel, pack_parallel, kblock, threads, P_ih, steps = cc._parallel(work), False, I, 0, none3, 0
    if cpu_feed.fed(split, x, GH, R, lengths, reverse):
        how, steps = FED, max(1, config.CPU_FEED_ROWS // B)
        if is_prepacked(w_ih):
            P_ih = cc.transposed_panels(w_ih)
    elif M == 1:
        how = ONE_ROW
    elif cc.few_rows(M, GH):
        how = FEW_ROWS
        kblock = cc._k_block(-(-M // PW) * I * cpu_packed.PANEL_BYTES, I)
    elif is_prepacked(w_ih):
        how, P_ih = KEPT, cc.transposed_panels(w_ih)
        kblock = cc.k_block(P_ih)
    elif cpu_packed.transposed(w_ih.T) and cc._owned_panels(M, GH, I, x.itemsize):
        how, threads = OWNED, cc.num_threads()
    else:
        how, pack_parallel = PACKED, cc.pack_parallel(w_ih.T)
        kblock = cc._k_block(-(-GH // PW) * I * cpu_packed.PANEL_BYTES, I)
    return split, hh, P_hh, (how, pack_parallel, parallel, kblock, threads, config.CPU_ROW_BLOCK, P_ih, steps)


@numba.njit(**cc.JIT)
def transposed_panels(w, parallel):
    """pack(w^T) (cpu_common.transposed_panels), on the threads with `parallel`."""
    P = cc.transposed_empty_panels(w)
    if parallel:
        cc._pack_transposed_parallel(P, w)
    else:
        cpu_packed.pack_transposed(P, w, 0, P.shape[0])
    return P


@numba.njit(**cc.JIT)
def recurrent_panels(w_hh, hh, P_hh):
    """The loop's W_hh^T panels: P_hh as given (hh 0: kept, or none), else packed here (plan())."""
    return P_hh if hh == 0 else transposed_panels(w_hh, hh == 2)


@numba.njit(**cc.JIT)
def inputs(x, w_ih, bias, projection, idle):
    """cpu_feed.inputs as plan() found the general path would run it: (gates, x1, w1, bias1, feed), gates
    [T, B, G*H] = x W_ih^T + bias (bias empty: none) and feed = idle (cpu_feed.idle); or for a single row
    (T = B = 1) gates to be filled in the loop from x1 = x[0], w1 = w_ih and bias1 = bias; or gates to be filled
    by the feed (W_ih^T packed by its first task where not kept)."""
    how, pack_parallel, parallel, kblock, threads, row_block, P_ih, steps = projection
    T, B, I = x.shape
    GH = w_ih.shape[0]
    M = T * B
    rows = x.reshape((M, I))
    none2 = np.zeros((0, 0), x.dtype)
    none1 = np.zeros(0, x.dtype)
    if how == ONE_ROW:
        return np.empty((1, B, GH), x.dtype), rows, w_ih, bias, idle
    if how == FED:
        pack = P_ih.shape[0] == 0
        P = cc.transposed_empty_panels(w_ih) if pack else P_ih
        tasks = cpu_sync.new_tasks((T + steps - 1) // steps + np.int64(pack))
        feed = (rows, w_ih, P, bias, tasks, steps, pack)
        return empty(T, B, GH, x), none2, none2, none1, feed
    if how == FEW_ROWS:
        gates = cc._gemm_transposed_packing(rows, w_ih, bias, row_block, parallel, kblock)
    else:
        gates = cc.aligned_empty(M, GH, x)
        if how == OWNED:
            cc._pack_gemm_parallel(gates, w_ih, rows, bias, cc.transposed_empty_panels(w_ih), row_block, threads)
        else:
            P = P_ih if how == KEPT else transposed_panels(w_ih, pack_parallel)
            if parallel:
                cc._gemm_parallel(gates, P, rows, bias, row_block, kblock, False)
            else:
                cc._gemm_serial(gates, P, rows, bias, row_block, False)
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
    return lengths, cc.aligned_zeros(T * B, width, like).reshape((T, B, width))
