"""Backend "cuda" for the LSTM: @cuda.jit kernels, float32, forward and backward (contract in
gatecore.backends).

Equations (gates i, f, g, o along the 4H axis), with the input part projected for all T*B rows by one GEMM:
    xw[t] = x[t] @ w_ih^T + b_ih + b_hh                                  [T, B, 4H]
    a = xw[t] + w_hh @ h_{t-1};  i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
    c_t = f * c_{t-1} + i * g;   h_t = o * tanh(c_t)
Backward, processing steps in reverse (dh from dy, from dh_n at a sequence's last real step, and through
w_hh):
    dh_t = dy[t] + w_hh^T da_{t+1};  (da_i, da_f, da_g, da_o, dc_{t-1}) = cell.step_grad(..., dh_t, dc_t)
    then dx = da @ w_ih, dw_ih = da^T x, dw_hh = da^T h_prev, db_ih = db_hh = Σ da   (cuda_common.input_grads)

Shapes (flat on the device, C order): x [T, B, I], w_ih [4H, I], w_hh [4H, H], b_ih/b_hh [4H], h0/c0 [B, H],
lengths int64 [B] (T where not given). Processing step s of row b is real iff s < lengths[b] and reads time
t = s, or t = lengths[b]-1-s with reverse; padding steps keep the state and leave y[t] = 0.
State: hs [2, B, H] (step s reads hs[s%2], writes hs[(s+1)%2]; other blocks read it, hence two buffers),
cs [B, H] (only its own thread touches c[b, j]).
Tape, in time order [T, B, .]: gates (i, f, g, o post-activation) [T, B, 4H], c_t and c_{t-1} [T, B, H],
h_prev [T, B, H] (zeros at padding times, where da is 0 too).
Projection (w_hr) is not supported here: backend "cpu" has it.
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


# ------------------------------------------------------------------------------------------------ forward
@cuda.jit(device=True)
def _forward_unit(s, b, j, w, w_unit, w_gate, xw, hs, cs, y, lengths, B, H, reverse, keep,
                  gates, c_tape, c_prev_tape, h_prev_tape):
    """Step s for row b, unit j; w[w_unit + q*w_gate + k] = w_hh[q*H + j, k]."""
    L = lengths[b]
    cur = (s % 2) * B * H + b * H
    nxt = ((s + 1) % 2) * B * H + b * H
    h_prev = hs[cur + j]
    if s >= L:
        hs[nxt + j] = h_prev
        return
    t = cc.time_of(s, L, reverse)
    row = (t * B + b) * 4 * H
    a_i = xw[row + j] + cc.dot(w, w_unit, 1, hs, cur, H)
    a_f = xw[row + H + j] + cc.dot(w, w_unit + w_gate, 1, hs, cur, H)
    a_g = xw[row + 2 * H + j] + cc.dot(w, w_unit + 2 * w_gate, 1, hs, cur, H)
    a_o = xw[row + 3 * H + j] + cc.dot(w, w_unit + 3 * w_gate, 1, hs, cur, H)
    c_prev = cs[b * H + j]
    i, f, g, o, c, m = _step(a_i, a_f, a_g, a_o, c_prev)
    cs[b * H + j] = c
    hs[nxt + j] = m
    y[(t * B + b) * H + j] = m
    if keep:
        gates[row + j] = i
        gates[row + H + j] = f
        gates[row + 2 * H + j] = g
        gates[row + 3 * H + j] = o
        c_tape[(t * B + b) * H + j] = c
        c_prev_tape[(t * B + b) * H + j] = c_prev
        h_prev_tape[(t * B + b) * H + j] = h_prev


@cuda.jit(cache=True)
def _forward_persistent(xw, w_hh, hs, cs, y, lengths, T, B, H, reverse, keep, gates, c_tape, c_prev_tape,
                        h_prev_tape, U):
    w_sh = cuda.shared.array(SHARED, np.float32)
    j0 = cuda.blockIdx.x * U
    nu = min(U, H - j0)
    cc.load_rows(w_sh, w_hh, j0, nu, U, G, H)
    cuda.syncthreads()
    grid = cuda.cg.this_grid()
    for s in range(T):
        for item in range(cuda.threadIdx.x, nu * B, cuda.blockDim.x):
            u = item % nu
            _forward_unit(s, item // nu, j0 + u, w_sh, u * H, U * H, xw, hs, cs, y, lengths, B, H, reverse,
                          keep, gates, c_tape, c_prev_tape, h_prev_tape)
        grid.sync()


@cuda.jit(cache=True)
def _forward_step(s, xw, w_hh, hs, cs, y, lengths, T, B, H, reverse, keep, gates, c_tape, c_prev_tape,
                  h_prev_tape):
    idx = cuda.grid(1)
    if idx < B * H:
        j = idx % H
        _forward_unit(s, idx // H, j, w_hh, j * H, H * H, xw, hs, cs, y, lengths, B, H, reverse, keep,
                      gates, c_tape, c_prev_tape, h_prev_tape)


def forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, w_hr, need_tape):
    """LSTM forward on the GPU (contract in gatecore.backends): returns (y, h_n, c_n, saved or None)."""
    if w_hr is not None:
        raise ValueError("w_hr (projection) is not supported by the cuda backend; use backend='cpu'")
    T, B, I = x.shape
    H = w_hh.shape[1]
    host = not cc.is_device(x)
    st = cc.stream()
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = (cc.to_device(a, st) for a in (x, w_ih, w_hh, b_ih, b_hh, h0, c0))
    lens, xw, y = cc.forward_inputs(st, x, w_ih, lengths, T, B, I, G, H, b_ih, b_hh)
    hs = cc.copy_or_zeros(h0, 2 * B * H, st)
    cs = cc.copy_or_zeros(c0, B * H, st)
    n_tape = T * B * H if need_tape else 1
    gates = cc.empty(G * n_tape, st)
    c_tape, c_prev_tape = cc.empty(n_tape, st), cc.empty(n_tape, st)
    h_prev_tape = cc.zeros(n_tape, st)
    args = (xw, w_hh, hs, cs, y, lens, T, B, H, int(reverse), int(need_tape), gates, c_tape, c_prev_tape,
            h_prev_tape)
    cc.recur(st, _forward_persistent, _forward_step, args, G, H, B, range(T))
    h_n = cc.final_state(hs, T, B, H)
    y_out, h_n, c_n = cc.to_host_or_device(host, st, [(y, (T, B, H)), (h_n, (B, H)), (cs, (B, H))])
    saved = None
    if need_tape:
        saved = {"x": x, "w_ih": w_ih, "w_hh": w_hh, "lengths": lens, "gates": gates, "c": c_tape,
                 "c_prev": c_prev_tape, "h_prev": h_prev_tape, "shape": (T, B, I,
                                                                         H), "reverse": bool(reverse),
                 "has_bias": b_ih is not None, "host": host}
    return y_out, h_n, c_n, saved


# ----------------------------------------------------------------------------------------------- backward
@cuda.jit(device=True)
def _backward_unit(s, b, j, w, w_col, w_row, dy, dh_carry, dc_carry, dh0, da, gates, c_tape, c_prev_tape,
                   lengths, B, H, reverse):
    """Step s (T-1 down to 0; s = -1 writes dh0) for row b, unit j; w[w_col + r*w_row] = w_hh[r, j]."""
    GH = G * H
    t, rec = cc.backward_start(s, b, j, w, w_col, w_row, da, GH, GH, dh_carry, dh0, lengths, B, H, reverse)
    if t < 0:
        return
    k = b * H + j
    row = (t * B + b) * GH
    th = (t * B + b) * H + j
    dh = dy[th] + dh_carry[k] + rec
    da_i, da_f, da_g, da_o, dc_prev = _step_grad(gates[row + j], gates[row + H + j], gates[row + 2 * H + j],
                                                 gates[row + 3 * H + j], c_prev_tape[th], c_tape[th], dh,
                                                 dc_carry[k])
    da[row + j] = da_i
    da[row + H + j] = da_f
    da[row + 2 * H + j] = da_g
    da[row + 3 * H + j] = da_o
    dc_carry[k] = dc_prev
    dh_carry[k] = 0.0


@cuda.jit(cache=True)
def _backward_persistent(w_hh, dy, dh_carry, dc_carry, dh0, da, gates, c_tape, c_prev_tape, lengths, T, B, H,
                         reverse, U):
    w_sh = cuda.shared.array(SHARED, np.float32)
    j0 = cuda.blockIdx.x * U
    nu = min(U, H - j0)
    cc.load_cols(w_sh, w_hh, j0, nu, G * H, H)
    cuda.syncthreads()
    grid = cuda.cg.this_grid()
    for s in range(T - 1, -2, -1):
        for item in range(cuda.threadIdx.x, nu * B, cuda.blockDim.x):
            u = item % nu
            _backward_unit(s, item // nu, j0 + u, w_sh, u * G * H, 1, dy, dh_carry, dc_carry, dh0, da, gates,
                           c_tape, c_prev_tape, lengths, B, H, reverse)
        grid.sync()


@cuda.jit(cache=True)
def _backward_step(s, w_hh, dy, dh_carry, dc_carry, dh0, da, gates, c_tape, c_prev_tape, lengths, T, B, H,
                   reverse):
    idx = cuda.grid(1)
    if idx < B * H:
        j = idx % H
        _backward_unit(s, idx // H, j, w_hh, j, H, dy, dh_carry, dc_carry, dh0, da, gates, c_tape,
                       c_prev_tape, lengths, B, H, reverse)


def backward(saved, dy, dh_n, dc_n):
    """LSTM backward on the GPU: {dx, dh0, dc0, dw_ih, dw_hh[, db_ih, db_hh]}."""
    T, B, I, H = saved["shape"]
    st = cc.stream()
    dy, dh_n, dc_n = (cc.to_device(a, st) for a in (dy, dh_n, dc_n))
    dh_carry = cc.copy_or_zeros(dh_n, B * H, st)
    dc_carry = cc.copy_or_zeros(dc_n, B * H, st)
    dh0 = cc.empty(B * H, st)
    da = cc.zeros(T * B * G * H, st)
    args = (saved["w_hh"], dy, dh_carry, dc_carry, dh0, da, saved["gates"], saved["c"], saved["c_prev"],
            saved["lengths"], T, B, H, int(saved["reverse"]))
    cc.recur(st, _backward_persistent, _backward_step, args, G, H, B, range(T - 1, -2, -1))
    grads = cc.input_grads(st, da, da, saved["x"], saved["w_ih"], saved["h_prev"], T, B, I, H, G,
                           saved["has_bias"])
    grads["dh0"] = (dh0, (B, H))
    grads["dc0"] = (dc_carry, (B, H))
    return cc.finish_grads(saved["host"], st, grads)
