"""Why a fed loop is slower at B=1 H=64 on some machines: the cell's time loop alone (_forward_loop, gates made
before, GRU with linear_before_reset=False), median us per call over 9 alternating rounds of 0.3 s windows:
  unfed      the loop on the calling thread (the feed idle);
  fed, done  the fed branch (a prange of 2: the loop in one, the feed in the other) with every task marked done
             before, so the other thread has nothing to do;
  fed        the fed branch with its tasks to run (the projection made by the other thread as the loop runs).
Run: python benchmarks/probes/fed_loop_alone.py CELL T B H   (CELL lstm, gru or rnn: tanh)"""
import sys

import numpy as np
from probe_case import alternate, loop_case

from gatecore import config, cpu_common as cc, cpu_feed, cpu_sync

cell = sys.argv[1]
T, B, H = map(int, sys.argv[2:5])
x, w_ih, bias, loop = loop_case(cell, T, B, H)
P_ih = cc.pack(np.ascontiguousarray(w_ih).T)
steps = config.CPU_FEED_ROWS // B


def feed(done):
    n = -(-T // steps)
    tasks = cpu_sync.new_tasks(n)
    if done:
        for t in range(n):
            tasks[2 * 8 * t] = 1
            tasks[2 * 8 * t + 8] = 1
    return (x.reshape(T * B, H), w_ih, P_ih, bias, tasks, steps, False)


medians = alternate({"unfed": loop(1, cpu_feed.idle(x.dtype)), "fed, done": loop(1, lambda: feed(True)),
                     "fed": loop(1, lambda: feed(False))})
print(f"{cell} T={T} B={B} H={H}: " + "  ".join(f"{k} {m * 1e6:.1f} us" for k, m in medians.items()))
