"""Backend "cuda" for the Elman RNN: @cuda.jit kernels, float32, forward and backward (contract in
gatecore.backends).

Equations, with the input part projected for all T*B rows by one GEMM:
    xw[t] = x[t] @ w_ih^T + b_ih + b_hh                     [T, B, H]
    h_t = act(xw[t] + w_hh @ h_{t-1}),  act = tanh or relu (cell.step)
Backward, processing steps in reverse:
    dh_t = dy[t] + w_hh^T da_{t+1};  da_t = cell.step_grad(h_t, dh_t)
    then dx = da @ w_ih, dw_ih = da^T x, dw_hh = da^T h_prev, db_ih = db_hh = Σ da   (cuda_common.input_grads)

Shapes (flat on the device, C order): x [T, B, I], w_ih [H, I], w_hh [H, H], b_ih/b_hh [H], h0 [B, H],
lengths int64 [B] (T where not given). Processing step s of row b is real iff s < lengths[b] and reads time
t = s, or t = lengths[b]-1-s with reverse; padding steps keep the state and leave y[t] = 0.
State: hs [2, B, H] (step s reads hs[s%2] and writes hs[(s+1)%2]).
Tape, in time order: h_t [T, B, H] and h_prev [T, B, H] (zeros at padding times, where da is 0 too).
"""
from __future__ import annotations

import numpy as np
from numba import cuda

from .. import cuda_common as cc
from . import cell

SHARED = cc.SHARED_FLOATS
G = cell.GATES
_step = cc.device_function(cell.step)
_step_grad = cc.device_function(cell.step_grad)
_ACT = {"tanh": cell.TANH, "relu": cell.RELU}


@cuda.jit(device=True)
def _forward_unit(s, b, j, w, w_unit, xw, hs, y, lengths, B, H, reverse, act, keep, h_tape, h_prev_tape):
    """Step s for row b, unit j; w[w_unit + k] = w_hh[j, k]."""
    L = lengths[b]
    cur = (s % 2) * B * H + b * H
    nxt = ((s + 1) % 2) * B * H + b * H
    h_prev = hs[cur + j]
    if s >= L:
        hs[nxt + j] = h_prev
        return
    th = (cc.time_of(s, L, reverse) * B + b) * H + j
    h = _step(xw[th] + cc.dot(w, w_unit, 1, hs, cur, H), act)
    hs[nxt + j] = h
    y[th] = h
    if keep:
        h_tape[th] = h
        h_prev_tape[th] = h_prev


@cuda.jit(cache=True)
def _forward_persistent(xw, w_hh, hs, y, lengths, T, B, H, reverse, act, keep, h_tape, h_prev_tape, U):
    w_sh = cuda.shared.array(SHARED, np.float32)
    j0 = cuda.blockIdx.x * U
    nu = min(U, H - j0)
    cc.load_rows(w_sh, w_hh, j0, nu, U, G, H)
    cuda.syncthreads()
    grid = cuda.cg.this_grid()
    for s in range(T):
        for item in range(cuda.threadIdx.x, nu * B, cuda.blockDim.x):
            u = item % nu
            _forward_unit(s, item // nu, j0 + u, w_sh, u * H, xw, hs, y, lengths, B, H, reverse, act, keep,
                          h_tape, h_prev_tape)
        grid.sync()


@cuda.jit(cache=True)
def _forward_step(s, xw, w_hh, hs, y, lengths, T, B, H, reverse, act, keep, h_tape, h_prev_tape):
    idx = cuda.grid(1)
    if idx < B * H:
        j = idx % H
        _forward_unit(s, idx // H, j, w_hh, j * H, xw, hs, y, lengths, B, H, reverse, act, keep, h_tape,
                      h_prev_tape)


def forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, nonlinearity, need_tape):
    """RNN forward on the GPU (contract in gatecore.backends): returns (y, h_n, saved or None)."""
    T, B, I = x.shape
    H = w_hh.shape[1]
    host = not cc.is_device(x)
    st = cc.stream()
    x, w_ih, w_hh, b_ih, b_hh, h0 = (cc.to_device(a, st) for a in (x, w_ih, w_hh, b_ih, b_hh, h0))
    lens, xw, y = cc.forward_inputs(st, x, w_ih, lengths, T, B, I, G, H, b_ih, b_hh)
    hs = cc.copy_or_zeros(h0, 2 * B * H, st)
    n_tape = T * B * H if need_tape else 1
    h_tape, h_prev_tape = cc.empty(n_tape, st), cc.zeros(n_tape, st)
    act = _ACT[nonlinearity]
    args = (xw, w_hh, hs, y, lens, T, B, H, int(reverse), act, int(need_tape), h_tape, h_prev_tape)
    cc.recur(st, _forward_persistent, _forward_step, args, G, H, B, range(T))
    h_n = cc.final_state(hs, T, B, H)
    y_out, h_n = cc.to_host_or_device(host, st, [(y, (T, B, H)), (h_n, (B, H))])
    saved = None
    if need_tape:
        saved = {"x": x, "w_ih": w_ih, "w_hh": w_hh, "lengths": lens, "h": h_tape, "h_prev": h_prev_tape,
                 "act": act, "shape": (T, B, I, H), "reverse": bool(reverse), "has_bias": b_ih is not None,
                 "host": host}
    return y_out, h_n, saved


@cuda.jit(device=True)
def _backward_unit(s, b, j, w, w_col, w_row, dy, dh_carry, dh0, da, h_tape, lengths, B, H, reverse, act):
    """Step s (T-1 down to 0; s = -1 writes dh0) for row b, unit j; w[w_col + r*w_row] = w_hh[r, j]."""
    t, rec = cc.backward_start(s, b, j, w, w_col, w_row, da, H, H, dh_carry, dh0, lengths, B, H, reverse)
    if t < 0:
        return
    k = b * H + j
    th = (t * B + b) * H + j
    da[th] = _step_grad(h_tape[th], dy[th] + dh_carry[k] + rec, act)
    dh_carry[k] = 0.0


@cuda.jit(cache=True)
def _backward_persistent(w_hh, dy, dh_carry, dh0, da, h_tape, lengths, T, B, H, reverse, act, U):
    w_sh = cuda.shared.array(SHARED, np.float32)
    j0 = cuda.blockIdx.x * U
    nu = min(U, H - j0)
    cc.load_cols(w_sh, w_hh, j0, nu, G * H, H)
    cuda.syncthreads()
    grid = cuda.cg.this_grid()
    for s in range(T - 1, -2, -1):
        for item in range(cuda.threadIdx.x, nu * B, cuda.blockDim.x):
            u = item % nu
            _backward_unit(s, item // nu, j0 + u, w_sh, u * G * H, 1, dy, dh_carry, dh0, da, h_tape, lengths,
                           B, H, reverse, act)
        grid.sync()


@cuda.jit(cache=True)
def _backward_step(s, w_hh, dy, dh_carry, dh0, da, h_tape, lengths, T, B, H, reverse, act):
    idx = cuda.grid(1)
    if idx < B * H:
        j = idx % H
        _backward_unit(s, idx // H, j, w_hh, j, H, dy, dh_carry, dh0, da, h_tape, lengths, B, H, reverse, act)


def backward(saved, dy, dh_n):
    """RNN backward on the GPU: {dx, dh0, dw_ih, dw_hh[, db_ih, db_hh]}."""
    T, B, I, H = saved["shape"]
    st = cc.stream()
    dy, dh_n = cc.to_device(dy, st), cc.to_device(dh_n, st)
    dh_carry = cc.copy_or_zeros(dh_n, B * H, st)
    dh0 = cc.empty(B * H, st)
    da = cc.zeros(T * B * H, st)
    args = (saved["w_hh"], dy, dh_carry, dh0, da, saved["h"], saved["lengths"], T, B, H,
            int(saved["reverse"]), saved["act"])
    cc.recur(st, _backward_persistent, _backward_step, args, G, H, B, range(T - 1, -2, -1))
    grads = cc.input_grads(st, da, da, saved["x"], saved["w_ih"], saved["h_prev"], T, B, I, H, G,
                           saved["has_bias"])
    grads["dh0"] = (dh0, (B, H))
    return cc.finish_grads(saved["host"], st, grads)
