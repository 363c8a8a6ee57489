"""Backend "cpu" for the GRU (both variants): Numba kernels, the input GEMMs outside the time loop.

Gates r, z, n stacked in that order along the 3H axis (PyTorch's order); x_* = W_i* x_t + b_i*:
    r = σ(x_r + W_hr h_{t-1} + b_hr)    z = σ(x_z + W_hz h_{t-1} + b_hz)    h_t = (1 - z) * n + z * h_{t-1}
    linear_before_reset=True  (PyTorch, cuDNN):  n = tanh(x_n + r * (W_hn h_{t-1} + b_hn))
    linear_before_reset=False (original, ONNX):  n = tanh(x_n + W_hn (r * h_{t-1}) + b_hn)

Shapes: x [T, B, I], w_ih [3H, I], w_hh [3H, H], b_ih/b_hh [3H] or None, h0 [B, H] or None (zeros),
lengths int64 [B] or None (all T); y [T, B, H], h_n [B, H]. Computed in x's dtype (float32 or float64).

Forward: x W_ih^T + b for all steps in one GEMM into `gates` [T, B, 3H] (b_hr, b_hz and, for the original
variant, b_hn folded in); per step the recurrent product and the pointwise cell run fused per hidden unit
and overwrite gates[t, b] with r, z, n (layout and packed-sequence order: gatecore.cpu_common). The original
variant needs r before W_hn (r * h), so its step is two passes. The tape holds gates, hn [T, B, H]
(W_hn h_{t-1} + b_hn, linear_before_reset=True only), hp [T, B, H] (h_{t-1} as used at time t), x and the
weights. Backward runs the loop backwards for dxp = dL/d(x-parts) [T, B, 3H] and the n-column of
dhp = dL/d(h-parts), then dx = dxp W_ih, dW_ih = dxp^T x, dW_hh = dhp^T hp (W_hn: da_n^T (r * hp)), db = sums.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from .. import cpu_common as cc
from . import cell

_step = cc.compile_pointwise(cell.step)
_step_grad = cc.compile_pointwise(cell.step_grad)
_step_rz = cc.compile_pointwise(cell.step_rz)
_step_n = cc.compile_pointwise(cell.step_n)
_step_n_grad = cc.compile_pointwise(cell.step_n_grad)
_step_r_grad = cc.compile_pointwise(cell.step_r_grad)


def _forward_units(u0, u1, k, gates, hn, y, w_hh, b_hn, rec, h_prev, h_next, rh, lengths, reverse, blas, lbr):
    """Units u0..u1-1 of step k, every batch row. lbr: the whole cell; else the first pass (r, z, r*h)."""
    H = h_prev.shape[1]
    for u in range(u0, u1):
        for b in range(h_prev.shape[0]):
            n_b = lengths[b]
            if k >= n_b:
                gates[k, b, u] = gates[k, b, H + u] = gates[k, b, 2 * H + u] = hn[k, b, u] = 0
                h_next[b, u] = h_prev[b, u]
                continue
            t = cc.time_of(k, n_b, reverse)
            if blas:
                h_r, h_z = rec[b, u], rec[b, H + u]
            else:
                h_r, h_z = cc.dot(w_hh[u], h_prev[b]), cc.dot(w_hh[H + u], h_prev[b])
            if lbr:
                h_n = b_hn[u] + (rec[b, 2 * H + u] if blas else cc.dot(w_hh[2 * H + u], h_prev[b]))
                r, z, n, h = _step(gates[t, b, u], gates[t, b, H + u], gates[t, b, 2 * H + u], h_r, h_z, h_n,
                                   h_prev[b, u])
                gates[t, b, 2 * H + u] = n
                hn[t, b, u] = h_n
                y[t, b, u] = h
                h_next[b, u] = h
            else:
                r, z = _step_rz(gates[t, b, u], gates[t, b, H + u], h_r, h_z)
                rh[b, u] = r * h_prev[b, u]
            gates[t, b, u], gates[t, b, H + u] = r, z


def _new_gate_units(u0, u1, k, gates, y, w_hn, rec, h_prev, h_next, rh, lengths, reverse, blas):
    """linear_before_reset=False, second pass for units u0..u1-1: n = tanh(x_n + W_hn (r*h) + b_hn), h_t."""
    H = h_prev.shape[1]
    for u in range(u0, u1):
        for b in range(h_prev.shape[0]):
            n_b = lengths[b]
            if k < n_b:
                t = cc.time_of(k, n_b, reverse)
                hn_rh = rec[b, u] if blas else cc.dot(w_hn[u], rh[b])
                n, h = _step_n(gates[t, b, 2 * H + u], hn_rh, gates[t, b, H + u], h_prev[b, u])
                gates[t, b, 2 * H + u] = n
                y[t, b, u] = h
                h_next[b, u] = h


def _cell_grads(u0, u1, k, gates, hn, hp, dy, dh, dxp, dhn, da_k, dd, lengths, reverse, lbr):
    """Pointwise backward for units u0..u1-1 of step k: dxp, the n-column of dhp, the direct path dd = z*dh.
    lbr=False: only z and n (r needs W_hn^T da_n first; see _reset_grads)."""
    H = dh.shape[1]
    for u in range(u0, u1):
        for b in range(dh.shape[0]):
            n_b = lengths[b]
            if k >= n_b:
                da_k[b, u] = da_k[b, H + u] = da_k[b, 2 * H + u] = 0
                dd[b, u] = dh[b, u]
                continue
            t = cc.time_of(k, n_b, reverse)
            dh_t = dh[b, u] + dy[t, b, u]
            r, z, n = gates[t, b, u], gates[t, b, H + u], gates[t, b, 2 * H + u]
            if lbr:
                da_r, da_z, da_n, dh_n, dd[b, u] = _step_grad(r, z, n, hn[t, b, u], hp[t, b, u], dh_t)
                dxp[t, b, u] = da_k[b, u] = da_r
                dhn[t, b, u] = da_k[b, 2 * H + u] = dh_n
            else:
                da_n, da_z, dd[b, u] = _step_n_grad(z, n, hp[t, b, u], dh_t)
                dhn[t, b, u] = da_k[b, 2 * H + u] = da_n
            dxp[t, b, H + u] = da_k[b, H + u] = da_z
            dxp[t, b, 2 * H + u] = da_n


def _reset_grads(u0, u1, k, gates, hp, w_hhT, rec, dxp, da_k, dd, lengths, reverse, blas):
    """linear_before_reset=False: d(r*h) = W_hn^T da_n, then da_r and the path through r*h into dh_{t-1}."""
    H = dd.shape[1]
    for u in range(u0, u1):
        for b in range(dd.shape[0]):
            n_b = lengths[b]
            if k < n_b:
                t = cc.time_of(k, n_b, reverse)
                drh = rec[b, u] if blas else cc.dot(w_hhT[u, 2 * H:], da_k[b, 2 * H:])
                da_r, dh_rh = _step_r_grad(gates[t, b, u], hp[t, b, u], drh)
                dxp[t, b, u] = da_k[b, u] = da_r
                dd[b, u] += dh_rh


def _recurrent_grads(u0, u1, k, w_hhT, rec, da_k, dd, dh, lengths, blas, lbr):
    """dh_{t-1} = dd + W_hh^T da (lbr=False: only the r, z rows; W_hn's part is in dd already)."""
    H = dh.shape[1]
    width = 3 * H if lbr else 2 * H
    for u in range(u0, u1):
        for b in range(dh.shape[0]):
            if k < lengths[b]:
                dh[b, u] = dd[b, u] + (rec[b, u] if blas else cc.dot(w_hhT[u, :width], da_k[b, :width]))
            else:
                dh[b, u] = dd[b, u]


_forward_units, _new_gate_units, _cell_grads, _reset_grads, _recurrent_grads = map(
    cc.compile_units, (_forward_units, _new_gate_units, _cell_grads, _reset_grads, _recurrent_grads))


@cc.kernel
def _forward_loop(gates, hn, hp, y, hbuf, w_hh, b_hn, lengths, reverse, lbr, blas, chunks):
    """gates [T, B, 3H] in: x-parts, out: r, z, n; hn, hp, y [T, B, H] out (y zeroed); hbuf [2, B, H] with
    hbuf[0] = h0; b_hn [H] (linear_before_reset=True; zeros otherwise). Returns h_n (a view of hbuf)."""
    T, B, G3 = gates.shape
    H = G3 // 3
    w_hrz, w_hn = w_hh[:2 * H], w_hh[2 * H:]
    rec = np.zeros((B, G3), gates.dtype)
    rh = np.zeros((B, H), gates.dtype)
    for k in range(T):
        h_prev = hbuf[k % 2]
        h_next = hbuf[1 - k % 2]
        cc.save_prev_state(hp, h_prev, k, lengths, reverse)
        if blas:
            rec = np.dot(h_prev, (w_hh if lbr else w_hrz).T)
        if chunks > 1:
            for ch in prange(chunks):
                u0, u1 = cc.chunk(ch, chunks, H)
                _forward_units(u0, u1, k, gates, hn, y, w_hh, b_hn, rec, h_prev, h_next, rh, lengths, reverse,
                               blas, lbr)
        else:
            _forward_units(0, H, k, gates, hn, y, w_hh, b_hn, rec, h_prev, h_next, rh, lengths, reverse, blas,
                           lbr)
        if lbr:
            continue
        if blas:
            rec = np.dot(rh, w_hn.T)
        if chunks > 1:
            for ch in prange(chunks):
                u0, u1 = cc.chunk(ch, chunks, H)
                _new_gate_units(u0, u1, k, gates, y, w_hn, rec, h_prev, h_next, rh, lengths, reverse, blas)
        else:
            _new_gate_units(0, H, k, gates, y, w_hn, rec, h_prev, h_next, rh, lengths, reverse, blas)
    return hbuf[T % 2]


@cc.kernel
def _backward_loop(gates, hn, hp, w_hh, w_hhT, dy, dh, lengths, reverse, lbr, blas, chunks):
    """Returns (dxp [T, B, 3H], dhn [T, B, H]: the n-column of dhp); dh [B, H] enters as dL/dh_n and leaves
    as dL/dh0."""
    T, B, G3 = gates.shape
    H = G3 // 3
    dxp = np.zeros_like(gates)
    dhn = np.zeros_like(hp)
    da_k = np.zeros((B, G3), gates.dtype)
    dd = np.zeros((B, H), gates.dtype)
    rec = np.zeros((B, H), gates.dtype)
    for k in range(T - 1, -1, -1):
        if chunks > 1:
            for ch in prange(chunks):
                u0, u1 = cc.chunk(ch, chunks, H)
                _cell_grads(u0, u1, k, gates, hn, hp, dy, dh, dxp, dhn, da_k, dd, lengths, reverse, lbr)
        else:
            _cell_grads(0, H, k, gates, hn, hp, dy, dh, dxp, dhn, da_k, dd, lengths, reverse, lbr)
        if not lbr:
            if blas:
                rec = np.dot(np.ascontiguousarray(da_k[:, 2 * H:]), w_hh[2 * H:])
            if chunks > 1:
                for ch in prange(chunks):
                    u0, u1 = cc.chunk(ch, chunks, H)
                    _reset_grads(u0, u1, k, gates, hp, w_hhT, rec, dxp, da_k, dd, lengths, reverse, blas)
            else:
                _reset_grads(0, H, k, gates, hp, w_hhT, rec, dxp, da_k, dd, lengths, reverse, blas)
        if blas:
            rec = np.dot(da_k, w_hh) if lbr else np.dot(np.ascontiguousarray(da_k[:, :2 * H]), w_hh[:2 * H])
        if chunks > 1:
            for ch in prange(chunks):
                u0, u1 = cc.chunk(ch, chunks, H)
                _recurrent_grads(u0, u1, k, w_hhT, rec, da_k, dd, dh, lengths, blas, lbr)
        else:
            _recurrent_grads(0, H, k, w_hhT, rec, da_k, dd, dh, lengths, blas, lbr)
    return dxp, dhn


def forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, linear_before_reset, need_tape):
    """GRU forward (contract in gatecore.backends): returns (y, h_n, saved or None)."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    lbr = bool(linear_before_reset)
    lengths = cc.full_lengths(lengths, T, B)
    b_hn = np.zeros(H, x.dtype)
    bias = None
    if b_ih is not None:
        bias = b_ih + b_hh
        if lbr:
            bias[2 * H:] = b_ih[2 * H:]
            b_hn = b_hh[2 * H:]
    gates = cc.input_projection(x, w_ih, bias)
    hn = np.empty((T, B, H), x.dtype)
    hp = np.empty((T, B, H), x.dtype)
    y = np.zeros((T, B, H), x.dtype)
    hbuf = np.empty((2, B, H), x.dtype)
    hbuf[0] = 0 if h0 is None else h0
    h_n = _forward_loop(gates, hn, hp, y, hbuf, w_hh, b_hn, lengths, reverse, lbr, cc.use_blas(B),
                        cc.chunks(B, 3 * H, H))
    saved = None
    if need_tape:
        saved = (x, w_ih, w_hh, gates, hn, hp, lengths, reverse, lbr, b_ih is not None)
    return y, h_n.copy(), saved


def backward(saved, dy, dh_n):
    """GRU backward through time: returns {dx, dh0, dw_ih, dw_hh[, db_ih, db_hh]}."""
    x, w_ih, w_hh, gates, hn, hp, lengths, reverse, lbr, has_bias = saved
    B, H = dh_n.shape
    dh = dh_n.copy()
    w_hhT = np.ascontiguousarray(w_hh.T)
    dxp, dhn = _backward_loop(gates, hn, hp, w_hh, w_hhT, dy, dh, lengths, reverse, lbr, cc.use_blas(B),
                              cc.chunks(B, 3 * H, H))
    dx, dw_ih, db_ih = cc.input_grads(dxp, x, w_ih)
    dw_hh = np.empty_like(w_hh)
    dw_hh[:2 * H] = cc.weight_grads(dxp[:, :, :2 * H], hp)
    dw_hh[2 * H:] = cc.weight_grads(dhn, hp if lbr else gates[:, :, :H] * hp)
    db_hh = np.concatenate([db_ih[:2 * H], dhn.reshape(-1, H).sum(axis=0)])
    grads = {"dx": dx, "dh0": dh, "dw_ih": dw_ih, "dw_hh": dw_hh}
    return cc.with_bias_grads(grads, has_bias, db_ih, db_hh)
