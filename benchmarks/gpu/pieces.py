"""Where a cuda forward's time goes: the input GEMM alone against the whole call, per cell and shape.

    python benchmarks/gpu/pieces.py            (needs a CUDA GPU)

For each (cell, T, B, H): median of 5 synchronised calls of the whole forward (device arrays in and out,
no tape), and of the input projection xw = x W_ih^T + b alone (cuda_common.gemm at the same shape); the rest
is the recurrence. Also the GEMM's rate against a large square product through the same kernel.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402
from numba import cuda  # noqa: E402

import gatecore as gc  # noqa: E402
from gatecore import cuda_common as cc  # noqa: E402
from gpu_vs_cudnn import timed  # noqa: E402  (median of synchronised runs after a warm-up)

G = {"lstm": 4, "gru": 3, "rnn": 1}
SHAPES = (("lstm", 512, 1, 256), ("lstm", 512, 1, 1024), ("lstm", 512, 64, 512), ("gru", 512, 64, 512),
          ("lstm", 512, 256, 1024))
SQUARE = 4096


def median_time(fn):
    return timed(fn, cuda.synchronize, 5)


def main():
    rng = np.random.default_rng(0)
    st = cc.stream()
    print("cell T B H | whole fwd ms | input GEMM ms | recurrence ms | us/step | path")
    for cell, T, B, H in SHAPES:
        g = G[cell]
        x = cuda.to_device(rng.standard_normal((T, B, H)).astype(np.float32))
        w_ih = cuda.to_device(rng.uniform(-0.1, 0.1, (g * H, H)).astype(np.float32))
        w_hh = cuda.to_device(rng.uniform(-0.1, 0.1, (g * H, H)).astype(np.float32))
        fwd = getattr(gc, f"{cell}_forward")
        whole = median_time(lambda: fwd(x, w_ih, w_hh, backend="cuda"))
        xw = cc.empty(T * B * g * H, st)
        xf, wf = x.reshape(x.size), w_ih.reshape(w_ih.size)
        gemm = median_time(lambda: cc.gemm(st, xf, 0, H, 1, wf, 0, 1, H, xw, 0, T * B, g * H, H))
        rec = whole - gemm
        print(f"{cell} {T} {B} {H} | {1e3 * whole:.2f} | {1e3 * gemm:.2f} ({2 * T * B * g * H * H / gemm / 1e12:.1f}"
              f" TFLOP/s) | {1e3 * rec:.2f} | {1e6 * rec / T:.1f} | {cc.last_path}", flush=True)
    n = SQUARE
    a = cuda.to_device(rng.standard_normal((n, n)).astype(np.float32))
    c = cc.empty(n * n, st)
    af = a.reshape(a.size)
    t = median_time(lambda: cc.gemm(st, af, 0, n, 1, af, 0, n, 1, c, 0, n, n, n))
    print(f"cuda_common.gemm {n}^3: {1e3 * t:.2f} ms, {2 * n ** 3 / t / 1e12:.1f} TFLOP/s")
    try:
        import torch
        torch.backends.cuda.matmul.allow_tf32 = False
        ta = torch.randn(n, n, device="cuda")
        torch.cuda.synchronize()
        t = median_time(lambda: ta @ ta)
        print(f"torch (cuBLAS, TF32 off) {n}^3: {1e3 * t:.2f} ms, {2 * n ** 3 / t / 1e12:.1f} TFLOP/s")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
