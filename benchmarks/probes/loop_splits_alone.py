"""A cell's time loop alone (_forward_loop, gates made before, W_hh^T packed as a forward would), at each way of
running its steps: split 1 (one thread), -2 (each of two threads its batch rows), 2 (two threads share the units,
a barrier a pass); median us per call and per step over 9 alternating rounds of 0.3 s windows, and the GFLOP/s of
the recurrent product alone (2 B G H^2 per step). Run: python benchmarks/probes/loop_splits_alone.py CELL T B H"""
import sys, time
import numpy as np
from gatecore import cpu_common as cc, cpu_feed
from gatecore.lstm import cpu as lc
from gatecore.gru import cpu as gcpu

cell = sys.argv[1]
T, B, H = map(int, sys.argv[2:5])
G = 4 if cell == "lstm" else 3
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, H)).astype(np.float32)
w_ih = rng.uniform(-.1, .1, (G * H, H)).astype(np.float32)
w_hh = rng.uniform(-.1, .1, (G * H, H)).astype(np.float32)
bias = rng.uniform(-.1, .1, G * H).astype(np.float32)
P_hh = cc.panels(w_hh, T, B)
gates0 = cc.input_projection(x, w_ih, bias)
lengths = cc.full_lengths(None, T, B)
idle = cpu_feed.idle(x.dtype)
e2, e1 = cc.none(x.dtype, 2), cc.none(x.dtype, 1)


def run(split):
    gates = gates0.copy()
    y = cc.aligned((T, B, H), np.float32)
    hbuf = cc.aligned((2, B, H), np.float32)
    if cell == "lstm":
        cp, cs, hp = (cc.aligned((T, B, H), np.float32) for _ in range(3))
        c = cc.aligned((B, H), np.float32)
        return lambda: lc._forward_loop(gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, e2, cc.none(x.dtype, 3), lengths,
                                        False, split, e2, e2, e1, idle)
    hn, hp = (cc.aligned((T, B, H), np.float32) for _ in range(2))
    b_hn = np.zeros(H, np.float32)
    return lambda: gcpu._forward_loop(gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, lengths, False, True, split, e2, e2,
                                      e1, idle)


ways = {s: run(s) for s in (1, -2, 2)}
for f in ways.values():
    f()
res = {k: [] for k in ways}
for _ in range(9):
    for k, f in ways.items():
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 0.3:
            t1 = time.perf_counter()
            f()
            res[k].append(time.perf_counter() - t1)
flops = 2 * B * G * H * H
for k, v in res.items():
    m = np.median(v)
    print(f"{cell} T={T} B={B} H={H} split {k:2d}: {m * 1e6:8.1f} us, a step {m / T * 1e6:6.2f} us, "
          f"product {flops * T / m / 1e9:6.1f} GFLOP/s")
