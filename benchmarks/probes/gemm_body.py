"""The GEMM's prange body (_gemm_parallel: row blocks inline in the body) against the same body calling each
block as a function of its own (task), median us over 9 alternating rounds of 0.2 s windows, and whether the
results are equal. Run: python benchmarks/probes/gemm_body.py"""
import time, numpy as np, numba
from numba import prange
from gatecore import cpu_common as cc
numba.set_num_threads(2)

@numba.njit(**cc.JIT)
def task(out, P, v, bias, r0, r1, ka, kb, add):
    cc._gemm_block(out, P, v, bias, r0, r1, ka, kb, add, np.int64(0), out.shape[1])

@cc.kernel
def gemm_call(out, P, v, bias, rows, kblock, add):
    M = out.shape[0]
    K = P.shape[1]
    for ka in range(0, K, kblock):
        kb = min(K, ka + kblock)
        for c in prange((M + rows - 1) // rows):
            task(out, P, v, bias, c * rows, min(M, c * rows + rows), ka, kb, add)

rng = np.random.default_rng(0)
for M, K, N in ((256, 64, 256), (256, 256, 1024), (1024, 512, 2048), (128, 64, 192)):
    v = rng.standard_normal((M, K)).astype(np.float32); w = rng.standard_normal((K, N)).astype(np.float32)
    P = cc.pack(w); bias = np.zeros(N, np.float32)
    way = cc.gemm_way(M, K, N, 4, False)
    _, par, kblock, _, _, rows = way
    o1 = np.empty((M, N), np.float32); o2 = o1.copy()
    fs = {"body": lambda: cc._gemm_parallel(o1, P, v, bias, rows, kblock, False), "call": lambda: gemm_call(o2, P, v, bias, rows, kblock, False)}
    for f in fs.values(): f()
    res = {k: [] for k in fs}
    for _ in range(9):
        for k, f in fs.items():
            t0 = time.perf_counter(); n = 0
            while time.perf_counter() - t0 < 0.2:
                t1 = time.perf_counter(); f(); res[k].append(time.perf_counter() - t1)
    print(M, K, N, "parallel", par, " ".join(f"{k} {np.median(x)*1e6:.1f}us" for k, x in res.items()), "same", np.array_equal(o1, o2))
