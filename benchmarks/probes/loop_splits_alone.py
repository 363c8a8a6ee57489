"""A cell's time loop alone (_forward_loop, gates made before, W_hh^T packed as a forward would, GRU with
linear_before_reset), at each way of running its steps: split 1 (one thread), -2 (each of two threads its batch
rows), 2 (two threads share the units, a barrier a pass); median us per call and per step over 9 alternating rounds
of 0.3 s windows, and the GFLOP/s of the recurrent product alone (2 B G H^2 per step). Arrays on cache lines, the
state zeros at first (before 2026-12-07's review h0 and c0 were left uninitialised).
Run: python benchmarks/probes/loop_splits_alone.py CELL T B H"""
import sys

from probe_case import GATES, alternate, loop_case

from gatecore import cpu_feed

cell = sys.argv[1]
T, B, H = map(int, sys.argv[2:5])
x, _, _, loop = loop_case(cell, T, B, H, lbr=True, aligned=True)
idle = cpu_feed.idle(x.dtype)
medians = alternate({s: loop(s, idle) for s in (1, -2, 2)})
flops = 2 * B * GATES[cell] * H * H
for k, m in medians.items():
    print(f"{cell} T={T} B={B} H={H} split {k:2d}: {m * 1e6:8.1f} us, a step {m / T * 1e6:6.2f} us, "
          f"product {flops * T / m / 1e9:6.1f} GFLOP/s")
