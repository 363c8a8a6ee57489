"""What a call costs inside a small time loop: the LSTM's forward step at B=1 (float32, no tape kept: one scratch
row, h double-buffered, per-row lengths), written once as `body` and run in a loop four ways: body inlined or
called as a function of its own, the loop compiled with or without Numba's reference counting; against the
library's own loop (_forward_loop, split 1, not fed). Same products (cpu_packed.packed_rows on the same panels)
and the same cell (body copies lstm/cpu.py's _forward_units at B=1 on purpose: it is the step under test).
Median us per call and per step over alternating rounds (probe_case.alternate).
Session 30 ran it before and after the library's loops were changed to the first way.
Run: python benchmarks/probes/step_calls.py T H"""
import sys

import numba
import numpy as np
from probe_case import alternate, loop_case

from gatecore import cpu_common as cc, cpu_feed, cpu_packed
from gatecore.lstm import cell

_gates = cc.compile_pointwise(cell.gates)
_state = cc.compile_pointwise(cell.state)
T, H = map(int, sys.argv[1:3])
x, w_ih, bias, library_loop = loop_case("lstm", T, 1, H, aligned=True)
w_hh = np.random.default_rng(0).uniform(-.1, .1, (4 * H, H)).astype(np.float32)
P = cc.panels(w_hh, T, 1)
gates = cc.input_projection(x, w_ih, bias)


def body(t, gates, y, P, h_prev, h_next, c, rec, cp, cs, hp):
    H = c.shape[1]
    cc.copy(hp[cc.tape_row(t, hp), 0], h_prev[0])
    cpu_packed.packed_rows(rec, P, h_prev, 0, 4 * H, 0, 1)
    a, r = gates[t, 0], rec[0]
    a_i, a_f, a_g, a_o = a[0:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:4 * H]
    r_i, r_f, r_g, r_o = r[0:H], r[H:2 * H], r[2 * H:3 * H], r[3 * H:4 * H]
    for j in range(H):
        a_i[j], a_f[j], a_g[j], a_o[j] = _gates(a_i[j] + r_i[j], a_f[j] + r_f[j], a_g[j] + r_g[j], a_o[j] + r_o[j])
    c_b, m_b = c[0], y[t, 0]
    cp_t, cs_t = cp[cc.tape_row(t, cp), 0], cs[cc.tape_row(t, cs), 0]
    for j in range(H):
        c_prev = c_b[j]
        c_t, m = _state(a_i[j], a_f[j], a_g[j], a_o[j], c_prev)
        cp_t[j] = c_prev
        cs_t[j] = c_t
        c_b[j] = c_t
        m_b[j] = m
    cc.copy(h_next[0], m_b)


def make(inlined, nrt):
    step = numba.njit(inline="always")(body) if inlined else numba.njit(_nrt=False)(body)

    def loop(gates, y, P, hbuf, c, rec, cp, cs, hp, lengths):
        for k in range(gates.shape[0]):
            n = lengths[0]
            if k < n:
                step(cc.time_of(k, n, False), gates, y, P, hbuf[k % 2], hbuf[1 - k % 2], c, rec, cp, cs, hp)
    return numba.njit(_nrt=nrt)(loop)


y, hbuf, c = np.zeros((T, 1, H), np.float32), np.zeros((2, 1, H), np.float32), np.zeros((1, H), np.float32)
cp, cs, hp = (np.zeros((1, 1, H), np.float32) for _ in range(3))
rec = cc.aligned((1, 4 * H), np.float32, zero=True)
lengths = np.full(1, T, np.int64)
ways = {}
for inlined in (True, False):
    for nrt in (False, True):
        f = make(inlined, nrt)
        ways[f"{'inlined' if inlined else 'called'}, counting {'on' if nrt else 'off'}"] = (
            lambda f=f: f(gates, y, P, hbuf, c, rec, cp, cs, hp, lengths))
ways["library loop"] = library_loop(1, cpu_feed.idle(x.dtype))
for k, m in alternate(ways).items():
    print(f"LSTM T={T} B=1 H={H} {k:20s}: {m * 1e6:7.1f} us, {m / T * 1e6:.3f} us a step")
