"""What reading cache lines that another core has just written costs here: each of 2 threads sums a buffer, its
own (written by itself just before) or the other thread's, median us of 300 calls, best of two runs each way.
The sum is a scalar chain, so the read side is slow and overlaps some of the transfer. Run: python cross_core.py"""
import time, numpy as np, numba
from numba import prange


@numba.njit(parallel=True)
def write(buf, val):
    n = buf.shape[1]
    for c in prange(2):
        for i in range(n):
            buf[c, i] = val + i


@numba.njit(parallel=True)
def read(buf, swap, out):
    n = buf.shape[1]
    for c in prange(2):
        src = np.int64(1 - c) if swap else np.int64(c)
        s = 0.0
        for i in range(n):
            s += buf[src, i]
        out[c] = s


pc = time.perf_counter_ns
for kb in (32, 64, 256, 1024):
    n = kb * 1024 // 4
    buf = np.zeros((2, n), np.float32); out = np.zeros(2)
    write(buf, 1.0); read(buf, False, out); read(buf, True, out)
    res = {}
    for swap in (False, True, False, True):
        t = []
        for r in range(300):
            write(buf, float(r))
            a = pc(); read(buf, swap, out); t.append(pc() - a)
        res.setdefault(swap, []).append(np.median(t) / 1e3)
    print(f"{kb:5d} KB per thread: read own {min(res[False]):7.1f} us, read other's {min(res[True]):7.1f} us")
