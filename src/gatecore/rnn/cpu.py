"""Backend "cpu" for the Elman RNN: Numba kernels, the input GEMMs outside the time loop.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        h_t = act(a_t),   act = tanh or relu

Shapes: x [T, B, I], w_ih [H, I], w_hh [H, H], b_ih/b_hh [H] or None, h0 [B, H] or None (zeros),
lengths int64 [B] or None (all T); y [T, B, H], h_n [B, H]. Computed in x's dtype (float32 or float64).

Forward: a = x W_ih^T + (b_ih + b_hh) for all steps in one GEMM, then per step a += W_hh h_{t-1} and
h_t = act(a), written in place over a (gatecore.cpu_common explains the layout and the packed-sequence order).
The tape holds hs [T, B, H] (h_t at real steps, 0 at padding, time-indexed: act' is taken from the output),
hp [T, B, H] (h_{t-1} as used at time t), x and the weights. Backward runs the loop backwards for
da = dL/da_t [T, B, H], then dx = da W_ih, dW_ih = da^T x, dW_hh = da^T hp, db = sum da after it.
A forward runs as one Numba call (_compiled_forward, gatecore.cpu_compiled) where cpu_compiled.plan() takes
it, else from Python; a backward likewise (_compiled_backward, then cpu_compiled.input_grads, where
cpu_compiled.grads_plan() takes it, else _general_backward); the same kernels and bits either way.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import prange

from .. import cpu_common as cc
from .. import cpu_feed, cpu_compiled, cpu_sync
from . import cell

_step = cc.compile_pointwise(cell.step)
_step_grad = cc.compile_pointwise(cell.step_grad)
_ACT = {"tanh": cell.TANH, "relu": cell.RELU}


def _forward_units(u0, u1, b0, b1, k, a, hp, w_hh, P_hh, rec, h_prev, h_next, lengths, reverse, act, x1, w1, bias1):
    """Units u0..u1-1 of step k, batch rows b0..b1-1: h_t = act(a + W_hh h_{t-1}) over a[t, b] in place."""
    cc.one_step_inputs(a, x1, w1, bias1, 1, w_hh.shape[0], u0, u1, b0, b1, k)
    cc.recurrent_products(rec, w_hh, P_hh, h_prev, u0, u1, b0, b1, cc.zigzag(w_hh, P_hh, k))
    for b in range(b0, b1):
        n = lengths[b]
        if k < n:
            t = cc.time_of(k, n, reverse)
            cc.copy(hp[cc.tape_row(t, hp), b, u0:u1], h_prev[b, u0:u1])
            a_b, r_b, h_b = a[t, b, u0:u1], rec[b, u0:u1], h_next[b, u0:u1]
            for j in range(u1 - u0):
                h = _step(a_b[j] + r_b[j], act)
                a_b[j] = h
                h_b[j] = h
        else:
            a[k, b, u0:u1] = 0
            hp[cc.tape_row(k, hp), b, u0:u1] = 0
            cc.copy(h_next[b, u0:u1], h_prev[b, u0:u1])


def _backward_units(u0, u1, b0, b1, k, hs, dy, dh, da, da_k, lengths, reverse, act):
    """da = act'(a) * (dh + dy) for units u0..u1-1 and batch rows b0..b1-1 of step k (0 at padding)."""
    for b in range(b0, b1):
        n = lengths[b]
        if k < n:
            t = cc.time_of(k, n, reverse)
            h_t, dh_b, dy_t, da_t, da_b = hs[t, b, u0:u1], dh[b, u0:u1], dy[t, b, u0:u1], da[t, b, u0:u1], da_k[
                b, u0:u1]
            for j in range(u1 - u0):
                d = _step_grad(h_t[j], dh_b[j] + dy_t[j], act)
                da_t[j] = d
                da_b[j] = d
        else:
            da_k[b, u0:u1] = 0


def _recurrent_grads(u0, u1, b0, b1, k, P_hh, dhr, da_k, dh, lengths):
    """dh_{t-1} = W_hh^T da for units u0..u1-1 of real rows among b0..b1-1 (padding rows carry dh unchanged)."""
    cc.packed_rows(dhr, P_hh, da_k, u0, u1, b0, b1)
    for b in range(b0, b1):
        if k < lengths[b]:
            cc.copy(dh[b, u0:u1], dhr[b, u0:u1])


def _backward_part(p, k, u0, u1, b0, b1, hs, P_hh, dy, dh, da, da_k, dhr, lengths, reverse, act):
    """Pass p of backward step k for units u0..u1-1 and batch rows b0..b1-1: da, then dh_{t-1}."""
    if p == 0:
        _backward_units(u0, u1, b0, b1, k, hs, dy, dh, da, da_k, lengths, reverse, act)
    else:
        _recurrent_grads(u0, u1, b0, b1, k, P_hh, dhr, da_k, dh, lengths)


_forward_units, _backward_units, _recurrent_grads, _backward_part = map(
    cc.compile_step, (_forward_units, _backward_units, _recurrent_grads, _backward_part))


def _forward_steps(ch, split, sync, a, hp, hbuf, w_hh, P_hh, rec, lengths, reverse, act, x1, w1, bias1, feed):
    """Thread ch's steps of the loop, as step_split's split says: with the hidden units shared (split > 1) its tasks
    of every step (a barrier after each: cpu_sync); else every step of its batch rows (chunk ch of -split; split 1:
    all of them), each step's inputs awaited from the feed where it runs (feed[5] > 0: cpu_feed). The rows path
    gives its part the whole unit range, a range the compiler knows (cpu_common.compile_thread_loop)."""
    lo = np.int64(0)                # not the literal 0: a literal argument compiles each callee once more
    T, B, H = a.shape
    b0, b1 = cc.chunk(ch, -split, B) if split < -1 else (lo, B)
    shared = split > 1
    for k in range(T):
        if feed[5] > 0:
            cpu_feed.await_step(feed, k, a, reverse)
        if not shared:
            _forward_units(lo, H, b0, b1, k, a, hp, w_hh, P_hh, rec, hbuf[k % 2], hbuf[1 - k % 2], lengths, reverse,
                           act, x1, w1, bias1)
            continue
        task = cpu_sync.next_task(sync, k, ch)
        while task >= 0:
            u0, u1 = cc.chunk(task, split, H)
            _forward_units(u0, u1, b0, b1, k, a, hp, w_hh, P_hh, rec, hbuf[k % 2], hbuf[1 - k % 2], lengths, reverse,
                           act, x1, w1, bias1)
            cpu_sync.finish(sync, k, task)
            task = cpu_sync.next_task(sync, k, ch)


def _backward_steps(ch, split, sync, hs, P_hh, dy, dh, da, da_k, dhr, lengths, reverse, act):
    """Thread ch's steps of the backward loop, last to first: with the hidden units shared (split > 1) its tasks of
    every pass (a barrier after each: cpu_sync); else every step of its batch rows (chunk ch of -split; split 1:
    all of them)."""
    lo = np.int64(0)
    T, B, H = hs.shape
    b0, b1 = cc.chunk(ch, -split, B) if split < -1 else (lo, B)
    shared = split > 1
    for k in range(T - 1, -1, -1):
        for p in range(2):
            phase = 2 * (T - 1 - k) + p
            task = cpu_sync.next_task(sync, phase, ch) if shared else lo
            while task >= 0:
                u0, u1 = cc.chunk(task, split, H) if shared else (lo, H)
                _backward_part(p, k, u0, u1, b0, b1, hs, P_hh, dy, dh, da, da_k, dhr, lengths, reverse, act)
                if not shared:
                    break
                cpu_sync.finish(sync, phase, task)
                task = cpu_sync.next_task(sync, phase, ch)


_forward_steps, _backward_steps = map(cc.compile_thread_loop, (_forward_steps, _backward_steps))


@cc.kernel
def _forward_loop(a, hp, hbuf, w_hh, P_hh, lengths, reverse, act, split, x1, w1, bias1, feed):
    """a [T, B, H]: in x W_ih^T + b (or x1, w1, bias1 to form it: cpu_common.step_inputs; or made as the loop
    runs: feed, gatecore.cpu_feed), out h_t (0 at padding); hp [T, B, H] out; hbuf[0] = h0."""
    T, B, H = a.shape
    rec = cc.aligned_zeros(B, H, a)
    sync = cpu_sync.new_sync(split if split > 1 else 0)
    if split < -1 or split > 1:     # batch rows (each thread its rows through every step) or hidden units (a barrier
        for ch in prange(abs(split)):   # per step: cpu_sync), one region in all
            _forward_steps(np.int64(ch), split, sync, a, hp, hbuf, w_hh, P_hh, rec, lengths, reverse, act, x1, w1,
                           bias1, feed)
    elif feed[5] > 0:               # one thread runs the steps, another projects x ahead of them
        for ch in prange(2):
            if ch == 1:
                cpu_feed.project(feed, a, reverse)
            else:
                _forward_steps(np.int64(0), split, sync, a, hp, hbuf, w_hh, P_hh, rec, lengths, reverse, act, x1, w1,
                               bias1, feed)
    else:
        _forward_steps(np.int64(0), split, sync, a, hp, hbuf, w_hh, P_hh, rec, lengths, reverse, act, x1, w1, bias1,
                       feed)
    return hbuf[T % 2]


@cc.kernel
def _backward_loop(hs, P_hh, dy, dh, lengths, reverse, act, split, da):
    """Fills da [T, B, H], zeros in (allocated by the caller: cpu_packed.pack says why); dh [B, H] enters as
    dL/dh_n and leaves as dL/dh0."""
    T, B, H = hs.shape
    da_k = cc.aligned_zeros(B, H, hs)
    dhr = cc.aligned_zeros(B, H, hs)
    sync = cpu_sync.new_sync(split if split > 1 else 0)
    if split < -1 or split > 1:     # batch rows (a block's dh_{t-1} needs only its own rows' da) or hidden units (a
        for ch in prange(abs(split)):   # barrier per pass: cpu_sync), one region in all
            _backward_steps(np.int64(ch), split, sync, hs, P_hh, dy, dh, da, da_k, dhr, lengths, reverse, act)
    else:
        _backward_steps(np.int64(0), split, sync, hs, P_hh, dy, dh, da, da_k, dhr, lengths, reverse, act)


@numba.njit(**cc.JIT)
def _compiled_forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, act, need_tape, plan, idle):
    """forward() as one compiled call (gatecore.cpu_compiled; plan = cpu_compiled.plan()): b_ih, b_hh, h0 and lengths
    empty where not given; returns (a, h_n, hp, lengths), a [T, B, H] = y."""
    split, hh, P_hh, projection = plan
    T, B, _ = x.shape
    H = w_hh.shape[1]
    a, x1, w1, bias1, feed = cpu_compiled.inputs(x, w_ih, cpu_compiled.bias_sum(b_ih, b_hh), projection, idle)
    hp = cpu_compiled.empty(T if need_tape else 1, B, H, x)
    if lengths.shape[0] == 0:
        lengths = np.full(B, T, np.int64)
    hbuf = cpu_compiled.state(h0, B, H, x)
    h_n = _forward_loop(a, hp, hbuf, w_hh, cpu_compiled.panels(w_hh.T, hh, P_hh), lengths, reverse, act, split,
                        x1, w1, bias1, feed)
    return a, h_n.copy(), hp, lengths


def forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, nonlinearity, need_tape):
    """RNN forward (contract in gatecore.backends): returns (y, h_n, saved or None)."""
    T, B, _ = x.shape
    H = w_hh.shape[0]
    act = _ACT[nonlinearity]
    plan = cpu_compiled.plan(x, w_ih, w_hh, 1, H, lengths, reverse)
    if plan is not None:
        none1 = cc.none(x.dtype, 1)
        a, h_n, hp, lengths = _compiled_forward(
            x, cc.plain(w_ih), cc.plain(w_hh), none1 if b_ih is None else b_ih, none1 if b_hh is None else b_hh,
            cc.none(x.dtype, 2) if h0 is None else h0, cpu_compiled.NO_LENGTHS if lengths is None else lengths, reverse,
            act, need_tape, plan, cpu_feed.idle(x.dtype))
    else:
        lengths = cc.full_lengths(lengths, T, B)
        P_hh = cc.panels(w_hh, T, B)
        split = cc.step_split(B, 1, H, H, panel=cc.panel_units(P_hh), itemsize=x.dtype.itemsize)
        threaded = cc.aligns(split, T)                  # the arrays the loop writes start on a line
        a, x1, w1, bias1, feed = cpu_feed.inputs(x, w_ih, None if b_ih is None else b_ih + b_hh, None, threaded,
                                                 split, H, lengths, reverse)
        steps = T if need_tape else 1                   # no tape: one scratch row (cpu_common.tape_row)
        hp = cc.allocators(threaded, steps * B * H * x.dtype.itemsize)[0]((steps, B, H), x.dtype)
        hbuf = cc.initial_state(h0, B, H, x.dtype, threaded)
        h_n = _forward_loop(a, hp, hbuf, cc.plain(w_hh), P_hh, lengths, reverse, act, split, x1, w1, bias1,
                            feed).copy()
    saved = None
    if need_tape:
        saved = (x, w_ih, w_hh, a, hp, lengths, reverse, act, b_ih is not None)
        a = a.copy()
    return a, h_n, saved


@numba.njit(**cc.JIT)
def _compiled_backward(hs, w_hh, dy, dh_n, lengths, reverse, act, plan):
    """backward()'s loop as one compiled call (plan: the split, W_hh's panels as cpu_compiled.weight_panels()
    gave them); returns (dh0, da), da for cpu_compiled.input_grads()."""
    split, hh, P_hh = plan
    T, B, H = hs.shape
    dh = cpu_compiled.copy(dh_n)
    da = cpu_compiled.zeros(T, B, H, hs)
    _backward_loop(hs, cpu_compiled.panels(w_hh, hh, P_hh), dy, dh, lengths, reverse, act, split, da)
    return dh, da


def backward(saved, dy, dh_n):
    """RNN backward through time: returns {dx, dh0, dw_ih, dw_hh[, db_ih, db_hh]}."""
    x, w_ih, w_hh, hs, hp, lengths, reverse, act, has_bias = saved
    B, H = dh_n.shape
    grads = cpu_compiled.grads_plan(hs, x, w_ih, hp, H)
    if grads is not None:
        hh, P_hh = cpu_compiled.weight_panels(w_hh)
        split = cc.step_split(B, 1, H, H, backward=True, panel=cpu_compiled.panel_width(x))
        dh, da = _compiled_backward(hs, cc.plain(w_hh), dy, dh_n, lengths, reverse, act, (split, hh, P_hh))
        none2 = cc.none(x.dtype, 2)
        dx, dw_ih, dw_hh, db_ih, db_hh = cpu_compiled.input_grads(da, x, cc.plain(w_ih), hp, H, none2, none2, grads)
        return cc.with_bias_grads({"dx": dx, "dh0": dh, "dw_ih": dw_ih, "dw_hh": dw_hh}, has_bias, db_ih, db_hh)
    return _general_backward(saved, dy, dh_n)


def _general_backward(saved, dy, dh_n):
    """backward() from Python, any size and path."""
    x, w_ih, w_hh, hs, hp, lengths, reverse, act, has_bias = saved
    B, H = dh_n.shape
    P_hh = cc.weight_panels(w_hh)
    split = cc.step_split(B, 1, H, H, backward=True, panel=cc.panel_units(P_hh))
    threaded = cc.aligns(split, hs.shape[0])
    dh = cc.state_or_zeros(dh_n, B, H, x.dtype, threaded)
    da = cc.allocators(threaded, hs.nbytes)[1](hs.shape, x.dtype)
    _backward_loop(hs, P_hh, dy, dh, lengths, reverse, act, split, da)
    dx, dw_ih, dw_hh, db = cc.input_grads(da, x, w_ih, hp)
    grads = {"dx": dx, "dh0": dh, "dw_ih": dw_ih, "dw_hh": dw_hh}
    return cc.with_bias_grads(grads, has_bias, db, db.copy())
