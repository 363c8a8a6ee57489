"""Forwards (FB=1: forward+backward) on prepacked weights (gc.prepack) at a few rows, float32, I = H, 2 threads:
the best of five 0.3 s windows' median us per call, one line per run. OLD_RULE=1 gives cpu_common.matmul_way its rule
before session 31 (a prepacked weight's kept panels never read below a row block of rows); run both in turn.
Run: [OLD_RULE=1] [FB=1] python benchmarks/probes/prepacked_few_rows.py"""
import os, statistics, time
import numpy as np, gatecore as gc
from gatecore import cpu_common as cc
if os.environ.get("OLD_RULE"):
    _orig = cc.matmul_way
    cc.matmul_way = lambda *args: _orig(*args[:7])          # without `kept`
rng = np.random.default_rng(0)
out = []
POINTS = [("lstm", 16, 1, 64), ("lstm", 16, 1, 256), ("lstm", 16, 1, 512), ("gru", 16, 1, 64), ("gru", 16, 1, 256),
          ("lstm", 4, 1, 256), ("lstm", 32, 1, 256), ("lstm", 8, 1, 256), ("lstm", 16, 1, 128), ("gru", 8, 1, 64),
          ("lstm", 16, 2, 64)]
for cell, T, B, H in POINTS:
    G = {"lstm": 4, "gru": 3}[cell]
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w = gc.prepack(rng.standard_normal((G * H, H), dtype=np.float32) * .05)
    b = np.zeros(G * H, np.float32)
    f0 = getattr(gc, f"{cell}_forward"); bw = getattr(gc, f"{cell}_backward")
    dy = np.ones((T, B, H), np.float32)
    if os.environ.get("FB"):
        def f(*a):
            *_, tape = f0(*a, return_tape=True)
            return bw(tape, dy)
    else:
        f = f0
    for _ in range(20): f(x, w, w, b, b)
    best = []
    for _ in range(5):
        ts = []
        t1 = time.perf_counter() + 0.3
        while time.perf_counter() < t1:
            t = time.perf_counter(); f(x, w, w, b, b); ts.append(time.perf_counter() - t)
        best.append(statistics.median(ts))
    out.append(f"{cell}:{T}:{B}:{H} {min(best)*1e6:.1f}")
print(" | ".join(out))
