"""The one-vector 12-row block of matmul's few-rows product (cpu_packed._block12) alone on warm caches: 12 rows of v
(C-contiguous) times one vector of columns of a panel K long, the panel 64, 16 or 32 floats wide (its row stride),
ns a call and GFLOP/s, best of 5, one thread. Run: NUMBA_NUM_THREADS=1 python benchmarks/probes/block12_rate.py"""
import time

import numba
import numpy as np

from gatecore import cpu_packed as cp


@numba.njit(cache=False)
def rep(out, v, panel, K, n):
    for _ in range(n):
        cp._block12(out, v, panel, 0, 0, 0, 16, 0, K, False)


rng = np.random.default_rng(0)
for K in (128, 256, 1024, 4096):
    for width in (64, 16, 32):
        v = rng.standard_normal((12, K), dtype=np.float32)
        panel = np.ascontiguousarray(rng.standard_normal((K, width), dtype=np.float32))
        out = np.zeros((12, 64), np.float32)
        reps = 200000 * 128 // K
        rep(out, v, panel, K, 10)
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            rep(out, v, panel, K, reps)
            ts.append(time.perf_counter() - t0)
        t = min(ts) / reps
        print(f"K={K} panel width {width}: {t * 1e9:.0f} ns, {2 * 12 * 16 * K / t / 1e9:.0f} GFLOP/s", flush=True)
