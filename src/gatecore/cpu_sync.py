"""Steps of a time loop shared out over Numba's threads inside one parallel region, with a barrier per step.

A time loop whose steps are cut by hidden units needs all of h_{t-1} before any unit of step t, so without this
each step is a parallel region of its own (~1.2-1.6 us to start and join here, as much as a whole B = 1, H = 64
step). Instead one region runs every step: each step (or each pass of one) is a phase of `tasks` tasks (task c =
the units chunk(c) of cpu_common; phases numbered 0, 1, ... in order), and every thread ch of the region runs

    c = next_task(sync, phase, ch)          # ch's own task c = ch first: its weights stay in its cache
    while c >= 0:
        ...task c of this phase...
        finish(sync, phase, c)
        c = next_task(sync, phase, ch)      # -1 once every task of the phase is done: a barrier

A thread that has finished its own task spins until every task is done; if one is still unclaimed after
STEAL_AFTER cycles (its thread is descheduled, or never started because the threading layer runs the region's
chunks one after another on one thread) it claims and runs it. So the loop cannot deadlock whatever the
threading layer does, and the bits do not depend on which thread ran a task. In the usual case each thread
touches only its own claim line, and the barrier costs one exchange of the two done lines. The atomics are
sequentially consistent: a task's plain stores are visible to every thread that has seen its `finish`.

sync = new_sync(tasks): int64 [2 * 8 * tasks], per task one 64-byte line with its claim (the last phase that
claimed it, + 1) and one with its done mark (the last phase it finished, + 1).
"""
from __future__ import annotations

import llvmlite.binding as llvm
import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic

from . import config

_LINE = 8                                     # int64 per 64-byte line
_X86 = llvm.get_process_triple().startswith(("x86_64", "i686", "i386"))


def _slot(context, builder, sig, args):
    aryty = sig.args[0]
    ary = context.make_array(aryty)(context, builder, args[0])
    return cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]])


def _check(ary):
    if not (isinstance(ary, types.Array) and ary.dtype == types.int64 and ary.ndim == 1 and ary.layout == "C"):
        raise TypingError("cpu_sync: the sync array must be C-contiguous int64 [n]")


@intrinsic
def _compare_exchange(typingctx, ary, i, expected, new):
    """If ary[i] == expected, set it to new atomically; returns whether it did."""
    _check(ary)

    def codegen(context, builder, sig, args):
        pair = builder.cmpxchg(_slot(context, builder, sig, args), args[2], args[3], "seq_cst", "seq_cst")
        return builder.extract_value(pair, 1)
    return types.boolean(ary, types.intp, types.int64, types.int64), codegen


@intrinsic
def _load(typingctx, ary, i):
    """ary[i], read atomically (seq_cst)."""
    _check(ary)

    def codegen(context, builder, sig, args):
        return builder.load_atomic(_slot(context, builder, sig, args), "seq_cst", 8)
    return types.int64(ary, types.intp), codegen


@intrinsic
def _store(typingctx, ary, i, v):
    """ary[i] = v, written atomically (seq_cst)."""
    _check(ary)

    def codegen(context, builder, sig, args):
        builder.store_atomic(args[2], _slot(context, builder, sig, args), "seq_cst", 8)
        return context.get_dummy_value()
    return types.void(ary, types.intp, types.int64), codegen


@intrinsic
def _cycles(typingctx):
    """The CPU's cycle counter (llvm.readcyclecounter: rdtsc on x86; 0 where there is none)."""
    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(64), []),
                                            "llvm.readcyclecounter")
        return builder.call(fn, [])
    return types.int64(), codegen


@intrinsic
def _pause(typingctx):
    """A spin-wait hint (x86 `pause`; nothing elsewhere)."""
    def codegen(context, builder, sig, args):
        if _X86:
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []),
                                                "llvm.x86.sse2.pause")
            builder.call(fn, [])
        return context.get_dummy_value()
    return types.void(), codegen


# how long (in ticks of the CPU's cycle counter, ~100 us at 2.6 GHz) a waiting thread leaves another thread's task
# unclaimed before it takes it: only a safety net against a thread that does not run. Stealing soon (256 spins,
# ~1 us) cost an LSTM T=128 B=4 H=64 forward 1.8x: a thread a microsecond late lost its task, and with it the
# weights in its cache
STEAL_AFTER = 1 << 18


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def new_sync(tasks):
    """The sync array of a region whose phases have `tasks` tasks (all zero: no phase claimed yet)."""
    return np.zeros(2 * _LINE * tasks, np.int64)


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def _tasks(sync):
    return sync.shape[0] // (2 * _LINE)


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def _claim(sync, phase, c):
    return _compare_exchange(sync, 2 * _LINE * c, phase, phase + 1)


@numba.njit(**config.JIT)
def _steal_or_wait(sync, phase):
    tasks = _tasks(sync)
    start = _cycles()
    spins = 0
    while True:
        done = True
        for c in range(tasks):
            if _load(sync, 2 * _LINE * c + _LINE) <= phase:
                done = False
                break
        if done:
            return -1
        spins += 1
        if spins >= 64:
            spins = 0
            if _cycles() - start >= STEAL_AFTER or _cycles() == 0:     # 0: no counter on this CPU
                for c in range(tasks):
                    if _load(sync, 2 * _LINE * c) == phase and _claim(sync, phase, c):
                        return c
        _pause()


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def next_task(sync, phase, ch):
    """The task of `phase` this thread (chunk ch of the region) runs next, claimed for it, or -1 once every task
    of the phase is done (see the module docstring)."""
    own = np.int64(ch)              # a prange index may be unsigned: int64 throughout, or Numba unifies to float
    if own < _tasks(sync) and _claim(sync, phase, own):
        return own
    return _steal_or_wait(sync, phase)


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def finish(sync, phase, c):
    """Task c of `phase` is done (its stores happen before this)."""
    _store(sync, 2 * _LINE * c + _LINE, phase + 1)


# One-shot tasks: each claimed by one thread, run once and marked done (cpu_feed). tasks = new_tasks(n):
# int64 [2 * 8 * n], per task one line with its claim and one with its done mark (0: not yet).

@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def new_tasks(n):
    return np.zeros(2 * _LINE * n, np.int64)


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def count(tasks):
    return tasks.shape[0] // (2 * _LINE)


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def claim(tasks, c):
    """Claims one-shot task c for this thread; whether it got it (no other thread ever will)."""
    return _compare_exchange(tasks, 2 * _LINE * c, 0, 1)


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def mark_done(tasks, c):
    """Task c is done (its stores happen before this)."""
    _store(tasks, 2 * _LINE * c + _LINE, 1)


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def is_done(tasks, c):
    return _load(tasks, 2 * _LINE * c + _LINE) > 0


@numba.njit(**config.JIT)
def wait_done(tasks, c):
    """Spins until task c (claimed by a running thread) is done."""
    while not is_done(tasks, c):
        _pause()
