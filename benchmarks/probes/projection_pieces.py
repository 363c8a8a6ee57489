"""The few-rows input projection (cpu_compiled.inputs' FEW_ROWS way) piece by piece, each piece repeated N times
inside one compiled loop (no Python call in the timing), best of 7 windows, us per piece:
x^T packed, W_ih x^T into [G*H, M] (gemm on the packed x^T), its transpose to [M, G*H] with the bias, and the
whole of cpu_compiled.inputs. Run: python benchmarks/probes/projection_pieces.py T B I GH"""
import sys, time
import numba
import numpy as np
from gatecore import cpu_common as cc, cpu_compiled, cpu_feed

T, B, I, GH = map(int, sys.argv[1:5])
M = T * B
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, I)).astype(np.float32)
w = (rng.standard_normal((GH, I)) * .1).astype(np.float32)
bias = rng.standard_normal(GH).astype(np.float32)
way = cc.matmul_way(M, I, GH, 4, cc.transposes(M, I), cc.transposes(GH, I), True)
assert way[0] == cc.FEW_ROWS, way
how, parallel, kblock, pack_on, threads, rows = way
projection = (cc.FEW_ROWS, way, cc.none(x.dtype, 3), 0)
idle = cpu_feed.idle(x.dtype)
xr = x.reshape(M, I)


@numba.njit
def run_pack(xr, n):
    s = 0.0
    for _ in range(n):
        P = cc.packed(xr.T, 0)
        s += P[0, 0, 0]
    return s


@numba.njit
def run_gemm(P, w, M, n, rows):
    vm = np.empty((w.shape[0], M), w.dtype)
    no_bias = np.zeros(0, w.dtype)
    for _ in range(n):
        cc._gemm_serial(vm, P, w, no_bias, rows, False)
    return vm


@numba.njit
def run_transposed(P, w, bias, M, rows, kblock, n):
    s = 0.0
    for _ in range(n):
        out = cc._gemm_transposed(P, w, bias, M, rows, False, kblock)
        s += out[0, 0]
    return s


@numba.njit
def run_inputs(x, w, bias, projection, idle, n):
    s = 0.0
    for _ in range(n):
        s += cpu_compiled.inputs(x, w, bias, projection, idle)[0][0, 0, 0]
    return s


P = cc.pack(xr.T)
N = 2000
pieces = {
    "pack x^T": lambda: run_pack(xr, N),
    "gemm W_ih x^T [GH, M]": lambda: run_gemm(P, w, M, N, rows),
    "gemm + transpose + bias": lambda: run_transposed(P, w, bias, M, rows, kblock, N),
    "inputs() whole": lambda: run_inputs(x, w, bias, projection, idle, N),
}
for f in pieces.values():
    f()
best = {k: [] for k in pieces}
for _ in range(7):
    for k, f in pieces.items():
        t0 = time.perf_counter()
        f()
        best[k].append((time.perf_counter() - t0) / N * 1e6)
flops = 2 * M * I * GH
for k, v in best.items():
    print(f"M={M} I={I} GH={GH} {k:26s} best {min(v):6.2f} us  median {np.median(v):6.2f}"
          + (f"  {flops / min(v) / 1e3:6.1f} GFLOP/s" if "gemm" in k or "whole" in k else ""))
