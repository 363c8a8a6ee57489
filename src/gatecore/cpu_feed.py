"""A time loop on one thread, fed its input projection by a second thread while it runs.

A forward loop that step_split keeps on one thread (a few sequences of small width: a step is too short to
share) left the other cores idle, after an input projection x W_ih^T + b that ran before it: at LSTM T=128
B=1 H=64 about 40 of 170 us. Fed, the loop's parallel region has two chunks: chunk 0 runs the steps and
chunk 1 makes their pre-activations ahead of them (project), in tasks of whole steps, about
config.CPU_FEED_ROWS rows each, after packing W_ih^T (a task of its own, unless the caller has the panels).
Each task is claimed, run once and marked done (cpu_sync's one-shot tasks); at the first step of a task the
step thread runs it itself if it is still unclaimed, else waits until it is done (await_step). So nothing
deadlocks whatever the threading layer does (it may run the two chunks one after the other on one thread), and
every pre-activation is gemm's sum: the bits of the projection made before the loop (cpu_common.gemm_rows).

feed = (xr [T*B, I] (x's rows), w_ih [G*H, I], P [panels, I, PW] (pack(W_ih^T), or where to pack it),
bias [G*H] (empty: none), tasks (cpu_sync.new_tasks), steps per task (0: not fed), pack (P is packed here)).
"""
from __future__ import annotations

import numba
import numpy as np

from . import config, cpu_common as cc, cpu_packed, cpu_sync
from .prepacked import is_prepacked, plain

_IDLE = {}


def idle(dtype):
    """The feed of a loop that is not fed (steps per task 0), one per dtype."""
    feed = _IDLE.get(dtype)
    if feed is None:
        e2 = cc.none(dtype, 2)
        feed = _IDLE[dtype] = (e2, e2, cc.none(dtype, 3), cc.none(dtype, 1), np.zeros(0, np.int64), 0, False)
    return feed


def fed(split, x, GH, R, lengths, reverse):
    """Whether a forward loop over x [T, B, I] (h R wide) cut `split` ways (step_split) is fed: it runs on one
    thread while Numba has more, it has a row block of rows or more (fewer: matmul packs x, not W_ih, and at
    LSTM T=16 B=1 H=64 packing W_ih^T first made feeding 61 -> 81 us, at T=32 95 -> 105), each step reads one time
    of x (not reverse over sequences of different lengths) and its projection (I wide) costs a step no more than
    twice the recurrent product (R wide), so that a thread making it stays ahead, and the projection (G*H = GH
    rows of W_ih) has config.CPU_FEED_MIN_WORK multiply-adds or more (config.CPU_FEED_ROWS 0: never). lengths:
    int64 [B], or None (every sequence full)."""
    T, B, I = x.shape
    return config.CPU_FEED_ROWS > 0 and split == 1 and T * B >= config.CPU_ROW_BLOCK and I <= 2 * R \
        and T * B * GH * I >= config.CPU_FEED_MIN_WORK and cc.threads_free() \
        and not (reverse and lengths is not None and lengths.min() < T)


def inputs(x, w_ih, bias, P_ih, line_aligned, split, R, lengths, reverse, in_loop=None):
    """(gates, x1, w1, bias1, feed) for a forward loop: cpu_common.step_inputs and idle(), or, where fed(),
    gates [T, B, G*H] to be filled in the loop and its feed (P_ih: pack(W_ih^T) when the caller has it). in_loop:
    step_inputs' (cpu_common.projects_in_loop() of the whole call when x is one of its time chunks)."""
    if in_loop is None:
        in_loop = cc.projects_in_loop(x.shape[0], x.shape[1])
    if in_loop or not fed(split, x, w_ih.shape[0], R, lengths, reverse):
        return (*cc.step_inputs(x, w_ih, bias, P_ih, line_aligned, in_loop), idle(x.dtype))
    T, B, I = x.shape
    GH = w_ih.shape[0]
    w = plain(w_ih)
    pack = P_ih is None and not is_prepacked(w_ih)
    if P_ih is None:
        P_ih = cpu_packed.empty_panels(w.T) if pack else cc.transposed_panels(w_ih)
    steps = max(1, config.CPU_FEED_ROWS // B)
    tasks = cpu_sync.new_tasks(-(-T // steps) + pack)
    gates = cc.allocators(False, T * B * GH * x.itemsize)[0]((T, B, GH), x.dtype)
    feed = (x.reshape(T * B, I), w, P_ih, cc.none(x.dtype, 1) if bias is None else bias, tasks, steps, pack)
    e2 = cc.none(x.dtype, 2)
    return gates, e2, e2, cc.none(x.dtype, 1), feed


@numba.njit(**config.JIT)
def _run(feed, task, gates, reverse):
    xr, w, P, bias, tasks, steps, pack = feed
    if pack:
        if task == 0:
            cpu_packed.pack_transposed(P, w, 0, P.shape[0])
            return
        task -= 1
    T, B, GH = gates.shape
    k0 = task * steps
    k1 = min(T, k0 + steps)
    t0, t1 = (T - k1, T - k0) if reverse else (k0, k1)
    cc.gemm_rows(gates.reshape((T * B, GH)), P, xr, bias, t0 * B, t1 * B, np.int64(0), GH, config.CPU_ROW_BLOCK,
                 False)


@numba.njit(**config.JIT)
def _ensure(feed, task, gates, reverse):
    """Task `task` done: already, or run here if unclaimed, or waited for."""
    tasks = feed[4]
    if cpu_sync.is_done(tasks, task):
        return
    if cpu_sync.claim(tasks, task):
        _run(feed, task, gates, reverse)
        cpu_sync.mark_done(tasks, task)
    else:
        cpu_sync.wait_done(tasks, task)


@numba.njit(**config.JIT)
def project(feed, gates, reverse):
    """The feeding chunk: every task in order (the packing first)."""
    for task in range(cpu_sync.count(feed[4])):
        _ensure(feed, np.int64(task), gates, reverse)


@numba.njit(_nrt=True, **config.JIT)    # set, not inherited from a loop compiled without it
def await_step(feed, k, gates, reverse):
    """Before step k of the step chunk: its task (and the packing) done."""
    steps, pack = feed[5], feed[6]
    if k % steps == 0:
        if pack:
            _ensure(feed, np.int64(0), gates, reverse)
        _ensure(feed, k // steps + np.int64(pack), gates, reverse)
