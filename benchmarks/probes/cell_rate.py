"""The LSTM's pointwise cell (cell.step, compiled as the CPU kernels compile it, in one loop) over H units of one
row, views of one gates row as in _forward_units, alone in a loop, ns per unit, float32, one thread, warm caches.
Run: python benchmarks/probes/cell_rate.py"""
import time, numpy as np, numba
from gatecore import cpu_common as cc
from gatecore.lstm import cell
_step = cc.compile_pointwise(cell.step)
@numba.njit
def cells(n, a, r, c, cp, cs, m, H):
    for it in range(n):
        a_i, a_f, a_g, a_o = a[0:H], a[H:2*H], a[2*H:3*H], a[3*H:4*H]
        r_i, r_f, r_g, r_o = r[0:H], r[H:2*H], r[2*H:3*H], r[3*H:4*H]
        for j in range(H):
            c_prev = c[j]
            i, f, g, o, c_t, mm = _step(a_i[j] + r_i[j], a_f[j] + r_f[j], a_g[j] + r_g[j], a_o[j] + r_o[j], c_prev)
            a_i[j], a_f[j], a_g[j], a_o[j] = i, f, g, o
            cp[j] = c_prev; cs[j] = c_t; c[j] = c_t; m[j] = mm
for H in (64, 256, 1024):
    a=np.random.rand(4*H).astype(np.float32); r=a.copy(); c=np.zeros(H,np.float32); cp=c.copy(); cs=c.copy(); m=c.copy()
    cells(10,a,r,c,cp,cs,m,H); ts=[]
    for k in range(5):
        t0=time.perf_counter(); cells(10000,a,r,c,cp,cs,m,H); ts.append(time.perf_counter()-t0)
    print(H, "%.3f us per cell pass, %.2f ns/unit"%(min(ts)/1e4*1e6, min(ts)/1e4/H*1e9))
