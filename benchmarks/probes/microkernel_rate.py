"""GFLOP/s of cpu_packed.packed_products alone on warm caches, one call shape repeated. Run with one thread:
NUMBA_NUM_THREADS=1 python benchmarks/probes/microkernel_rate.py [MxKxN ...]   (default: the shapes at the end)"""
import sys, time, numpy as np, numba
from gatecore import cpu_packed as cp
@numba.njit(cache=False)
def rep(out, P, v, N, n):
    for _ in range(n):
        cp.packed_products(out, P, v, 0, N, 0, v.shape[0], 0, P.shape[1])
def bench(M, K, N, reps=200, vstride=None):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((K, N), dtype=np.float32)
    P = cp.pack(m)
    vfull = rng.standard_normal((M, vstride or K), dtype=np.float32)
    v = vfull[:, :K]
    out = np.zeros((M, N), np.float32)
    rep(out, P, v, N, 2)
    ts = []
    for _ in range(5):
        t0 = time.perf_counter(); rep(out, P, v, N, reps); ts.append(time.perf_counter() - t0)
    t = min(ts) / reps
    print(f"M={M} K={K} N={N} vstride={vstride or K}: {t*1e6:.1f} us, {2*M*K*N/t/1e9:.0f} GFLOP/s", flush=True)
if sys.argv[1:]:
    for shape in sys.argv[1:]:
        M, K, N = map(int, shape.split("x"))
        bench(M, K, N, reps=max(10, 200 * 256 * 1024 * 16 // (M * K * N)))
    sys.exit()
bench(32, 1024, 256); bench(32, 256, 1024); bench(64, 1024, 256); bench(64, 256, 1024)
bench(32, 1024, 256, vstride=1040); bench(8, 1024, 256); bench(8, 256, 1024)
bench(32, 512, 128); bench(32, 128, 512)
