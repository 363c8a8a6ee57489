"""products() sweeping W (rows of 512, 1-4 MB) on one thread, the same way every sweep against back and forth
(zigzag), us per sweep and GB/s. Run: python benchmarks/probes/zigzag.py"""
import time, numpy as np, numba
from gatecore.cpu_dots import products
numba.set_num_threads(1)
@numba.njit
def sweep(n, out, w, v, zig):
    N = w.shape[0]
    blk = 128
    for i in range(n):
        if zig and i % 2 == 1:
            n0 = (N - 1) // blk * blk
            while n0 >= 0:
                products(out, w, v, n0, min(N, n0 + blk), 0, 1)
                n0 -= blk
        else:
            for n0 in range(0, N, blk):
                products(out, w, v, n0, min(N, n0 + blk), 0, 1)
rng = np.random.default_rng(0)
K = 512
for mb in (1.0, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 4.0):
    N = int(mb * 2**20 / 4 / K) // 16 * 16
    w = rng.standard_normal((N, K)).astype(np.float32); v = rng.standard_normal((1, K)).astype(np.float32)
    out = np.empty((1, N), np.float32)
    r = {}
    for zig in (False, True, False, True):
        sweep(2, out, w, v, zig)
        t0 = time.perf_counter(); sweep(200, out, w, v, zig); t = (time.perf_counter() - t0) / 200
        r.setdefault(zig, []).append(t)
    print(f"{mb} MB: one way {min(r[False])*1e6:.1f} us/sweep, zig-zag {min(r[True])*1e6:.1f}  ({N*K*4/min(r[False])/1e9:.0f} vs {N*K*4/min(r[True])/1e9:.0f} GB/s)")
