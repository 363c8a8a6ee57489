"""The LSTM backward's pointwise pass over a step's rows (one thread, hot caches, best of 5 x 1000 in one compiled
loop, us), compiled as the time loops compile it (_nrt=False, inlined): the form before session 33, which wrote
the four gate blocks of da[t, b] and of da_k[b] and dc straight from the loop (nine arrays at offsets H apart that
LLVM cannot tell apart: runtime overlap checks of every pair per row), against lstm/cpu.py's _cell_grads
(cpu_common.unit_scratch: UNITS units at a time into a scratch at fixed offsets, then copied). Both over the
full unit range and over its second half (a task of the unit-split path), and the results compared bit for bit.
Run: python benchmarks/probes/unit_scratch.py"""
import timeit

import numba
import numpy as np

from gatecore import config, cpu_common as cc
from gatecore.lstm import cpu as lc

_step_grad = lc._step_grad
J = {k: v for k, v in config.JIT.items() if k != "cache"}
C = cc.UNITS


@numba.njit(_nrt=False, inline="always", **J)
def before(u0, u1, b0, b1, k, gates, cp, cs, dhv, dc, da, da_k, dm_k, lengths, reverse, proj, s):
    H = dc.shape[1]
    for b in range(b0, b1):
        n = lengths[b]
        if k >= n:
            for g in range(4):
                da_k[b, g * H + u0:g * H + u1] = 0
            continue
        t = cc.time_of(k, n, reverse)
        a, d, e = gates[t, b], da[t, b], da_k[b]
        i_, f_, g_, o_ = a[u0:u1], a[H + u0:H + u1], a[2 * H + u0:2 * H + u1], a[3 * H + u0:3 * H + u1]
        d_i, d_f, d_g, d_o = d[u0:u1], d[H + u0:H + u1], d[2 * H + u0:2 * H + u1], d[3 * H + u0:3 * H + u1]
        e_i, e_f, e_g, e_o = e[u0:u1], e[H + u0:H + u1], e[2 * H + u0:2 * H + u1], e[3 * H + u0:3 * H + u1]
        cp_t, cs_t, dc_b = cp[t, b, u0:u1], cs[t, b, u0:u1], dc[b, u0:u1]
        dm_b = dm_k[b, u0:u1] if proj else dhv[b, u0:u1]
        for j in range(u1 - u0):
            da_i, da_f, da_g, da_o, dc_prev = _step_grad(i_[j], f_[j], g_[j], o_[j], cp_t[j], cs_t[j], dm_b[j],
                                                         dc_b[j])
            d_i[j] = e_i[j] = da_i
            d_f[j] = e_f[j] = da_f
            d_g[j] = e_g[j] = da_g
            d_o[j] = e_o[j] = da_o
            dc_b[j] = dc_prev


_cell_grads = lc._cell_grads          # the scratch form, as the backward loop runs it
NO_PROJECTION = np.zeros((0, 0, 0), np.float32)


@numba.njit(_nrt=False, inline="always", **J)
def scratch(u0, u1, b0, b1, k, gates, cp, cs, dhv, dc, da, da_k, dm_k, lengths, reverse, proj, s):
    _cell_grads(u0, u1, b0, b1, k, gates, cp, cs, dhv, NO_PROJECTION, dc, da, da_k, dm_k, lengths, reverse, proj, s)


def timed(cell):
    def loop(u0, u1, k, gates, cp, cs, dhv, dc, da, da_k, dm_k, lengths, n, s):
        for _ in range(n):
            cell(u0, u1, 0, dc.shape[0], k, gates, cp, cs, dhv, dc, da, da_k, dm_k, lengths, False, False, s)
    return numba.njit(_nrt=False, **J)(loop)


forms = {"before": timed(before), "scratch": timed(scratch)}
T, n = 16, 1000
for B, H in [(64, 64), (64, 16), (16, 256), (8, 100), (1, 64), (1, 512)]:
    rng = np.random.default_rng(0)
    g = rng.random((T, B, 4 * H), dtype=np.float32)
    cp = rng.random((T, B, H), dtype=np.float32)
    cs, dhv = cp.copy(), cp[0].copy()
    lengths, dm_k, s = np.full(B, T, np.int64), np.zeros((B, 0), np.float32), np.zeros(4 * C, np.float32)
    line, results = [], {}
    for name, f in forms.items():
        for u0 in (0, H // 2):
            da, da_k, dc = np.zeros_like(g), np.zeros_like(g[0]), dhv.copy()
            args = (u0, H, 5, g, cp, cs, dhv, dc, da, da_k, dm_k, lengths)
            f(*args, 3, s)
            results[name, u0] = (da.copy(), da_k.copy(), dc.copy())
            us = min(timeit.repeat(lambda: f(*args, n, s), number=1, repeat=5)) / n * 1e6
            line.append(f"{name} {u0}:{H} {us:.2f}")
    same = all(np.array_equal(p, q) for u0 in (0, H // 2) for p, q in zip(results["before", u0],
                                                                         results["scratch", u0]))
    print(f"B={B} H={H}: " + " | ".join(line) + f" | the same bits: {same}")
