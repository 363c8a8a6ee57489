"""One thread's matrix-vector product alone, W [N, K] streamed each call: cpu_dots 16x1 vs 8x1 blocks vs the packed
kernel, best of 7 x 50 calls. Run: NUMBA_NUM_THREADS=1 python dots_stream.py"""
import time, numpy as np, numba
from gatecore import cpu_dots as cd
_dots16x1, _dots8x1 = cd._dots(16, 1), cd._dots(8, 1)
from gatecore import cpu_packed as cp
@numba.njit
def run_dots(out, w, v, reps, R):
    """reps passes of out[0] = w . v[0] in blocks of R = 16 or 8 rows of w."""
    N = w.shape[0]; K = w.shape[1]
    for _ in range(reps):
        n = 0
        while n + R <= N:
            if R == 16:
                _dots16x1(out, w, v, n, 0, K)
            else:
                _dots8x1(out, w, v, n, 0, K)
            n += R
@numba.njit
def runp(out, P, v, reps):
    for _ in range(reps):
        cp.packed_products(out, P, v, 0, out.shape[1], 0, 1)
rng = np.random.default_rng(0)
for N, K in ((1024, 512), (256, 512), (512, 256), (256, 64)):
    w = rng.standard_normal((N, K), dtype=np.float32); v = rng.standard_normal((1, K), dtype=np.float32)
    out = np.zeros((1, N), np.float32)
    P = cp.pack(np.ascontiguousarray(w.T))
    for name, f in (("16x1", lambda r: run_dots(out, w, v, r, 16)), ("8x1", lambda r: run_dots(out, w, v, r, 8)), ("packed", lambda r: runp(out, P, v, r))):
        f(1); ts = []
        for _ in range(7):
            t = time.perf_counter(); f(50); ts.append((time.perf_counter() - t) / 50)
        t = min(ts)
        print(N, K, name, "%.2f us  %.0f GB/s" % (t * 1e6, N * K * 4 / t / 1e9))
