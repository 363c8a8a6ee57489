"""The LSTM forward step's cell as one loop (cell.step: gates and state together, as before 2026-12-05) against two
loops (cell.gates, then cell.state: lstm.cpu._forward_units now), in a copy of _forward_units' no-tape path run
through T steps on one thread, with and without the recurrent product, alternating in one process, 12 rounds,
median (min) us per step; checks that both give the same bits. Run: python benchmarks/probes/cell_loops_ab.py T B H"""
import time, sys, numpy as np, numba
from gatecore import cpu_common as cc
from gatecore.lstm import cell
from gatecore.cli import peers
_step, _gates, _state = (cc.compile_pointwise(f) for f in (cell.step, cell.gates, cell.state))
SRC = '''
def units(u0, u1, b0, b1, k, gates, cp, cs, y, w_hh, P_hh, rec, h_prev, h_next, c):
    H = c.shape[1]
    if PRODUCTS:
        cc.gate_products(rec, w_hh, P_hh, h_prev, 4, H, u0, u1, b0, b1)
    for b in range(b0, b1):
        a, r = gates[k, b], rec[b]
        a_i, a_f, a_g, a_o = a[u0:u1], a[H + u0:H + u1], a[2 * H + u0:2 * H + u1], a[3 * H + u0:3 * H + u1]
        r_i, r_f, r_g, r_o = r[u0:u1], r[H + u0:H + u1], r[2 * H + u0:2 * H + u1], r[3 * H + u0:3 * H + u1]
        if TWO_LOOPS:
            for j in range(u1 - u0):
                a_i[j], a_f[j], a_g[j], a_o[j] = _gates(a_i[j] + r_i[j], a_f[j] + r_f[j], a_g[j] + r_g[j],
                                                        a_o[j] + r_o[j])
        c_b, cp_t, cs_t, m_b = c[b, u0:u1], cp[0, b, u0:u1], cs[0, b, u0:u1], y[k, b, u0:u1]
        for j in range(u1 - u0):
            c_prev = c_b[j]
            if TWO_LOOPS:
                c_t, m = _state(a_i[j], a_f[j], a_g[j], a_o[j], c_prev)
            else:
                i, f, g, o, c_t, m = _step(a_i[j] + r_i[j], a_f[j] + r_f[j], a_g[j] + r_g[j], a_o[j] + r_o[j],
                                           c_prev)
                a_i[j], a_f[j], a_g[j], a_o[j] = i, f, g, o
            cp_t[j] = c_prev
            cs_t[j] = c_t
            c_b[j] = c_t
            m_b[j] = m
        cc.copy(h_next[b, u0:u1], m_b)
def loop(gates, cp, cs, y, hbuf, c, w_hh, P_hh, rec):
    lo = np.int64(0)
    T, B, _ = gates.shape
    for k in range(T):
        units_c(lo, c.shape[1], lo, B, k, gates, cp, cs, y, w_hh, P_hh, rec, hbuf[k % 2], hbuf[1 - k % 2], c)
'''
JIT = dict(_nrt=False, nogil=True, error_model="numpy")
loops = {}
for two in (False, True):
    for products in (True, False):
        g = dict(globals(), TWO_LOOPS=two, PRODUCTS=products)
        exec(SRC, g)
        g["units_c"] = numba.njit(**JIT)(g["units"])
        name = ("two loops" if two else "one loop") + ("" if products else ", no product")
        loops[name] = numba.njit(**JIT)(g["loop"])
T, B, H = map(int, sys.argv[1:4])
p = peers._problem("lstm", T, B, H, H, "float32")
gates0 = cc.step_inputs(p["x"], p["w_ih"], p["b_ih"] + p["b_hh"])[0]
P_hh = cc.panels(p["w_hh"], T, B)
res, outs = {name: [] for name in loops}, {}
for r in range(12):
    for name, f in loops.items():
        gates, cp, cs = gates0.copy(), np.empty((1, B, H), np.float32), np.empty((1, B, H), np.float32)
        y, hbuf, c = np.zeros((T, B, H), np.float32), np.zeros((2, B, H), np.float32), np.zeros((B, H), np.float32)
        rec = np.zeros((B, 4 * H), np.float32)
        t0 = time.perf_counter()
        f(gates, cp, cs, y, hbuf, c, p["w_hh"], P_hh, rec)
        res[name].append(time.perf_counter() - t0)
        outs[name] = (y, c, gates)
same = lambda a, b: all(np.array_equal(u, v) for u, v in zip(outs[a], outs[b]))
print(f"T={T} B={B} H={H}: same bits {same('one loop', 'two loops')}, "
      f"without the product {same('one loop, no product', 'two loops, no product')}")
for name in res:
    print(f"  {name:24s} {np.median(res[name]) / T * 1e6:.2f} us/step (min {min(res[name]) / T * 1e6:.2f})")
