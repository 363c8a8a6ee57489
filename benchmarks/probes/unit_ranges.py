"""The LSTM's forward thread loop at B=1 (float32, not fed, no tape: one scratch row), with the rows path's unit
range unknown to the compiler or known: `task_form` is session 30's _forward_steps (lstm/cpu.py), whose rows path
ran its part as a single task, u0, u1 = chunk(task) if shared else (0, H), so the part was compiled for any range;
the library's _forward_steps (session 31) calls the part with (0, H) on the rows path and keeps the tasks for the
shared one. Each is compiled afresh `N` times (Numba's cache off), beside the cached library loop: the same source
compiled again lands elsewhere in memory, and its time moves by up to ~15% with it (session 31). Median us per
call and per step over alternating rounds (probe_case.alternate).
Run: python benchmarks/probes/unit_ranges.py T H N"""
import sys

import numba
import numpy as np
from probe_case import alternate

from gatecore import cpu_common as cc, cpu_feed, cpu_sync
from gatecore.lstm import cpu as lc

T, H, N = map(int, sys.argv[1:4])
rng = np.random.default_rng(0)
x = rng.standard_normal((T, 1, H)).astype(np.float32)
w_ih = rng.uniform(-.1, .1, (4 * H, H)).astype(np.float32)
w_hh = rng.uniform(-.1, .1, (4 * H, H)).astype(np.float32)
bias = rng.uniform(-.1, .1, 4 * H).astype(np.float32)
P = cc.panels(w_hh, T, 1)
gates0 = cc.input_projection(x, w_ih, bias)
e1, e2, e3 = (cc.none(x.dtype, n) for n in (1, 2, 3))
lengths = np.full(1, T, np.int64)
idle = cpu_feed.idle(x.dtype)
_forward_part = lc._forward_part


def task_form(ch, split, sync, gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, rec, m_k, hr, lengths,
              reverse, x1, w1, bias1, feed):
    lo = np.int64(0)
    T, B, _ = gates.shape
    H = c.shape[1]
    R = hbuf.shape[2]
    passes = 2 if w_hr.shape[0] > 0 else 1
    b0, b1 = cc.chunk(ch, -split, B) if split < -1 else (lo, B)
    shared = split > 1
    for k in range(T):
        if feed[5] > 0:
            cpu_feed.await_step(feed, k, gates, reverse)
        for p in range(passes):
            task = cpu_sync.next_task(sync, passes * k + p, ch) if shared else lo
            while task >= 0:
                u0, u1 = cc.chunk(task, split, H) if shared else (lo, H)
                r0, r1 = cc.chunk(task, split, R) if shared else (lo, R)
                _forward_part(p, k, u0, u1, r0, r1, b0, b1, gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, rec,
                              m_k, hr, lengths, reverse, x1, w1, bias1)
                if not shared:
                    break
                cpu_sync.finish(sync, passes * k + p, task)
                task = cpu_sync.next_task(sync, passes * k + p, ch)


def fresh(fn):
    """fn compiled as compile_thread_loop compiles it, but not cached: a new copy in memory."""
    return numba.njit(_nrt=False, **{**cc.JIT, "cache": False})(fn)


def run(loop):
    A = lambda shape: cc.aligned(shape, np.float32, zero=True)  # noqa: E731
    gates, y, hbuf, c = gates0.copy(), A((T, 1, H)), A((2, 1, H)), A((1, H))
    cp, cs, hp = (A((1, 1, H)) for _ in range(3))
    rec, m_k, hr = A((1, 4 * H)), A((1, H)), A((1, 0))
    sync = cpu_sync.new_sync(0)
    return lambda: loop(np.int64(0), 1, sync, gates, cp, cs, hp, y, hbuf, c, w_hh, P, e2, e3, rec, m_k, hr, lengths,
                        False, e2, e2, e1, idle)


ways = {"library (cached)": run(lc._forward_steps)}
for i in range(N):
    ways[f"library, compile {i}"] = run(fresh(lc._forward_steps.py_func))
    ways[f"task form, compile {i}"] = run(fresh(task_form))
for k, m in alternate(ways).items():
    print(f"LSTM T={T} B=1 H={H} {k:22s}: {m * 1e6:7.1f} us, {m / T * 1e6:.3f} us a step")
