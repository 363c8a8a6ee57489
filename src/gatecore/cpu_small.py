"""A small forward as one compiled call: the input projection, the arrays and the time loop in one Numba function.

A forward that runs all on the calling thread (no parallel GEMM, pack or time loop) and whose arrays are small
spends most of its time in the Python between its kernels: LSTM T=16 B=1 H=64, float32, took ~48 us in the
backend's forward() of which ~29 were the two kernels (the input projection and the loop), and ~20 the dozen
Python steps around them (allocations, the split, the feed, the bias, each at 0.5-6 us in a call).
Where takes() says so, each cell's cpu.forward calls its `_small_forward` instead: inputs() (step_inputs on this
thread, compiled), the arrays allocated in the compiled code, and the cell's own _forward_loop with split 1 and
no feed. The same kernels on the same operands in the same order: bitwise the result of the general path.
"""
from __future__ import annotations

import numba
import numpy as np

from . import config, cpu_common as cc, cpu_feed, cpu_packed


def takes(x, w_ih, R, split, lengths, reverse):
    """Whether a forward over x [T, B, I] with w_ih [G*H, I] (h R wide), its loop cut `split` ways (step_split),
    runs as one compiled call: its pre-activations are under config.CPU_SMALL_MAX_BYTES (then every array the
    general path makes is NumPy's, none from cpu_pool), the general path would run it in one piece (not in time
    chunks: cpu_common.time_chunks; at most config.CPU_CHUNK_MIN_BYTES) and start no parallel region: the
    loop stays on one thread unfed (cpu_feed.fed), and the input projection's product and pack are below their
    thresholds (cpu_common.matmul; W_ih^T is packed only where x^T is not, few_rows). The loop's W_hh panels are
    the caller's (cpu_common.panels, whichever way they were made)."""
    T, B, I = x.shape
    M, GH = T * B, w_ih.shape[0]
    nbytes = M * GH * x.itemsize
    if split != 1 or nbytes >= config.CPU_SMALL_MAX_BYTES or nbytes > config.CPU_CHUNK_MIN_BYTES:
        return False
    few = cc.few_rows(M, GH) or M == 1
    if not few and type(w_ih) is not np.ndarray:        # prepacked: its kept panels, through the general path
        return False
    if not cc.threads_free():
        return True
    return M * GH * I < config.CPU_GEMM_PARALLEL_MIN_WORK \
        and (few or w_ih.nbytes < config.CPU_PACK_PARALLEL_MIN_BYTES) \
        and not cpu_feed.fed(split, x, GH, R, lengths, reverse)


@numba.njit(**cc.JIT)
def inputs(x, w_ih, bias, row_block):
    """cpu_common.step_inputs on the calling thread: (gates, x1, w1, bias1), gates [T, B, G*H] = x W_ih^T + bias
    (bias empty: none), or for a single row (T = B = 1) gates to be filled in the loop from x1 = x[0], w1 = w_ih and
    bias1 = bias. Fewer rows than a row block (row_block = config.CPU_ROW_BLOCK) and than G*H: x^T packed (matmul's
    few-rows case); else W_ih^T packed and gemm's blocks of rows."""
    T, B, I = x.shape
    GH = w_ih.shape[0]
    M = T * B
    rows = x.reshape((M, I))
    if M == 1:
        return np.empty((1, B, GH), x.dtype), rows, w_ih, bias
    if M < row_block and M < GH:
        gates = cc._gemm_transposed_packing(rows, w_ih, bias, row_block, False, I)
    else:
        PW = cpu_packed.PANEL_BYTES // x.itemsize
        panels = (GH + PW - 1) // PW
        n = panels * I * PW
        P = cc._aligned_flat(n + PW, x, False)[:n].reshape((panels, I, PW))      # (empty_panels' slack)
        cpu_packed.pack_transposed(P, w_ih, 0, panels)
        gates = np.empty((M, GH), x.dtype)
        cc._gemm_serial(gates, P, rows, bias, row_block, False)
    none2 = np.zeros((0, 0), x.dtype)
    return gates.reshape((T, B, GH)), none2, none2, np.zeros(0, x.dtype)


@numba.njit(**cc.JIT)
def bias_sum(b_ih, b_hh):
    """b_ih + b_hh, or empty (no bias) for empty ones."""
    return b_ih + b_hh if b_ih.shape[0] > 0 else np.zeros(0, b_ih.dtype)


@numba.njit(**cc.JIT)
def state(s0, B, width, like):
    """hbuf [2, B, width] with hbuf[0] = s0, zeros where s0 is empty (not given): cpu_common.initial_state."""
    hbuf = np.zeros((2, B, width), like.dtype)
    if s0.shape[0] > 0:
        hbuf[0] = s0
    return hbuf


@numba.njit(**cc.JIT)
def lengths_and_outputs(lengths, T, B, width, like):
    """(lengths, y [T, B, width]): lengths empty (every sequence full) becomes [T] * B and y is left
    uninitialised (the loop writes all of it), else y is zeros (cpu_common.outputs)."""
    if lengths.shape[0] == 0:
        return np.full(B, T, np.int64), np.empty((T, B, width), like.dtype)
    return lengths, np.zeros((T, B, width), like.dtype)


NO_LENGTHS = np.zeros(0, np.int64)      # _small_forward's lengths when every sequence is full
