"""Backend "cuda" for the GRU, both variants: @cuda.jit kernels, float32 (contract in gatecore.backends).

Gates r, z, n along the 3H axis; the x-parts come from one GEMM over all T*B rows, the h-parts from the loop:
    xw[t] = x[t] @ w_ih^T + b_ih  [T, B, 3H];   h_q = w_hq @ h_{t-1} + b_hq
    r = σ(xw_r + h_r),  z = σ(xw_z + h_z),  h_t = (1 - z) * n + z * h_{t-1}
    linear_before_reset=True:   n = tanh(xw_n + r * h_n)                       (one phase per step)
    linear_before_reset=False:  n = tanh(xw_n + w_hn (r * h_{t-1}) + b_hn)     (two phases: r, z; then n)
Backward, steps in reverse; da_x / da_h are the gradients of the x- and h-parts (cell.step_grad etc.):
    lbr=True:   dh_t = dy[t] + z*dh_{t+1} + w_hh^T da_h(t+1),  da_h = (da_r, da_z, da_n * r)
    lbr=False:  phase A: dh_t = dy[t] + (direct paths) + w_h{r,z}^T da_{r,z}(t+1) -> da_n, da_z
                phase B: d(rh) = w_hn^T da_n -> da_r, and the path through r * h_{t-1}
    then dx = da_x @ w_ih, dw_ih = da_x^T x, dw_hh = da_h^T h_prev (n rows: da_n^T (r*h_prev) when lbr=False),
    db_ih = Σ da_x, db_hh = Σ da_h   (cuda_common.input_grads)

Shapes (flat on the device, C order): x [T, B, I], w_ih [3H, I], w_hh [3H, H], b_ih/b_hh [3H], h0 [B, H],
lengths int64 [B] (T where not given). Processing step s of row b is real iff s < lengths[b] and reads time
t = s, or t = lengths[b]-1-s with reverse; padding steps keep the state and leave y[t] = 0.
State: hs [2, B, H] (step s reads hs[s%2], writes hs[(s+1)%2]); lbr=False also rz [B, 2H] and rh [B, H], the
r, z and r * h_{t-1} of the current step, handed from phase 1 to phase 2.
Tape, in time order: gates (r, z, n) [T, B, 3H], h_prev [T, B, H] (zeros at padding times, where da is 0), and
`h_part` [T, B, H]: h_n = w_hn h_{t-1} + b_hn (lbr=True) or r * h_{t-1} (lbr=False).
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
_step_rz = cc.device_function(cell.step_rz)
_step_n = cc.device_function(cell.step_n)
_step_n_grad = cc.device_function(cell.step_n_grad)
_step_r_grad = cc.device_function(cell.step_r_grad)


@cuda.jit(device=True)
def _h_part(q, j, w, w_unit, w_gate, v, v_base, b_hh, has_bias, H):
    """w_hq[j] . v[v_base:v_base+H] + b_hq[j], with w[w_unit + q*w_gate + k] = w_hh[q*H + j, k]."""
    acc = cc.dot(w, w_unit + q * w_gate, 1, v, v_base, H)
    if has_bias:
        acc += b_hh[q * H + j]
    return acc


# ------------------------------------------------------------------------------------------------ forward
@cuda.jit(device=True)
def _forward_unit(s, b, j, w, w_unit, w_gate, xw, b_hh, has_bias, hs, rz, rh, y, lengths, B, H, reverse, keep,
                  gates, h_part, h_prev_tape):
    """linear_before_reset=True: step s for row b, unit j (rz, rh unused)."""
    L = lengths[b]
    cur = (s % 2) * B * H + b * H
    nxt = ((s + 1) % 2) * B * H + b * H
    h_prev = hs[cur + j]
    if s >= L:
        hs[nxt + j] = h_prev
        return
    t = cc.time_of(s, L, reverse)
    row = (t * B + b) * 3 * H
    th = (t * B + b) * H + j
    h_r = _h_part(0, j, w, w_unit, w_gate, hs, cur, b_hh, has_bias, H)
    h_z = _h_part(1, j, w, w_unit, w_gate, hs, cur, b_hh, has_bias, H)
    h_n = _h_part(2, j, w, w_unit, w_gate, hs, cur, b_hh, has_bias, H)
    r, z, n, h = _step(xw[row + j], xw[row + H + j], xw[row + 2 * H + j], h_r, h_z, h_n, h_prev)
    hs[nxt + j] = h
    y[th] = h
    if keep:
        gates[row + j] = r
        gates[row + H + j] = z
        gates[row + 2 * H + j] = n
        h_part[th] = h_n
        h_prev_tape[th] = h_prev


@cuda.jit(device=True)
def _forward_rz_unit(s, b, j, w, w_unit, w_gate, xw, b_hh, has_bias, hs, rz, rh, y, lengths, B, H, reverse,
                     keep, gates, h_part, h_prev_tape):
    """linear_before_reset=False, phase 1: r, z and r * h_{t-1} of step s for row b, unit j."""
    L = lengths[b]
    if s >= L:
        return
    cur = (s % 2) * B * H + b * H
    row = (cc.time_of(s, L, reverse) * B + b) * 3 * H
    h_r = _h_part(0, j, w, w_unit, w_gate, hs, cur, b_hh, has_bias, H)
    h_z = _h_part(1, j, w, w_unit, w_gate, hs, cur, b_hh, has_bias, H)
    r, z = _step_rz(xw[row + j], xw[row + H + j], h_r, h_z)
    rz[b * 2 * H + j] = r
    rz[b * 2 * H + H + j] = z
    rh[b * H + j] = r * hs[cur + j]


@cuda.jit(device=True)
def _forward_n_unit(s, b, j, w, w_unit, w_gate, xw, b_hh, has_bias, hs, rz, rh, y, lengths, B, H, reverse,
                    keep, gates, h_part, h_prev_tape):
    """linear_before_reset=False, phase 2: n and h_t of step s for row b, unit j (reads every unit's rh)."""
    L = lengths[b]
    cur = (s % 2) * B * H + b * H
    nxt = ((s + 1) % 2) * B * H + b * H
    h_prev = hs[cur + j]
    if s >= L:
        hs[nxt + j] = h_prev
        return
    t = cc.time_of(s, L, reverse)
    row = (t * B + b) * 3 * H
    th = (t * B + b) * H + j
    z = rz[b * 2 * H + H + j]
    n, h = _step_n(xw[row + 2 * H + j], _h_part(2, j, w, w_unit, w_gate, rh, b * H, b_hh, has_bias, H), z,
                   h_prev)
    hs[nxt + j] = h
    y[th] = h
    if keep:
        gates[row + j] = rz[b * 2 * H + j]
        gates[row + H + j] = z
        gates[row + 2 * H + j] = n
        h_part[th] = rh[b * H + j]
        h_prev_tape[th] = h_prev


@cuda.jit(device=True)
def _forward_phase(phase, s, b, j, w, w_unit, w_gate, xw, b_hh, has_bias, hs, rz, rh, y, lengths, B, H,
                   reverse, keep, gates, h_part, h_prev_tape, lbr):
    """Phase `phase` of step s for row b, unit j: the whole step (lbr), else 0 = r, z and 1 = n, h."""
    if lbr:
        _forward_unit(s, b, j, w, w_unit, w_gate, xw, b_hh, has_bias, hs, rz, rh, y, lengths, B, H, reverse,
                      keep, gates, h_part, h_prev_tape)
    elif phase == 0:
        _forward_rz_unit(s, b, j, w, w_unit, w_gate, xw, b_hh, has_bias, hs, rz, rh, y, lengths, B, H,
                         reverse, keep, gates, h_part, h_prev_tape)
    else:
        _forward_n_unit(s, b, j, w, w_unit, w_gate, xw, b_hh, has_bias, hs, rz, rh, y, lengths, B, H, reverse,
                        keep, gates, h_part, h_prev_tape)


@cuda.jit(cache=True)
def _forward_persistent(xw, w_hh, b_hh, has_bias, hs, rz, rh, y, lengths, T, B, H, reverse, keep, gates,
                        h_part, h_prev_tape, lbr, U):
    w_sh = cuda.shared.array(SHARED, np.float32)
    j0 = cuda.blockIdx.x * U
    nu = min(U, H - j0)
    cc.load_rows(w_sh, w_hh, j0, nu, U, G, H)
    cuda.syncthreads()
    grid = cuda.cg.this_grid()
    for s in range(T):
        for phase in range(1 if lbr else 2):
            for item in range(cuda.threadIdx.x, nu * B, cuda.blockDim.x):
                u = item % nu
                _forward_phase(phase, s, item // nu, j0 + u, w_sh, u * H, U * H, xw, b_hh, has_bias, hs, rz,
                               rh, y, lengths, B, H, reverse, keep, gates, h_part, h_prev_tape, lbr)
            grid.sync()


@cuda.jit(cache=True)
def _forward_step(s, phase, xw, w_hh, b_hh, has_bias, hs, rz, rh, y, lengths, T, B, H, reverse, keep, gates,
                  h_part, h_prev_tape, lbr):
    idx = cuda.grid(1)
    if idx < B * H:
        j = idx % H
        _forward_phase(phase, s, idx // H, j, w_hh, j * H, H * H, xw, b_hh, has_bias, hs, rz, rh, y, lengths,
                       B, H, reverse, keep, gates, h_part, h_prev_tape, lbr)


_PHASES = {True: ((0,),), False: ((0,), (1,))}


def forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, linear_before_reset, need_tape):
    """GRU forward on the GPU (contract in gatecore.backends): returns (y, h_n, saved or None)."""
    T, B, I = x.shape
    H = w_hh.shape[1]
    host = not cc.is_device(x)
    st = cc.stream()
    x, w_ih, w_hh, b_ih, b_hh, h0 = (cc.to_device(a, st) for a in (x, w_ih, w_hh, b_ih, b_hh, h0))
    lens, xw, y = cc.forward_inputs(st, x, w_ih, lengths, T, B, I, G, H, b_ih)
    hs = cc.copy_or_zeros(h0, 2 * B * H, st)
    rz, rh = cc.empty(2 * B * H, st), cc.empty(B * H, st)
    n_tape = T * B * H if need_tape else 1
    gates, h_part, h_prev_tape = cc.empty(G * n_tape, st), cc.zeros(n_tape, st), cc.zeros(n_tape, st)
    has_bias = b_hh is not None
    args = (xw, w_hh, b_hh if has_bias else xw, int(has_bias), hs, rz, rh, y, lens, T, B, H, int(reverse),
            int(need_tape), gates, h_part, h_prev_tape, int(linear_before_reset))
    cc.recur(st, _forward_persistent, _forward_step, args, G, H, B, range(T),
             _PHASES[bool(linear_before_reset)])
    h_n = cc.final_state(hs, T, B, H)
    y_out, h_n = cc.to_host_or_device(host, st, [(y, (T, B, H)), (h_n, (B, H))])
    saved = None
    if need_tape:
        saved = {"x": x, "w_ih": w_ih, "w_hh": w_hh, "lengths": lens, "gates": gates, "h_part": h_part,
                 "h_prev": h_prev_tape, "lbr": bool(linear_before_reset), "shape": (T, B, I, H),
                 "reverse": bool(reverse), "has_bias": has_bias, "host": host}
    return y_out, h_n, saved


# ----------------------------------------------------------------------------------------------- backward
@cuda.jit(device=True)
def _backward_unit(s, b, j, w, w_col, w_row, dy, dh_carry, dh0, dax, dah, gates, h_part, h_prev_tape, lengths,
                   B, H, reverse):
    """linear_before_reset=True: step s (T-1 down to 0; s = -1 writes dh0) for row b, unit j;
    w[w_col + r*w_row] = w_hh[r, j]."""
    GH = G * H
    t, rec = cc.backward_start(s, b, j, w, w_col, w_row, dah, GH, GH, dh_carry, dh0, lengths, B, H, reverse)
    if t < 0:
        return
    k = b * H + j
    row = (t * B + b) * GH
    th = (t * B + b) * H + j
    r = gates[row + j]
    da_r, da_z, da_n, dh_n, direct = _step_grad(r, gates[row + H + j], gates[row + 2 * H + j], h_part[th],
                                                h_prev_tape[th], dy[th] + dh_carry[k] + rec)
    dax[row + j] = da_r
    dax[row + H + j] = da_z
    dax[row + 2 * H + j] = da_n
    dah[row + j] = da_r
    dah[row + H + j] = da_z
    dah[row + 2 * H + j] = dh_n
    dh_carry[k] = direct


@cuda.jit(device=True)
def _backward_nz_unit(s, b, j, w, w_col, w_row, dy, dh_carry, dh0, dax, dah, gates, h_part, h_prev_tape,
                      lengths, B, H, reverse):
    """linear_before_reset=False, phase A: dh_t, then da_n and da_z of step s for row b, unit j."""
    GH = G * H
    t, rec = cc.backward_start(s, b, j, w, w_col, w_row, dah, GH, 2 * H, dh_carry, dh0, lengths, B, H, reverse)
    if t < 0:
        return
    k = b * H + j
    row = (t * B + b) * GH
    th = (t * B + b) * H + j
    da_n, da_z, direct = _step_n_grad(gates[row + H + j], gates[row + 2 * H + j], h_prev_tape[th],
                                      dy[th] + dh_carry[k] + rec)
    dah[row + H + j] = da_z
    dah[row + 2 * H + j] = da_n
    dh_carry[k] = direct


@cuda.jit(device=True)
def _backward_r_unit(s, b, j, w, w_col, w_row, dy, dh_carry, dh0, dax, dah, gates, h_part, h_prev_tape,
                     lengths, B, H, reverse):
    """linear_before_reset=False, phase B: d(r*h_{t-1}) = w_hn^T da_n (every unit's), then da_r."""
    L = lengths[b]
    if s < 0 or s >= L:
        return
    GH = 3 * H
    t = cc.time_of(s, L, reverse)
    row = (t * B + b) * GH
    th = (t * B + b) * H + j
    drh = cc.dot(w, w_col + 2 * H * w_row, w_row, dah, row + 2 * H, H)
    da_r, through_rh = _step_r_grad(gates[row + j], h_prev_tape[th], drh)
    dah[row + j] = da_r
    dh_carry[b * H + j] += through_rh


@cuda.jit(device=True)
def _backward_phase(phase, s, b, j, w, w_col, w_row, dy, dh_carry, dh0, dax, dah, gates, h_part, h_prev_tape,
                    lengths, B, H, reverse, lbr):
    """Phase `phase` of backward step s for row b, unit j: the whole step (lbr), else 0 = A and 1 = B."""
    if lbr:
        _backward_unit(s, b, j, w, w_col, w_row, dy, dh_carry, dh0, dax, dah, gates, h_part, h_prev_tape,
                       lengths, B, H, reverse)
    elif phase == 0:
        _backward_nz_unit(s, b, j, w, w_col, w_row, dy, dh_carry, dh0, dax, dah, gates, h_part, h_prev_tape,
                          lengths, B, H, reverse)
    else:
        _backward_r_unit(s, b, j, w, w_col, w_row, dy, dh_carry, dh0, dax, dah, gates, h_part, h_prev_tape,
                         lengths, B, H, reverse)


@cuda.jit(cache=True)
def _backward_persistent(w_hh, dy, dh_carry, dh0, dax, dah, gates, h_part, h_prev_tape, lengths, T, B, H,
                         reverse, lbr, U):
    w_sh = cuda.shared.array(SHARED, np.float32)
    j0 = cuda.blockIdx.x * U
    nu = min(U, H - j0)
    cc.load_cols(w_sh, w_hh, j0, nu, G * H, H)
    cuda.syncthreads()
    grid = cuda.cg.this_grid()
    for s in range(T - 1, -2, -1):
        for phase in range(1 if lbr else 2):
            for item in range(cuda.threadIdx.x, nu * B, cuda.blockDim.x):
                u = item % nu
                _backward_phase(phase, s, item // nu, j0 + u, w_sh, u * G * H, 1, dy, dh_carry, dh0, dax, dah,
                                gates, h_part, h_prev_tape, lengths, B, H, reverse, lbr)
            grid.sync()


@cuda.jit(cache=True)
def _backward_step(s, phase, w_hh, dy, dh_carry, dh0, dax, dah, gates, h_part, h_prev_tape, lengths, T, B, H,
                   reverse, lbr):
    idx = cuda.grid(1)
    if idx < B * H:
        j = idx % H
        _backward_phase(phase, s, idx // H, j, w_hh, j, H, dy, dh_carry, dh0, dax, dah, gates, h_part,
                        h_prev_tape, lengths, B, H, reverse, lbr)


def backward(saved, dy, dh_n):
    """GRU backward on the GPU: {dx, dh0, dw_ih, dw_hh[, db_ih, db_hh]}."""
    T, B, I, H = saved["shape"]
    lbr = saved["lbr"]
    st = cc.stream()
    dy, dh_n = cc.to_device(dy, st), cc.to_device(dh_n, st)
    dh_carry = cc.copy_or_zeros(dh_n, B * H, st)
    dh0 = cc.empty(B * H, st)
    dah = cc.zeros(T * B * G * H, st)
    dax = cc.zeros(T * B * G * H, st) if lbr else dah
    args = (saved["w_hh"], dy, dh_carry, dh0, dax, dah, saved["gates"], saved["h_part"], saved["h_prev"],
            saved["lengths"], T, B, H, int(saved["reverse"]), int(lbr))
    cc.recur(st, _backward_persistent, _backward_step, args, G, H, B, range(T - 1, -2, -1), _PHASES[lbr])
    grads = cc.input_grads(st, dax, dah, saved["x"], saved["w_ih"], saved["h_prev"], T, B, I, H, G,
                           saved["has_bias"], rh=None if lbr else saved["h_part"])
    grads["dh0"] = (dh0, (B, H))
    return cc.finish_grads(saved["host"], st, grads)
