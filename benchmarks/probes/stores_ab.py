"""The packed micro-kernel (6-row blocks) storing its sums with masked stores always (0) or with plain ones where
whole vectors are stored (1), in one process, alternating: gemm's order (tasks of 60 rows; per task every panel,
per panel its k slices, the row blocks over each slice), one thread. Run: python stores_ab.py MxKxN ...  (M a
multiple of 60)"""
import sys, time, statistics, numpy as np, numba
from gatecore import cpu_packed as cp
variants = {0: cp._block(6, plain_stores=False), 1: cp._block(6)}
def make(block):
    @numba.njit(cache=False)
    def run(out, P, v):
        M, N = out.shape
        PW = P.shape[2]
        K = P.shape[1]
        for r0 in range(0, M, 60):
            for p in range(P.shape[0]):
                for k0 in range(0, K, cp.KC):
                    for b in range(r0, r0 + 60, 6):
                        block(out, v, P[p], b, p * PW, 0, PW, k0, min(K, k0 + cp.KC), k0 > 0)
    return run
runs = {d: make(b) for d, b in variants.items()}
rng = np.random.default_rng(0)
for spec in sys.argv[1:]:
    M, K, N = map(int, spec.split("x"))
    v = rng.standard_normal((M, K), dtype=np.float32)
    P = cp.pack(rng.standard_normal((K, N), dtype=np.float32))
    outs = {d: np.empty((M, N), np.float32) for d in runs}
    for d, f in runs.items(): f(outs[d], P, v)
    assert np.array_equal(outs[0], outs[1])
    ts = {d: [] for d in runs}
    reps = max(1, int(2e8 / (M * K * N)))
    for _ in range(15):
        for d, f in runs.items():
            t = time.perf_counter()
            for _ in range(reps): f(outs[d], P, v)
            ts[d].append((time.perf_counter() - t) / reps)
    print(spec, " ".join("plain=%d %.0f GF/s" % (d, 2 * M * K * N / statistics.median(t) / 1e9) for d, t in ts.items()),
          "(plain won %d of 15)" % sum(a > b for a, b in zip(ts[0], ts[1])))
