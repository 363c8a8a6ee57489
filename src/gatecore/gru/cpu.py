"""Backend "cpu" for the GRU (both variants): Numba kernels, the input GEMMs outside the time loop.

Gates r, z, n stacked in that order along the 3H axis (PyTorch's order); x_* = W_i* x_t + b_i*:
    r = σ(x_r + W_hr h_{t-1} + b_hr)    z = σ(x_z + W_hz h_{t-1} + b_hz)    h_t = (1 - z) * n + z * h_{t-1}
    linear_before_reset=True  (PyTorch, cuDNN):  n = tanh(x_n + r * (W_hn h_{t-1} + b_hn))
    linear_before_reset=False (original, ONNX):  n = tanh(x_n + W_hn (r * h_{t-1}) + b_hn)

Shapes: x [T, B, I], w_ih [3H, I], w_hh [3H, H], b_ih/b_hh [3H] or None, h0 [B, H] or None (zeros),
lengths int64 [B] or None (all T); y [T, B, H], h_n [B, H]. Computed in x's dtype (float32 or float64).

Forward: x W_ih^T + b for all steps in one GEMM into `gates` [T, B, 3H] (b_hr, b_hz and, for the original variant,
b_hn folded in); per step, for a range of hidden units, the recurrent product (cpu_common.recurrent_products) and
then the pointwise cell per batch row, which overwrites gates[t, b] with r, z, n (layout and packed-sequence order:
gatecore.cpu_common). The original variant needs r before W_hn (r * h), so its step is two passes. The tape holds
gates, hn [T, B, H] (W_hn h_{t-1} + b_hn, linear_before_reset=True only), hp [T, B, H] (h_{t-1} as used at time
t), x and the weights. Backward runs the loop backwards for dxp = dL/d(x-parts) [T, B, 3H] and the n-column of dhp
= dL/d(h-parts), then dx = dxp W_ih, dW_ih = dxp^T x, dW_hh = dhp^T hp (W_hn: da_n^T (r * hp)), db = sums.
A forward runs as one Numba call (_compiled_forward, gatecore.cpu_compiled) where cpu_compiled.plan() takes
it, else from Python (_general_forward); a backward likewise (_compiled_backward, then cpu_compiled.input_grads,
where cpu_compiled.grads_plan() takes it, else _general_backward); the same kernels and bits either way.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import prange

from .. import cpu_common as cc
from .. import cpu_feed, cpu_pool, cpu_compiled, cpu_sync
from . import cell

_step = cc.compile_pointwise(cell.step)
_step_grad = cc.compile_pointwise(cell.step_grad)
_step_rz = cc.compile_pointwise(cell.step_rz)
_step_n = cc.compile_pointwise(cell.step_n)
_step_n_grad = cc.compile_pointwise(cell.step_n_grad)
_step_r_grad = cc.compile_pointwise(cell.step_r_grad)


def _forward_units(u0, u1, b0, b1, k, gates, hn, y, w_hh, P_hh, b_hn, rec, h_prev, h_next, rh, lengths, reverse, lbr,
                   x1, w1, bias1):
    """Units u0..u1-1 of step k, batch rows b0..b1-1. lbr: the whole cell; else the first pass (r, z, r*h)."""
    H = h_prev.shape[1]
    cc.one_step_inputs(gates, x1, w1, bias1, 3, H, u0, u1, b0, b1, k)
    cc.gate_products(rec, w_hh, P_hh, h_prev, 3 if lbr else 2, H, u0, u1, b0, b1, k)
    for b in range(b0, b1):
        n_b = lengths[b]
        if k >= n_b:
            for g in range(3):
                gates[k, b, g * H + u0:g * H + u1] = 0
            hn[cc.tape_row(k, hn), b, u0:u1] = 0
            cc.copy(h_next[b, u0:u1], h_prev[b, u0:u1])
            continue
        t = cc.time_of(k, n_b, reverse)
        a, r_ = gates[t, b], rec[b]
        x_r, x_z, x_n = a[u0:u1], a[H + u0:H + u1], a[2 * H + u0:2 * H + u1]
        h_r, h_z, h_n = r_[u0:u1], r_[H + u0:H + u1], r_[2 * H + u0:2 * H + u1]
        hp_b = h_prev[b, u0:u1]
        if lbr:
            bn, hn_t, y_t, hx_b = b_hn[u0:u1], hn[cc.tape_row(t, hn), b, u0:u1], y[t, b, u0:u1], h_next[b, u0:u1]
            for j in range(u1 - u0):
                hn_j = bn[j] + h_n[j]
                r, z, n, h = _step(x_r[j], x_z[j], x_n[j], h_r[j], h_z[j], hn_j, hp_b[j])
                x_r[j], x_z[j], x_n[j] = r, z, n
                hn_t[j] = hn_j
                y_t[j] = h
                hx_b[j] = h
        else:
            rh_b = rh[b, u0:u1]
            for j in range(u1 - u0):
                r, z = _step_rz(x_r[j], x_z[j], h_r[j], h_z[j])
                rh_b[j] = r * hp_b[j]
                x_r[j], x_z[j] = r, z


def _new_gate_units(u0, u1, b0, b1, k, gates, y, w_hh, P_hh, rec, h_prev, h_next, rh, lengths, reverse):
    """linear_before_reset=False, second pass for units u0..u1-1, rows b0..b1-1: n = tanh(x_n + W_hn (r*h) + b_hn),
    h_t."""
    H = h_prev.shape[1]
    cc.recurrent_products(rec, w_hh, P_hh, rh, 2 * H + u0, 2 * H + u1, b0, b1, cc.zigzag(w_hh, P_hh, k))
    for b in range(b0, b1):
        n_b = lengths[b]
        if k < n_b:
            t = cc.time_of(k, n_b, reverse)
            x_n, x_z = gates[t, b, 2 * H + u0:2 * H + u1], gates[t, b, H + u0:H + u1]
            hn_rh, hp_b = rec[b, 2 * H + u0:2 * H + u1], h_prev[b, u0:u1]
            y_t, hx_b = y[t, b, u0:u1], h_next[b, u0:u1]
            for j in range(u1 - u0):
                n, h = _step_n(x_n[j], hn_rh[j], x_z[j], hp_b[j])
                x_n[j] = n
                y_t[j] = h
                hx_b[j] = h


def _cell_grads(u0, u1, b0, b1, k, gates, hn, hp, dy, dh, dxp, dhn, da_rz, da_n, dd, lengths, reverse, lbr, s):
    """Pointwise backward for units u0..u1-1 and batch rows b0..b1-1 of step k: dxp, the n-column of dhp, the
    direct path dd = z*dh. lbr=False: only z and n (r needs W_hn^T da_n first; see _reset_grads). UNITS units at a
    time through the thread's scratch s [5 * UNITS] (da_r, da_z, da_n, dh_n, dd), then copied into place
    (cpu_common.unit_scratch says why)."""
    H = dh.shape[1]
    C = cc.UNITS
    for b in range(b0, b1):
        n_b = lengths[b]
        if k >= n_b:
            da_rz[b, u0:u1] = 0
            da_rz[b, H + u0:H + u1] = 0
            da_n[b, u0:u1] = 0
            cc.copy(dd[b, u0:u1], dh[b, u0:u1])
            continue
        t = cc.time_of(k, n_b, reverse)
        a, d = gates[t, b], dxp[t, b]
        hn_r, hp_r, dh_r, dy_r = hn[t, b], hp[t, b], dh[b], dy[t, b]
        for j0 in range(u0, u1, C):
            j1 = min(u1, j0 + C)
            m = j1 - j0
            r_, z_, n_ = a[j0:j1], a[H + j0:H + j1], a[2 * H + j0:2 * H + j1]
            hn_t, hp_t, dh_b, dy_t = hn_r[j0:j1], hp_r[j0:j1], dh_r[j0:j1], dy_r[j0:j1]
            if lbr:
                for j in range(m):
                    s[j], s[C + j], s[2 * C + j], s[3 * C + j], s[4 * C + j] = _step_grad(r_[j], z_[j], n_[j], hn_t[j],
                                                                                          hp_t[j], dh_b[j] + dy_t[j])
                cc.copy(d[j0:j1], s[:m])
                cc.copy(da_rz[b, j0:j1], s[:m])
                dh_n = s[3 * C:3 * C + m]
            else:
                for j in range(m):
                    s[2 * C + j], s[C + j], s[4 * C + j] = _step_n_grad(z_[j], n_[j], hp_t[j], dh_b[j] + dy_t[j])
                dh_n = s[2 * C:2 * C + m]
            cc.copy(dhn[t, b, j0:j1], dh_n)
            cc.copy(da_n[b, j0:j1], dh_n)
            cc.copy(dd[b, j0:j1], s[4 * C:4 * C + m])
            cc.copy(d[H + j0:H + j1], s[C:C + m])
            cc.copy(da_rz[b, H + j0:H + j1], s[C:C + m])
            cc.copy(d[2 * H + j0:2 * H + j1], s[2 * C:2 * C + m])


def _reset_grads(u0, u1, b0, b1, k, gates, hp, P_n, drh, dxp, da_rz, da_n, dd, lengths, reverse, s):
    """linear_before_reset=False: d(r*h) = W_hn^T da_n, then da_r and the path through r*h into dh_{t-1} (da_r
    through the scratch s, UNITS units at a time, as _cell_grads)."""
    C = cc.UNITS
    cc.packed_rows(drh, P_n, da_n, u0, u1, b0, b1)
    for b in range(b0, b1):
        n_b = lengths[b]
        if k < n_b:
            t = cc.time_of(k, n_b, reverse)
            for j0 in range(u0, u1, C):
                j1 = min(u1, j0 + C)
                m = j1 - j0
                r_, hp_t, drh_b, dd_b = gates[t, b, j0:j1], hp[t, b, j0:j1], drh[b, j0:j1], dd[b, j0:j1]
                for j in range(m):
                    s[j], dh_rh = _step_r_grad(r_[j], hp_t[j], drh_b[j])
                    dd_b[j] += dh_rh
                cc.copy(dxp[t, b, j0:j1], s[:m])
                cc.copy(da_rz[b, j0:j1], s[:m])


def _recurrent_grads(u0, u1, b0, b1, k, P_rz, P_n, p_rz, p_n, da_rz, da_n, dd, dh, lengths, lbr):
    """dh_{t-1} = dd + W_hh^T da (lbr=False: only the r, z rows; W_hn's part is in dd already)."""
    cc.packed_rows(p_rz, P_rz, da_rz, u0, u1, b0, b1)
    if lbr:
        cc.packed_rows(p_n, P_n, da_n, u0, u1, b0, b1)
    for b in range(b0, b1):
        dh_b, dd_b = dh[b, u0:u1], dd[b, u0:u1]
        if k < lengths[b]:
            prz_b, pn_b = p_rz[b, u0:u1], p_n[b, u0:u1]
            for j in range(u1 - u0):
                dh_b[j] = dd_b[j] + prz_b[j] + pn_b[j] if lbr else dd_b[j] + prz_b[j]
        else:
            cc.copy(dh_b, dd_b)


def _backward_part(p, passes, k, u0, u1, b0, b1, gates, hn, hp, P_rz, P_n, dy, dh, dxp, dhn, da_rz, da_n, dd, drh,
                   p_rz, p_n, lengths, reverse, lbr, s):
    """Pass p (of `passes`: 2 with lbr, else 3) of backward step k for units u0..u1-1 and batch rows b0..b1-1:
    the pointwise gradients, (not lbr) the reset gate's, then dh_{t-1}."""
    if p == 0:
        _cell_grads(u0, u1, b0, b1, k, gates, hn, hp, dy, dh, dxp, dhn, da_rz, da_n, dd, lengths, reverse, lbr, s)
    elif p == passes - 1:
        _recurrent_grads(u0, u1, b0, b1, k, P_rz, P_n, p_rz, p_n, da_rz, da_n, dd, dh, lengths, lbr)
    else:
        _reset_grads(u0, u1, b0, b1, k, gates, hp, P_n, drh, dxp, da_rz, da_n, dd, lengths, reverse, s)


def _forward_part(p, k, u0, u1, b0, b1, gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, rec, rh, lengths, reverse, lbr, x1,
                  w1, bias1):
    """Pass p of step k for units u0..u1-1 and batch rows b0..b1-1: p = 0 the tape of h_{t-1} and the cell (lbr)
    or its first pass, p = 1 the new gate (not lbr)."""
    h_prev = hbuf[k % 2]
    h_next = hbuf[1 - k % 2]
    if p == 0:
        cc.save_prev_state(hp, h_prev, k, lengths, reverse, b0, b1, u0, u1)
        _forward_units(u0, u1, b0, b1, k, gates, hn, y, w_hh, P_hh, b_hn, rec, h_prev, h_next, rh, lengths, reverse,
                       lbr, x1, w1, bias1)
    else:
        _new_gate_units(u0, u1, b0, b1, k, gates, y, w_hh, P_hh, rec, h_prev, h_next, rh, lengths, reverse)


_forward_units, _new_gate_units, _cell_grads, _reset_grads, _recurrent_grads, _forward_part, _backward_part = map(
    cc.compile_step, (_forward_units, _new_gate_units, _cell_grads, _reset_grads, _recurrent_grads, _forward_part,
                       _backward_part))


def _forward_steps(ch, split, sync, gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, rec, rh, lengths, reverse, lbr, x1, w1,
                   bias1, feed):
    """Thread ch's steps of the loop, as step_split's split says: with the hidden units shared (split > 1) its tasks
    of every pass (`split` tasks a pass, a barrier after each: cpu_sync); else every step of its batch rows (chunk
    ch of -split; split 1: all of them), each step's inputs awaited from the feed where it runs (feed[5] > 0:
    cpu_feed). The rows path gives its part the whole unit range, a range the compiler knows
    (cpu_common.compile_thread_loop)."""
    lo = np.int64(0)                # not the literal 0: a literal argument compiles each callee once more
    T, B, G3 = gates.shape
    H = G3 // 3
    passes = 1 if lbr else 2        # the original variant's new gate needs r * h of every unit first
    b0, b1 = cc.chunk(ch, -split, B) if split < -1 else (lo, B)
    shared = split > 1
    for k in range(T):
        if feed[5] > 0:
            cpu_feed.await_step(feed, k, gates, reverse)
        for p in range(passes):
            if not shared:
                _forward_part(p, k, lo, H, b0, b1, gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, rec, rh, lengths, reverse,
                              lbr, x1, w1, bias1)
                continue
            task = cpu_sync.next_task(sync, passes * k + p, ch)
            while task >= 0:
                u0, u1 = cc.chunk(task, split, H)
                _forward_part(p, k, u0, u1, b0, b1, gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, rec, rh, lengths, reverse,
                              lbr, x1, w1, bias1)
                cpu_sync.finish(sync, passes * k + p, task)
                task = cpu_sync.next_task(sync, passes * k + p, ch)


def _backward_steps(ch, split, sync, gates, hn, hp, P_rz, P_n, dy, dh, dxp, dhn, da_rz, da_n, dd, drh, p_rz, p_n,
                    lengths, reverse, lbr, scratch):
    """Thread ch's steps of the backward loop, last to first: with the hidden units shared (split > 1) its tasks of
    every pass (a barrier after each: cpu_sync); else every step of its batch rows (chunk ch of -split; split 1:
    all of them)."""
    lo = np.int64(0)
    T, B, G3 = gates.shape
    H = G3 // 3
    passes = 2 if lbr else 3        # (the original variant: the reset gate's gradient needs all of da_n first)
    b0, b1 = cc.chunk(ch, -split, B) if split < -1 else (lo, B)
    shared = split > 1
    s = scratch[ch]
    for k in range(T - 1, -1, -1):
        for p in range(passes):
            phase = passes * (T - 1 - k) + p
            task = cpu_sync.next_task(sync, phase, ch) if shared else lo
            while task >= 0:
                u0, u1 = cc.chunk(task, split, H) if shared else (lo, H)
                _backward_part(p, passes, k, u0, u1, b0, b1, gates, hn, hp, P_rz, P_n, dy, dh, dxp, dhn, da_rz, da_n,
                               dd, drh, p_rz, p_n, lengths, reverse, lbr, s)
                if not shared:
                    break
                cpu_sync.finish(sync, phase, task)
                task = cpu_sync.next_task(sync, phase, ch)


_forward_steps, _backward_steps = map(cc.compile_thread_loop, (_forward_steps, _backward_steps))


@cc.kernel
def _forward_loop(gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, lengths, reverse, lbr, split, x1, w1, bias1, feed):
    """gates [T, B, 3H] in: x-parts (or x1, w1, bias1 to form them: cpu_common.step_inputs; or made as the loop
    runs: feed, gatecore.cpu_feed), out: r, z, n;
    hn, hp, y [T, B, H] out (y: zeros at padding steps, cpu_common.outputs); hbuf [2, B, H] with hbuf[0] = h0;
    b_hn [H] (linear_before_reset=True; zeros otherwise). Returns h_n (a view of hbuf)."""
    T, B, G3 = gates.shape
    rec = cc.aligned_zeros(B, G3, gates)
    rh = cc.aligned_zeros(B, G3 // 3, gates)
    sync = cpu_sync.new_sync(split if split > 1 else 0)
    if split < -1 or split > 1:     # batch rows (each thread its rows through every step) or hidden units (a barrier
        for ch in prange(abs(split)):   # per pass: cpu_sync), one region in all
            _forward_steps(np.int64(ch), split, sync, gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, rec, rh, lengths,
                           reverse, lbr, x1, w1, bias1, feed)
    elif feed[5] > 0:               # one thread runs the steps, another projects x ahead of them
        for ch in prange(2):
            if ch == 1:
                cpu_feed.project(feed, gates, reverse)
            else:
                _forward_steps(np.int64(0), split, sync, gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, rec, rh, lengths,
                               reverse, lbr, x1, w1, bias1, feed)
    else:
        _forward_steps(np.int64(0), split, sync, gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, rec, rh, lengths, reverse,
                       lbr, x1, w1, bias1, feed)
    return hbuf[T % 2]


@cc.kernel
def _backward_loop(gates, hn, hp, P_rz, P_n, dy, dh, lengths, reverse, lbr, split, dxp, dhn):
    """Fills dxp [T, B, 3H] and dhn [T, B, H] (the n-column of dhp), both zeros in (allocated by the caller:
    cpu_packed.pack says why); dh [B, H] enters as dL/dh_n and leaves as dL/dh0. P_rz = pack(W_h(r,z)),
    P_n = pack(W_hn) (gatecore.cpu_packed)."""
    B, G3 = gates.shape[1:]
    H = G3 // 3
    da_rz = cc.aligned_zeros(B, 2 * H, gates)
    da_n = cc.aligned_zeros(B, H, gates)
    dd = cc.aligned_zeros(B, H, gates)
    drh = cc.aligned_zeros(B, H, gates)
    p_rz = cc.aligned_zeros(B, H, gates)
    p_n = cc.aligned_zeros(B, H, gates)
    sync = cpu_sync.new_sync(split if split > 1 else 0)
    scratch = cc.unit_scratch(split, 5, gates)
    if split < -1 or split > 1:     # batch rows (a block's dh_{t-1} needs only its own rows' da) or hidden units (a
        for ch in prange(abs(split)):   # barrier per pass: cpu_sync), one region in all
            _backward_steps(np.int64(ch), split, sync, gates, hn, hp, P_rz, P_n, dy, dh, dxp, dhn, da_rz, da_n, dd, drh,
                            p_rz, p_n, lengths, reverse, lbr, scratch)
    else:
        _backward_steps(np.int64(0), split, sync, gates, hn, hp, P_rz, P_n, dy, dh, dxp, dhn, da_rz, da_n, dd, drh,
                        p_rz, p_n, lengths, reverse, lbr, scratch)


@numba.njit(**cc.JIT)
def _compiled_forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, lbr, need_tape, plan, idle):
    """forward() as one compiled call (gatecore.cpu_compiled; plan = cpu_compiled.plan()): b_ih, b_hh, h0 and lengths
    empty where not given; returns (y, h_n, gates, hn, hp, lengths)."""
    split, hh, P_hh, projection = plan
    T, B, _ = x.shape
    H = w_hh.shape[1]
    bias = cpu_compiled.bias_sum(b_ih, b_hh)
    b_hn = np.zeros(H, x.dtype)
    if lbr and b_ih.shape[0] > 0:
        bias[2 * H:] = b_ih[2 * H:]
        b_hn = b_hh[2 * H:].copy()
    gates, x1, w1, bias1, feed = cpu_compiled.inputs(x, w_ih, bias, projection, idle)
    steps = T if need_tape else 1
    hn = cpu_compiled.empty(steps, B, H, x)
    hp = cpu_compiled.empty(steps, B, H, x)
    lengths, y = cpu_compiled.lengths_and_outputs(lengths, T, B, H, x)
    hbuf = cpu_compiled.state(h0, B, H, x)
    h_n = _forward_loop(gates, hn, hp, y, hbuf, w_hh, cpu_compiled.panels(w_hh.T, hh, P_hh), b_hn, lengths,
                        reverse, lbr, split, x1, w1, bias1, feed)
    return y, h_n.copy(), gates, hn, hp, lengths


def forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, linear_before_reset, need_tape):
    """GRU forward (contract in gatecore.backends): returns (y, h_n, saved or None)."""
    lbr = bool(linear_before_reset)
    plan = cpu_compiled.plan(x, w_ih, w_hh, 3, w_hh.shape[1], lengths, reverse)
    if plan is not None:
        none1 = cc.none(x.dtype, 1)
        y, h_n, gates, hn, hp, lengths = _compiled_forward(
            x, cc.plain(w_ih), cc.plain(w_hh), none1 if b_ih is None else b_ih, none1 if b_hh is None else b_hh,
            cc.none(x.dtype, 2) if h0 is None else h0, cpu_compiled.NO_LENGTHS if lengths is None else lengths, reverse,
            lbr, need_tape, plan, cpu_feed.idle(x.dtype))
    else:
        y, h_n, gates, hn, hp, lengths = _general_forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, lbr,
                                                          need_tape)
    saved = None
    if need_tape:
        saved = (x, w_ih, w_hh, gates, hn, hp, lengths, reverse, lbr, b_ih is not None)
    return y, h_n, saved


def _general_forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, lbr, need_tape):
    """forward() from Python, any size and path: (y, h_n, gates, hn, hp, lengths)."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    P_hh = cc.panels(w_hh, T, B)
    split = cc.step_split(B, 3, H, H, panel=cc.panel_units(P_hh), itemsize=x.dtype.itemsize)
    given_lengths, lengths = lengths, cc.full_lengths(lengths, T, B)
    b_hn = np.zeros(H, x.dtype)
    bias = None
    if b_ih is not None:
        bias = b_ih + b_hh
        if lbr:
            bias[2 * H:] = b_ih[2 * H:]
            b_hn = b_hh[2 * H:]
    threaded = cc.aligns(split, T)                  # the arrays the loop writes start on a line
    steps = T if need_tape else 1                   # no tape: one scratch row (cpu_common.tape_row)
    empty = cc.allocators(threaded, steps * B * H * x.dtype.itemsize)[0]
    hn = empty((steps, B, H), x.dtype)
    hp = empty((steps, B, H), x.dtype)
    y = cc.outputs((T, B, H), x.dtype, given_lengths, threaded)
    hbuf = cc.initial_state(h0, B, H, x.dtype, threaded)
    runs = cc.time_chunks(x, y, lengths, reverse, 3 * H, need_tape)
    in_loop = cc.projects_in_loop(T, B)              # for the whole call, not each chunk
    P_ih = cc.input_weights(w_ih, runs)
    for x_c, y_c, lengths_c in runs:
        gates, x1, w1, bias1, feed = cpu_feed.inputs(x_c, w_ih, bias, P_ih, threaded, split, H, lengths_c, reverse,
                                                    in_loop)
        h_n = _forward_loop(gates, hn, hp, y_c, hbuf, cc.plain(w_hh), P_hh, b_hn, lengths_c, reverse, lbr,
                            split, x1, w1, bias1, feed)
    return y, h_n.copy(), gates, hn, hp, lengths


@numba.njit(**cc.JIT)
def _compiled_backward(gates, hn, hp, w_hh, dy, dh_n, lengths, reverse, lbr, plan):
    """backward()'s loop as one compiled call (plan: the split, W_hr's and W_hz's panels and W_hn's as
    cpu_compiled.weight_panels() gave them); returns (dh0, dxp, dhn, h_in), dhn [T*B, H] and h_in [T*B, H] (h, or
    r * h: what W_hn multiplies) for cpu_compiled.input_grads()."""
    split, rz, P_rz, n, P_n = plan
    T, B, G3 = gates.shape
    H = G3 // 3
    dh = cpu_compiled.copy(dh_n)
    dxp, dhn = cpu_compiled.zeros(T, B, G3, gates), cpu_compiled.zeros(T, B, H, gates)
    _backward_loop(gates, hn, hp, cpu_compiled.panels(w_hh[:2 * H], rz, P_rz),
                   cpu_compiled.panels(w_hh[2 * H:], n, P_n), dy, dh, lengths, reverse, lbr, split, dxp, dhn)
    K = T * B
    h_in = (hp if lbr else gates[:, :, :H] * hp).reshape((K, H))
    return dh, dxp, dhn.reshape((K, H)), h_in


def backward(saved, dy, dh_n):
    """GRU backward through time: returns {dx, dh0, dw_ih, dw_hh[, db_ih, db_hh]}."""
    x, w_ih, w_hh, gates, hn, hp, lengths, reverse, lbr, has_bias = saved
    B, H = dh_n.shape
    grads = cpu_compiled.grads_plan(gates, x, w_ih, hp, 2 * H, H)
    if grads is not None:
        rz, P_rz = cpu_compiled.weight_panels(w_hh, 0, 2 * H)
        n, P_n = cpu_compiled.weight_panels(w_hh, 2 * H, 3 * H)
        split = cc.step_split(B, 3, H, H, backward=True, panel=cpu_compiled.panel_width(x))
        dh, dxp, dhn, h_in = _compiled_backward(gates, hn, hp, cc.plain(w_hh), dy, dh_n, lengths, reverse, lbr,
                                                (split, rz, P_rz, n, P_n))
        dx, dw_ih, dw_hh, db_ih, db_hh = cpu_compiled.input_grads(dxp, x, cc.plain(w_ih), hp, 2 * H, dhn, h_in,
                                                                  grads)
        return cc.with_bias_grads({"dx": dx, "dh0": dh, "dw_ih": dw_ih, "dw_hh": dw_hh}, has_bias, db_ih, db_hh)
    return _general_backward(saved, dy, dh_n)


def _general_backward(saved, dy, dh_n):
    """backward() from Python, any size and path."""
    x, w_ih, w_hh, gates, hn, hp, lengths, reverse, lbr, has_bias = saved
    B, H = dh_n.shape
    P_rz, P_n = cc.weight_panels(w_hh, 0, 2 * H), cc.weight_panels(w_hh, 2 * H, 3 * H)
    split = cc.step_split(B, 3, H, H, backward=True, panel=cc.panel_units(P_rz))
    threaded = cc.aligns(split, gates.shape[0])
    dh = cc.state_or_zeros(dh_n, B, H, x.dtype, threaded)
    zeros = cc.allocators(threaded, gates.nbytes)[1]
    dxp, dhn = zeros(gates.shape, x.dtype), zeros(hp.shape, x.dtype)
    _backward_loop(gates, hn, hp, P_rz, P_n, dy, dh, lengths, reverse, lbr, split, dxp, dhn)
    dw_hh = cpu_pool.empty(w_hh.shape, w_hh.dtype)
    dx, dw_ih, dw_hh[:2 * H], db_ih = cc.input_grads(dxp, x, w_ih, hp, 2 * H)
    dw_hh[2 * H:], = cc.weight_grads(dhn, (hp if lbr else gates[:, :, :H] * hp,))
    db_hh = np.concatenate([db_ih[:2 * H], cc.column_sums(dhn.reshape(-1, H))])
    grads = {"dx": dx, "dh0": dh, "dw_ih": dw_ih, "dw_hh": dw_hh}
    return cc.with_bias_grads(grads, has_bias, db_ih, db_hh)
