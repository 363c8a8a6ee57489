"""Where an LSTM/GRU forward+backward's time goes at one shape: forward with tape, backward, and the backward's
pieces (the time loop, dx, the weight gradients, db) by wrapping cpu_common's functions. Median ms of 7.
Run: python benchmarks/probes/bwd_pieces.py cell T B H"""
import sys, time, numpy as np, gatecore as gc
from gatecore import cpu_common as cc
cell, T, B, H = sys.argv[1], *map(int, sys.argv[2:5])
G = {"lstm": 4, "gru": 3}[cell]
mod = __import__(f"gatecore.{cell}.cpu", fromlist=["x"])
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, H), dtype=np.float32); w = rng.standard_normal((G * H, H), dtype=np.float32) * .05
b = np.zeros(G * H, np.float32); dy = np.ones((T, B, H), np.float32)
fwd, bwd = getattr(gc, cell + "_forward"), getattr(gc, cell + "_backward")
spent = {}
def wrap(owner, name, label):
    f = getattr(owner, name)
    def timed(*a, **k):
        t = time.perf_counter(); r = f(*a, **k); spent[label] = spent.get(label, 0) + time.perf_counter() - t; return r
    setattr(owner, name, timed)
wrap(mod, "_backward_loop", "loop"); wrap(cc, "matmul", "matmul (dx)"); wrap(cc, "weight_grads", "weight_grads")
res = {}
for _ in range(8):
    spent.clear()
    t0 = time.perf_counter(); *_, tape = fwd(x, w, w, b, b, backend="cpu", return_tape=True)
    t1 = time.perf_counter(); fwd_spent = dict(spent); spent.clear(); bwd(tape, dy); t2 = time.perf_counter()
    for k, v in [("forward", t1 - t0), ("backward", t2 - t1)] + [("fwd " + k, v) for k, v in fwd_spent.items()] + list(spent.items()):
        res.setdefault(k, []).append(v * 1e3)
print(cell, T, B, H, "  ".join("%s %.2f" % (k, np.median(v[1:])) for k, v in res.items()))
