"""A single sequence's cost per step against H: LSTM and GRU forward at B=1, T=128 and T=512 (float32, I = H,
best of 7 x 50 calls each), the step's cost as (t512 - t128) / 384. What stays at the smallest H is the loop's
own cost per step, whatever the product and the pointwise pass cost. Run it with the feed off to see the loop
alone: GATECORE_CPU_FEED_ROWS=0 python benchmarks/probes/step_overhead.py"""
import timeit
import numpy as np
import gatecore as gc
from gatecore import cpu_compiled

rng = np.random.default_rng(0)
for cell, G, fwd in (("gru", 3, gc.gru_forward), ("lstm", 4, gc.lstm_forward)):
    for H in (8, 16, 32, 64, 128):
        took = {}
        for T in (128, 512):
            x = rng.standard_normal((T, 1, H), dtype=np.float32)
            w = (rng.standard_normal((G * H, H)) * .1).astype(np.float32)
            b = np.zeros(G * H, np.float32)
            f = lambda: fwd(x, w, w, b, b)
            f()
            took[T] = min(timeit.repeat(f, number=50, repeat=7)) / 50 * 1e6
        split, hh = cpu_compiled.plan(x, w, w, G, H, None, False)[:2]
        print(f"{cell} B=1 H={H:3d}: T=128 {took[128]:7.1f} us, T=512 {took[512]:7.1f} us, "
              f"a step {(took[512] - took[128]) / 384:.3f} us (split {split}, W_hh packed {hh > 0})")
