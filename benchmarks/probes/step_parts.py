"""The parts of a single sequence's step at H=64, float32, one thread, hot caches, each run 1000 times in one
compiled loop (best of 7 x 20, us a step): the recurrent product on W_hh's rows (cpu_dots.products) and on its
packed panels (cpu_packed.packed_rows) for the GRU's 192 and the LSTM's 256 rows, and each cell's pointwise pass
over 64 units (the loops of gru/cpu.py and lstm/cpu.py). Against a whole step (step_slope.py) they show what the
rest of the loop costs. Run: python benchmarks/probes/step_parts.py"""
import timeit
import numba
import numpy as np
from gatecore import cpu_common as cc
from gatecore.cpu_dots import products
from gatecore.gru import cpu as gru_cpu
from gatecore.lstm import cpu as lstm_cpu

_step = gru_cpu._step
_gates, _state = lstm_cpu._gates, lstm_cpu._state
H = 64


@numba.njit
def rows_loop(out, w, v, n):
    for _ in range(n):
        products(out, w, v, 0, w.shape[0], 0, 1)


@numba.njit
def panels_loop(out, P, v, n):
    for _ in range(n):
        cc.packed_rows(out, P, v, 0, P.shape[0] * P.shape[2], 0, 1)


@numba.njit
def gru_pointwise(a, rec, b_hn, hn_t, y_t, h_prev, n):
    H = h_prev.shape[0]
    for _ in range(n):
        x_r, x_z, x_n = a[0:H], a[H:2 * H], a[2 * H:3 * H]
        h_r, h_z, h_n = rec[0:H], rec[H:2 * H], rec[2 * H:3 * H]
        for j in range(H):
            hn_j = b_hn[j] + h_n[j]
            r, z, nn, h = _step(x_r[j], x_z[j], x_n[j], h_r[j], h_z[j], hn_j, h_prev[j])
            x_r[j], x_z[j], x_n[j] = r, z, nn
            hn_t[j] = hn_j
            y_t[j] = h


@numba.njit
def lstm_pointwise(a, rec, c, cp_t, cs_t, m, n):
    H = c.shape[0]
    for _ in range(n):
        a_i, a_f, a_g, a_o = a[0:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:4 * H]
        r_i, r_f, r_g, r_o = rec[0:H], rec[H:2 * H], rec[2 * H:3 * H], rec[3 * H:4 * H]
        for j in range(H):
            a_i[j], a_f[j], a_g[j], a_o[j] = _gates(a_i[j] + r_i[j], a_f[j] + r_f[j], a_g[j] + r_g[j],
                                                    a_o[j] + r_o[j])
        for j in range(H):
            c_prev = c[j]
            c_t, m_j = _state(a_i[j], a_f[j], a_g[j], a_o[j], c_prev)
            cp_t[j], cs_t[j], c[j], m[j] = c_prev, c_t, c_t, m_j


def best(f, *args):
    f(*args[:-1], 1)
    return min(timeit.repeat(lambda: f(*args), number=20, repeat=7)) / 20 / args[-1] * 1e6


rng = np.random.default_rng(0)
for N in (3 * H, 4 * H):
    w = (rng.random((N, H), np.float32) - .5) * .1
    v, out = rng.random((1, H), np.float32), np.zeros((1, N), np.float32)
    print(f"{N} x {H} product on W_hh's rows:     {best(rows_loop, out, w, v, 1000):.3f} us")
    print(f"{N} x {H} product on packed panels:   {best(panels_loop, out, cc.transposed_panels(w), v, 1000):.3f} us")
a, z = (rng.random(3 * H, np.float32) - .5) * .1, np.zeros(H, np.float32)
print(f"GRU pointwise, {H} units:  {best(gru_pointwise, a, a.copy(), z, z.copy(), z.copy(), z.copy(), 1000):.3f} us")
a = (rng.random(4 * H, np.float32) - .5) * .1
print(f"LSTM pointwise, {H} units: {best(lstm_pointwise, a, a.copy(), z.copy(), z.copy(), z.copy(), z.copy(), 1000):.3f} us")
