"""Backend "cpu" for the LSTM: Numba kernels, the input GEMMs outside the time loop.

Gates i, f, g, o stacked in that order along the 4H axis (PyTorch's order):
    a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh       i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
    c_t = f * c_{t-1} + i * g        m_t = o * tanh(c_t)        h_t = m_t, or h_t = W_hr m_t (projection)

Shapes: x [T, B, I], w_ih [4H, I], w_hh [4H, R], b_ih/b_hh [4H] or None, h0 [B, R] or None (zeros),
c0 [B, H] or None (zeros), w_hr [P, H] or None, lengths int64 [B] or None (all T), R = P with a projection
else H; y [T, B, R], h_n [B, R], c_n [B, H]. Computed in x's dtype (float32 or float64).

Forward: x W_ih^T + (b_ih + b_hh) for all steps in one GEMM into `gates` [T, B, 4H]; per step, for a range of
hidden units (all of them, or one thread's share), the recurrent product h_{t-1} W_hh^T (cpu_common.recurrent_products)
and then the pointwise cell per batch row, which overwrites gates[t, b] with i, f, g, o (layout and
packed-sequence order: gatecore.cpu_common). With a projection, a second pass per step forms h_t = W_hr m_t.
The tape holds gates, cp [T, B, H] (c_{t-1} as used at time t), cs [T, B, H] (c_t), hp [T, B, R] (h_{t-1}),
x and the weights. Backward runs the loop backwards for da = dL/da [T, B, 4H] (and dhs = dL/dh_t [T, B, R]
with a projection), then dx = da W_ih, dW_ih = da^T x, dW_hh = da^T hp, db = sum da, dW_hr = dhs^T m.
A forward without a projection runs as one Numba call (_compiled_forward, gatecore.cpu_compiled) where
cpu_compiled.plan() takes it, else from Python (_general_forward); a backward likewise (_compiled_backward, then
cpu_compiled.input_grads, where cpu_compiled.grads_plan() takes it, else _general_backward); the same kernels and
bits either way.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import prange

from .. import cpu_common as cc
from .. import cpu_feed, cpu_compiled, cpu_sync
from . import cell

_gates = cc.compile_pointwise(cell.gates)
_state = cc.compile_pointwise(cell.state)
_step_grad = cc.compile_pointwise(cell.step_grad)


def _forward_units(u0, u1, b0, b1, k, gates, cp, cs, y, w_hh, P_hh, rec, h_prev, h_next, c, m_k, lengths, reverse,
                   proj, x1, w1, bias1):
    """Units u0..u1-1 of step k, batch rows b0..b1-1: rec = h_{t-1} W_hh^T for these units' rows, then the cell
    over the units in two loops without calls or branches (vectorised): the gates (cell.gates), then the state
    update and the tape (cell.state). One loop of both kept ~13 arrays and the activations' ~15 constants live:
    AVX2's 16 vector registers spilled, and at B=8 H=64 the cell took 2.6 us a step, 2.2 as two loops."""
    H = c.shape[1]
    cc.one_step_inputs(gates, x1, w1, bias1, 4, H, u0, u1, b0, b1, k)
    cc.gate_products(rec, w_hh, P_hh, h_prev, 4, H, u0, u1, b0, b1, k)
    for b in range(b0, b1):
        n = lengths[b]
        if k >= n:
            for g in range(4):
                gates[k, b, g * H + u0:g * H + u1] = 0
            cp[cc.tape_row(k, cp), b, u0:u1] = 0
            cs[cc.tape_row(k, cs), b, u0:u1] = 0
            if not proj:
                cc.copy(h_next[b, u0:u1], h_prev[b, u0:u1])
            continue
        t = cc.time_of(k, n, reverse)
        a, r = gates[t, b], rec[b]
        a_i, a_f, a_g, a_o = a[u0:u1], a[H + u0:H + u1], a[2 * H + u0:2 * H + u1], a[3 * H + u0:3 * H + u1]
        r_i, r_f, r_g, r_o = r[u0:u1], r[H + u0:H + u1], r[2 * H + u0:2 * H + u1], r[3 * H + u0:3 * H + u1]
        for j in range(u1 - u0):
            a_i[j], a_f[j], a_g[j], a_o[j] = _gates(a_i[j] + r_i[j], a_f[j] + r_f[j], a_g[j] + r_g[j], a_o[j] + r_o[j])
        c_b, cp_t, cs_t = c[b, u0:u1], cp[cc.tape_row(t, cp), b, u0:u1], cs[cc.tape_row(t, cs), b, u0:u1]
        m_b = m_k[b, u0:u1] if proj else y[t, b, u0:u1]
        for j in range(u1 - u0):
            c_prev = c_b[j]
            c_t, m = _state(a_i[j], a_f[j], a_g[j], a_o[j], c_prev)
            cp_t[j] = c_prev
            cs_t[j] = c_t
            c_b[j] = c_t
            m_b[j] = m
        if not proj:
            cc.copy(h_next[b, u0:u1], m_b)


def _project_units(p0, p1, b0, b1, k, y, w_hr, P_hr, h_prev, h_next, m_k, hr, lengths, reverse):
    """h_t = W_hr m_t for outputs p0..p1-1 and batch rows b0..b1-1 of step k (padding rows keep h)."""
    cc.recurrent_products(hr, w_hr, P_hr, m_k, p0, p1, b0, b1)
    for b in range(b0, b1):
        n = lengths[b]
        if k < n:
            cc.copy(y[cc.time_of(k, n, reverse), b, p0:p1], hr[b, p0:p1])
            cc.copy(h_next[b, p0:p1], hr[b, p0:p1])
        else:
            cc.copy(h_next[b, p0:p1], h_prev[b, p0:p1])


def _cell_grads(u0, u1, b0, b1, k, gates, cp, cs, dhv, P_hr, dc, da, da_k, dm_k, lengths, reverse, proj, s):
    """da (the four pre-activations) and dc_{t-1} for units u0..u1-1 and batch rows b0..b1-1 of step k;
    dhv = dL/dh_t [B, R]. cpu_common.UNITS units at a time: the gradients into the thread's scratch s
    [4 * UNITS] (cpu_common.unit_scratch), then copied to da[t, b] and da_k[b]."""
    H = dc.shape[1]
    C = cc.UNITS
    if proj:
        cc.packed_rows(dm_k, P_hr, dhv, u0, u1, b0, b1)
    for b in range(b0, b1):
        n = lengths[b]
        if k >= n:
            for g in range(4):
                da_k[b, g * H + u0:g * H + u1] = 0
            continue
        t = cc.time_of(k, n, reverse)
        a, d, e = gates[t, b], da[t, b], da_k[b]
        cp_r, cs_r, dc_r = cp[t, b], cs[t, b], dc[b]
        dm_r = dm_k[b] if proj else dhv[b]
        for j0 in range(u0, u1, C):
            j1 = min(u1, j0 + C)
            i_, f_, g_, o_ = a[j0:j1], a[H + j0:H + j1], a[2 * H + j0:2 * H + j1], a[3 * H + j0:3 * H + j1]
            cp_t, cs_t, dc_b, dm_b = cp_r[j0:j1], cs_r[j0:j1], dc_r[j0:j1], dm_r[j0:j1]
            for j in range(j1 - j0):
                s[j], s[C + j], s[2 * C + j], s[3 * C + j], dc_b[j] = _step_grad(i_[j], f_[j], g_[j], o_[j], cp_t[j],
                                                                                 cs_t[j], dm_b[j], dc_b[j])
            for g in range(4):
                s_g, d_g, e_g = s[g * C:g * C + j1 - j0], d[g * H + j0:g * H + j1], e[g * H + j0:g * H + j1]
                for j in range(j1 - j0):
                    d_g[j] = e_g[j] = s_g[j]


def _recurrent_grads(r0, r1, b0, b1, k, P_hh, dhr, da_k, dhv, dh, lengths):
    """dh_{t-1} = W_hh^T da (P_hh = pack(W_hh)) for outputs r0..r1-1 and batch rows b0..b1-1 (padding rows carry
    dhv unchanged)."""
    cc.packed_rows(dhr, P_hh, da_k, r0, r1, b0, b1)
    for b in range(b0, b1):
        if k < lengths[b]:
            cc.copy(dh[b, r0:r1], dhr[b, r0:r1])
        else:
            cc.copy(dh[b, r0:r1], dhv[b, r0:r1])


def _upstream(k, b0, b1, r0, r1, dy, dh, dhv, dhs, lengths, reverse):
    """dhv = dL/dh_t = dh (from step t+1) + dy_t for rows b0..b1-1 and columns r0..r1-1 of step k (dh alone at
    padding); with a projection also kept in dhs [T, B, R] for dW_hr."""
    proj = dhs.shape[0] > 0
    for b in range(b0, b1):
        n = lengths[b]
        t = cc.time_of(k, n, reverse)
        for r in range(r0, r1):
            dhv[b, r] = dh[b, r] + dy[t, b, r] if k < n else dh[b, r]
        if proj and k < n:
            cc.copy(dhs[t, b, r0:r1], dhv[b, r0:r1])


def _backward_part(p, passes, k, u0, u1, r0, r1, b0, b1, gates, cp, cs, P_hh, P_hr, dy, dh, dc, da, dhs, da_k, dm_k,
                   dhv, dhr, lengths, reverse, s):
    """Pass p (of `passes`: 3 with a projection, else 2) of backward step k for units u0..u1-1, columns r0..r1-1
    of h and batch rows b0..b1-1: dhv (and, without a projection, the cell's gradients: R = H), with one the
    cell's gradients in a pass of their own (every unit's dm needs all of dhv), then dh_{t-1}."""
    proj = passes == 3
    if p == 0:
        _upstream(k, b0, b1, r0, r1, dy, dh, dhv, dhs, lengths, reverse)
    if (p == 0 and not proj) or (p == 1 and proj):
        _cell_grads(u0, u1, b0, b1, k, gates, cp, cs, dhv, P_hr, dc, da, da_k, dm_k, lengths, reverse, proj, s)
    if p == passes - 1:
        _recurrent_grads(r0, r1, b0, b1, k, P_hh, dhr, da_k, dhv, dh, lengths)


def _forward_part(p, k, u0, u1, r0, r1, b0, b1, gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, rec, m_k, hr,
                  lengths, reverse, x1, w1, bias1):
    """Pass p of step k for units u0..u1-1, columns r0..r1-1 of h and batch rows b0..b1-1: p = 0 the tape of
    h_{t-1} and the cell, p = 1 the projection (outputs r0..r1-1)."""
    h_prev = hbuf[k % 2]
    h_next = hbuf[1 - k % 2]
    proj = w_hr.shape[0] > 0
    if p == 0:
        cc.save_prev_state(hp, h_prev, k, lengths, reverse, b0, b1, r0, r1)
        _forward_units(u0, u1, b0, b1, k, gates, cp, cs, y, w_hh, P_hh, rec, h_prev, h_next, c, m_k, lengths, reverse,
                       proj, x1, w1, bias1)
    else:
        _project_units(r0, r1, b0, b1, k, y, w_hr, P_hr, h_prev, h_next, m_k, hr, lengths, reverse)


_forward_units, _project_units, _cell_grads, _recurrent_grads, _upstream, _forward_part, _backward_part = map(
    cc.compile_step, (_forward_units, _project_units, _cell_grads, _recurrent_grads, _upstream, _forward_part,
                      _backward_part))


def _forward_steps(ch, split, sync, gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, rec, m_k, hr, lengths,
                   reverse, x1, w1, bias1, feed):
    """Thread ch's steps of the loop, as step_split's split says: with the hidden units shared (split > 1) its tasks
    of every pass (`split` tasks a pass, a barrier after each: cpu_sync); else every step of its batch rows (chunk
    ch of -split; split 1: all of them), each step's inputs awaited from the feed where it runs (feed[5] > 0:
    cpu_feed). The rows path gives its part the whole unit range, a range the compiler knows
    (cpu_common.compile_thread_loop)."""
    lo = np.int64(0)                # not the literal 0: a literal argument compiles each callee once more
    T, B, _ = gates.shape
    H = c.shape[1]
    R = hbuf.shape[2]
    passes = 2 if w_hr.shape[0] > 0 else 1      # the cell, then the projection
    b0, b1 = cc.chunk(ch, -split, B) if split < -1 else (lo, B)
    shared = split > 1
    for k in range(T):
        if feed[5] > 0:
            cpu_feed.await_step(feed, k, gates, reverse)
        for p in range(passes):
            if not shared:
                _forward_part(p, k, lo, H, lo, R, b0, b1, gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, rec,
                              m_k, hr, lengths, reverse, x1, w1, bias1)
                continue
            task = cpu_sync.next_task(sync, passes * k + p, ch)
            while task >= 0:
                u0, u1 = cc.chunk(task, split, H)
                r0, r1 = cc.chunk(task, split, R)
                _forward_part(p, k, u0, u1, r0, r1, b0, b1, gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, rec,
                              m_k, hr, lengths, reverse, x1, w1, bias1)
                cpu_sync.finish(sync, passes * k + p, task)
                task = cpu_sync.next_task(sync, passes * k + p, ch)


_forward_steps = cc.compile_thread_loop(_forward_steps)


@cc.kernel
def _forward_loop(gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, lengths, reverse, split, x1, w1, bias1,
                  feed):
    """gates [T, B, 4H] in: x W_ih^T + b (or x1, w1, bias1 to form it: cpu_common.step_inputs; or made as the
    loop runs: feed, gatecore.cpu_feed), out: i, f, g, o;
    cp, cs [T, B, H], hp, y [T, B, R] out (y: zeros at padding steps, cpu_common.outputs); hbuf [2, B, R] with
    hbuf[0] = h0; c [B, H] = c0 in, c_n out. Returns h_n (a view of hbuf)."""
    T, B, _ = gates.shape
    H = c.shape[1]
    P = w_hr.shape[0]
    rec = cc.aligned_zeros(B, 4 * H, gates)
    m_k = cc.aligned_zeros(B, H, gates)
    hr = cc.aligned_zeros(B, P, gates)
    sync = cpu_sync.new_sync(split if split > 1 else 0)
    if split < -1 or split > 1:     # batch rows (each thread its rows through every step) or hidden units (a barrier
        for ch in prange(abs(split)):   # per pass: cpu_sync), one region in all
            _forward_steps(np.int64(ch), split, sync, gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, rec, m_k,
                           hr, lengths, reverse, x1, w1, bias1, feed)
    elif feed[5] > 0:               # one thread runs the steps, another projects x ahead of them
        for ch in prange(2):
            if ch == 1:
                cpu_feed.project(feed, gates, reverse)
            else:
                _forward_steps(np.int64(0), split, sync, gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, rec,
                               m_k, hr, lengths, reverse, x1, w1, bias1, feed)
    else:
        _forward_steps(np.int64(0), split, sync, gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, rec, m_k, hr,
                       lengths, reverse, x1, w1, bias1, feed)
    return hbuf[T % 2]


def _backward_steps(ch, split, sync, gates, cp, cs, P_hh, P_hr, dy, dh, dc, da, dhs, da_k, dm_k, dhv, dhr, lengths,
                    reverse, scratch):
    """Thread ch's steps of the backward loop, last to first: with the hidden units shared (split > 1) its tasks of
    every pass (a barrier after each: cpu_sync); else every step of its batch rows (chunk ch of -split; split 1:
    all of them)."""
    lo = np.int64(0)
    T, B, _ = gates.shape
    H = dc.shape[1]
    R = dh.shape[1]
    passes = 3 if P_hr.shape[1] > 0 else 2      # with a projection every unit's dm needs all of dhv first
    b0, b1 = cc.chunk(ch, -split, B) if split < -1 else (lo, B)
    shared = split > 1
    s = scratch[ch]
    for k in range(T - 1, -1, -1):
        for p in range(passes):
            phase = passes * (T - 1 - k) + p
            task = cpu_sync.next_task(sync, phase, ch) if shared else lo
            while task >= 0:
                u0, u1 = cc.chunk(task, split, H) if shared else (lo, H)
                r0, r1 = cc.chunk(task, split, R) if shared else (lo, R)
                _backward_part(p, passes, k, u0, u1, r0, r1, b0, b1, gates, cp, cs, P_hh, P_hr, dy, dh, dc, da, dhs,
                               da_k, dm_k, dhv, dhr, lengths, reverse, s)
                if not shared:
                    break
                cpu_sync.finish(sync, phase, task)
                task = cpu_sync.next_task(sync, phase, ch)


_backward_steps = cc.compile_thread_loop(_backward_steps)


@cc.kernel
def _backward_loop(gates, cp, cs, P_hh, P_hr, dy, dh, dc, lengths, reverse, split, da, dhs):
    """Fills da [T, B, 4H] and (with a projection) dhs [T, B, R], both zeros in (allocated by the caller:
    cpu_packed.pack says why); dh [B, R] and dc [B, H] enter as dL/dh_n, dL/dc_n and leave as dL/dh0, dL/dc0."""
    B, G4 = gates.shape[1:]
    H = dc.shape[1]
    R = dh.shape[1]
    proj = P_hr.shape[1] > 0
    da_k = cc.aligned_zeros(B, G4, gates)
    dm_k = cc.aligned_zeros(B, H if proj else 0, gates)
    dhv = cc.aligned_zeros(B, R, gates)
    dhr = cc.aligned_zeros(B, R, gates)
    sync = cpu_sync.new_sync(split if split > 1 else 0)
    scratch = cc.unit_scratch(split, 4, gates)
    if split < -1 or split > 1:     # batch rows (a block's dh_{t-1} needs only its own rows' da) or hidden units (a
        for ch in prange(abs(split)):   # barrier per pass: cpu_sync), one region in all
            _backward_steps(np.int64(ch), split, sync, gates, cp, cs, P_hh, P_hr, dy, dh, dc, da, dhs, da_k, dm_k, dhv,
                            dhr, lengths, reverse, scratch)
    else:
        _backward_steps(np.int64(0), split, sync, gates, cp, cs, P_hh, P_hr, dy, dh, dc, da, dhs, da_k, dm_k, dhv, dhr,
                        lengths, reverse, scratch)


@numba.njit(**cc.JIT)
def _compiled_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, need_tape, plan, idle):
    """forward() without a projection as one compiled call (gatecore.cpu_compiled; plan = cpu_compiled.plan()):
    b_ih, b_hh, h0, c0 and lengths empty where not given; returns (y, h_n, c_n, gates, cp, cs, hp, lengths)."""
    split, hh, P_hh, projection = plan
    T, B, _ = x.shape
    H = w_hh.shape[1]
    gates, x1, w1, bias1, feed = cpu_compiled.inputs(x, w_ih, cpu_compiled.bias_sum(b_ih, b_hh), projection, idle)
    steps = T if need_tape else 1
    cp = cpu_compiled.empty(steps, B, H, x)
    cs = cpu_compiled.empty(steps, B, H, x)
    hp = cpu_compiled.empty(steps, B, H, x)
    lengths, y = cpu_compiled.lengths_and_outputs(lengths, T, B, H, x)
    hbuf = cpu_compiled.state(h0, B, H, x)
    c = cpu_compiled.state(c0, B, H, x)[0]
    h_n = _forward_loop(gates, cp, cs, hp, y, hbuf, c, w_hh, cpu_compiled.panels(w_hh.T, hh, P_hh),
                        np.zeros((0, 0), x.dtype), np.zeros((0, 0, 0), x.dtype), lengths, reverse, split, x1, w1,
                        bias1, feed)
    return y, h_n.copy(), c, gates, cp, cs, hp, lengths


def forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, w_hr, need_tape):
    """LSTM forward (contract in gatecore.backends): returns (y, h_n, c_n, saved or None)."""
    plan = None if w_hr is not None else cpu_compiled.plan(x, w_ih, w_hh, 4, w_hh.shape[1], lengths, reverse)
    if plan is not None:
        none1, none2 = cc.none(x.dtype, 1), cc.none(x.dtype, 2)
        y, h_n, c, gates, cp, cs, hp, lengths = _compiled_forward(
            x, cc.plain(w_ih), cc.plain(w_hh), none1 if b_ih is None else b_ih, none1 if b_hh is None else b_hh,
            none2 if h0 is None else h0, none2 if c0 is None else c0, cpu_compiled.NO_LENGTHS if lengths is None
            else lengths, reverse, need_tape, plan, cpu_feed.idle(x.dtype))
    else:
        y, h_n, c, gates, cp, cs, hp, lengths = _general_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse,
                                                                 w_hr, need_tape)
    saved = None
    if need_tape:
        saved = (x, w_ih, w_hh, w_hr, gates, cp, cs, hp, lengths, reverse, b_ih is not None)
    return y, h_n, c, saved


def _general_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, w_hr, need_tape):
    """forward() from Python, any size and path: (y, h_n, c_n, gates, cp, cs, hp, lengths)."""
    T, B, _ = x.shape
    H = w_ih.shape[0] // 4
    R = w_hh.shape[1]
    P_hh = cc.panels(w_hh, T, B)
    split = cc.step_split(B, 4, H, R, panel=cc.panel_units(P_hh), itemsize=x.dtype.itemsize)
    given_lengths, lengths = lengths, cc.full_lengths(lengths, T, B)
    bias = None if b_ih is None else b_ih + b_hh
    P_hr = cc.none(x.dtype, 3) if w_hr is None else cc.panels(w_hr, T, B)
    threaded = cc.aligns(split, T)                  # the arrays the loop writes start on a line
    steps = T if need_tape else 1                   # no tape: one scratch row (cpu_common.tape_row)
    empty = cc.allocators(threaded, steps * B * max(H, R) * x.dtype.itemsize)[0]
    cp = empty((steps, B, H), x.dtype)
    cs = empty((steps, B, H), x.dtype)
    hp = empty((steps, B, R), x.dtype)
    y = cc.outputs((T, B, R), x.dtype, given_lengths, threaded)
    hbuf = cc.initial_state(h0, B, R, x.dtype, threaded)
    c = cc.state_or_zeros(c0, B, H, x.dtype, threaded)
    w_hr_k = cc.none(x.dtype, 2) if w_hr is None else cc.plain(w_hr)
    runs = cc.time_chunks(x, y, lengths, reverse, 4 * H, need_tape)
    in_loop = cc.projects_in_loop(T, B)              # for the whole call, not each chunk
    P_ih = cc.input_weights(w_ih, runs)
    for x_c, y_c, lengths_c in runs:
        gates, x1, w1, bias1, feed = cpu_feed.inputs(x_c, w_ih, bias, P_ih, threaded, split, R, lengths_c, reverse,
                                                    in_loop)
        h_n = _forward_loop(gates, cp, cs, hp, y_c, hbuf, c, cc.plain(w_hh), P_hh, w_hr_k, P_hr, lengths_c, reverse,
                            split, x1, w1, bias1, feed)
    return y, h_n.copy(), c, gates, cp, cs, hp, lengths


@numba.njit(**cc.JIT)
def _compiled_backward(gates, cp, cs, w_hh, dy, dh_n, dc_n, lengths, reverse, plan):
    """backward()'s loop without a projection as one compiled call (plan: the split, W_hh's panels as
    cpu_compiled.weight_panels() gave them); returns (dh0, dc0, da), da for cpu_compiled.input_grads()."""
    split, hh, P_hh = plan
    T, B, G4 = gates.shape
    dh, dc = cpu_compiled.copy(dh_n), cpu_compiled.copy(dc_n)
    da = cpu_compiled.zeros(T, B, G4, gates)
    _backward_loop(gates, cp, cs, cpu_compiled.panels(w_hh, hh, P_hh), np.zeros((0, 0, 0), gates.dtype), dy, dh,
                   dc, lengths, reverse, split, da, np.zeros((0, B, dh.shape[1]), gates.dtype))
    return dh, dc, da


def backward(saved, dy, dh_n, dc_n):
    """LSTM backward through time: returns {dx, dh0, dc0, dw_ih, dw_hh[, db_ih, db_hh][, dw_hr]}."""
    x, w_ih, w_hh, w_hr, gates, cp, cs, hp, lengths, reverse, has_bias = saved
    B, H = dc_n.shape
    grads = None if w_hr is not None else cpu_compiled.grads_plan(gates, x, w_ih, hp, 4 * H)
    if grads is not None:
        hh, P_hh = cpu_compiled.weight_panels(w_hh)
        split = cc.step_split(B, 4, H, H, backward=True, panel=cpu_compiled.panel_width(x))
        dh, dc, da = _compiled_backward(gates, cp, cs, cc.plain(w_hh), dy, dh_n, dc_n, lengths, reverse,
                                        (split, hh, P_hh))
        none2 = cc.none(x.dtype, 2)
        dx, dw_ih, dw_hh, db_ih, db_hh = cpu_compiled.input_grads(da, x, cc.plain(w_ih), hp, 4 * H, none2, none2,
                                                                  grads)
        return cc.with_bias_grads({"dx": dx, "dh0": dh, "dc0": dc, "dw_ih": dw_ih, "dw_hh": dw_hh}, has_bias, db_ih,
                                  db_hh)
    return _general_backward(saved, dy, dh_n, dc_n)


def _general_backward(saved, dy, dh_n, dc_n):
    """backward() from Python, any size and path."""
    x, w_ih, w_hh, w_hr, gates, cp, cs, hp, lengths, reverse, has_bias = saved
    B, H = dc_n.shape
    P_hr = cc.pack(np.zeros((0, H), x.dtype)) if w_hr is None else cc.weight_panels(w_hr)
    P_hh = cc.weight_panels(w_hh)
    T, R = gates.shape[0], w_hh.shape[1]
    split = cc.step_split(B, 4, H, R, backward=True, panel=cc.panel_units(P_hh))
    threaded = cc.aligns(split, gates.shape[0])
    dh, dc = cc.state_or_zeros(dh_n, B, R, x.dtype, threaded), cc.state_or_zeros(dc_n, B, H, x.dtype, threaded)
    zeros = cc.allocators(threaded, gates.nbytes)[1]
    da = zeros(gates.shape, x.dtype)
    dhs = zeros((T if w_hr is not None else 0, B, R), x.dtype)
    _backward_loop(gates, cp, cs, P_hh, P_hr, dy, dh, dc, lengths, reverse, split, da, dhs)
    dx, dw_ih, dw_hh, db = cc.input_grads(da, x, w_ih, hp)
    grads = {"dx": dx, "dh0": dh, "dc0": dc, "dw_ih": dw_ih, "dw_hh": dw_hh}
    if w_hr is not None:
        grads["dw_hr"], = cc.weight_grads(dhs, (gates[:, :, 3 * H:] * np.tanh(cs),))
    return cc.with_bias_grads(grads, has_bias, db, db.copy())
