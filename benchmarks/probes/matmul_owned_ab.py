"""matmul(a, W^T + bias) with W^T packed on one thread then multiplied on all (CPU_PACK_GEMM_MAX_BYTES=0) vs each
thread packing the panels it multiplies (cpu_common._pack_gemm_parallel), and gemm on panels packed once
(prepacked), float32, 2 threads, median us of 200 calls, median of 5 rounds alternating; the bits checked equal.
Run: python matmul_owned_ab.py [max bytes, default 4 MB]"""
import sys, time, numpy as np
from gatecore import cpu_common as cc, config
pc = time.perf_counter_ns
limit = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 22


def tm(f, n=200):
    for _ in range(10): f()
    t = []
    for _ in range(n):
        a = pc(); f(); t.append(pc() - a)
    return np.median(t) / 1e3


rng = np.random.default_rng(0)
for M, K, N in ((256, 64, 256), (256, 256, 768), (256, 256, 1024), (512, 256, 1024), (1024, 256, 1024),
                (256, 512, 2048), (1024, 512, 2048), (2048, 64, 256)):
    a = rng.standard_normal((M, K), dtype=np.float32); w = rng.standard_normal((N, K), dtype=np.float32)
    bias = rng.standard_normal(N, dtype=np.float32)
    P = cc.pack(w.T)
    config.CPU_PACK_GEMM_MAX_BYTES = limit
    owned = cc._owned_panels(M, N, K, 4)
    assert np.array_equal(cc.gemm(a, P, N, bias), cc.matmul(a, w.T, bias))
    res = {"pack then gemm": [], "owned panels": [], "prepacked": []}
    for rep in range(5):
        config.CPU_PACK_GEMM_MAX_BYTES = 0
        res["pack then gemm"].append(tm(lambda: cc.matmul(a, w.T, bias)))
        config.CPU_PACK_GEMM_MAX_BYTES = limit
        res["owned panels"].append(tm(lambda: cc.matmul(a, w.T, bias)))
        res["prepacked"].append(tm(lambda: cc.gemm(a, P, N, bias)))
    med = {k: np.median(v) for k, v in res.items()}
    print(f"{M} x {K} x {N} ({'owned' if owned else 'not owned: matmul packs then multiplies'}): "
          + ", ".join(f"{k} {v:.1f}" for k, v in med.items()))
