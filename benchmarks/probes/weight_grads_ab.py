"""The weight gradients' GEMM da^T x alone: on the view da^T (config.CPU_GRAD_CHUNK_BYTES = 0) against da^T
transposed in chunks (the default), alternating in one process, median; the transpose alone and the GEMM on
contiguous rows for scale. Run: python benchmarks/probes/weight_grads_ab.py T B M N  (e.g. 128 16 1024 256)"""
import sys, time, numpy as np
from gatecore import config, cpu_common as cc
T, B, M, N = map(int, sys.argv[1:5])
rng = np.random.default_rng(0)
da = rng.standard_normal((T, B, M), dtype=np.float32); x = rng.standard_normal((T, B, N), dtype=np.float32)
chunked = config.CPU_GRAD_CHUNK_BYTES
a = da.reshape(T * B, M); buf = np.empty((M, T * B), np.float32); P = cc.pack(x.reshape(T * B, N))
def grads(chunk):
    config.CPU_GRAD_CHUNK_BYTES = chunk
    return cc.weight_grads(da, (x,))[0]
assert np.array_equal(grads(0), grads(chunked))
fs = {"view": lambda: grads(0), "chunks": lambda: grads(chunked),
      "transpose alone": lambda: cc._transpose_parallel(buf, a, 0, T * B), "gemm on buf": lambda: cc.gemm(buf, P, N)}
for f in fs.values(): f()
t = {k: [] for k in fs}
for _ in range(11):
    for k, f in fs.items():
        t0 = time.perf_counter(); f(); t[k].append(time.perf_counter() - t0)
flop = 2 * T * B * M * N
print(T, B, M, N, " | ".join(f"{k} {np.median(v) * 1e3:.2f} ms ({flop / np.median(v) / 1e9:.0f} GF/s)" for k, v in t.items()))
