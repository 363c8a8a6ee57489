"""The packed micro-kernel (6-row blocks) in gemm's loop order with other blockings, one process, alternating, one
thread: rows per task R and k per slice KC (the kernel's sums change with KC: not bitwise gemm's). Run:
python blocking_ab.py MxKxN R:KC R:KC ...  (M a multiple of every R, R of 6)"""
import sys, time, statistics, numpy as np, numba
from gatecore import cpu_packed as cp
block = cp._block(6)
@numba.njit(cache=False)
def run(out, P, v, R, KC):
    M, N = out.shape
    PW = P.shape[2]
    K = P.shape[1]
    for r0 in range(0, M, R):
        for p in range(P.shape[0]):
            for k0 in range(0, K, KC):
                for b in range(r0, r0 + R, 6):
                    block(out, v, P[p], b, p * PW, 0, PW, k0, min(K, k0 + KC), k0 > 0)
rng = np.random.default_rng(0)
M, K, N = map(int, sys.argv[1].split("x"))
v = rng.standard_normal((M, K), dtype=np.float32)
P = cp.pack(rng.standard_normal((K, N), dtype=np.float32))
out = np.empty((M, N), np.float32)
cfgs = [tuple(map(int, c.split(":"))) for c in sys.argv[2:]]
for R, KC in cfgs: run(out, P, v, R, KC)
ts = {c: [] for c in cfgs}
reps = max(1, int(2e8 / (M * K * N)))
for _ in range(15):
    for R, KC in cfgs:
        t = time.perf_counter()
        for _ in range(reps): run(out, P, v, R, KC)
        ts[(R, KC)].append((time.perf_counter() - t) / reps)
print(sys.argv[1], " | ".join("R=%d KC=%d %.0f GF/s" % (R, KC, 2 * M * K * N / statistics.median(t) / 1e9)
                             for (R, KC), t in ts.items()))
