"""One thread's out = v @ w.T in cpu_dots blocks of R rows of w x BV rows of v, best of 7 x 50 calls, w and v
hot in cache. Run: NUMBA_NUM_THREADS=1 python dots_blocks.py [RxBV ...] (default: the AVX2 candidates)"""
import sys, time, numpy as np, numba
from gatecore import cpu_dots as cd
shapes = [tuple(map(int, s.split("x"))) for s in sys.argv[1:]] or [(16, 1), (8, 1), (4, 1), (4, 4), (4, 2), (2, 4), (2, 2)]
def runner(R, BV):
    block = cd._dots(R, BV)
    @numba.njit
    def run(out, w, v, reps):
        N, K = w.shape
        for _ in range(reps):
            for b in range(0, v.shape[0] - BV + 1, BV):
                for n in range(0, N - R + 1, R):
                    block(out, w, v, n, b, K)
    return run
rng = np.random.default_rng(0)
for M, N, K in ((1, 1024, 512), (1, 256, 64), (1, 1024, 256), (4, 1024, 256), (8, 256, 64)):
    w = rng.standard_normal((N, K), dtype=np.float32); v = rng.standard_normal((M, K), dtype=np.float32)
    for R, BV in shapes:
        if BV > M:
            continue
        out = np.zeros((M, N), np.float32); f = runner(R, BV); f(out, w, v, 1); ts = []
        for _ in range(7):
            t = time.perf_counter(); f(out, w, v, 50); ts.append((time.perf_counter() - t) / 50)
        assert np.allclose(out, v @ w.T, rtol=1e-4, atol=1e-3)
        t = min(ts); print(f"M={M} N={N} K={K} {R}x{BV}: {t*1e6:.2f} us {2*M*N*K/t/1e9:.0f} GFLOP/s", flush=True)
