"""Forward loops with G*H*R <= 16384 and B < 8 forced onto one worker thread inside a parallel region (the row split
with one non-empty chunk) against the split gatecore chooses, in-process A/B, same bits asserted. Not in gatecore: see
results/probes_session9.txt. Run: python benchmarks/probes/one_worker_ab.py lstm:512:1:64 gru:128:1:64"""
import sys

import numpy as np

from gatecore import cpu_common as cc
from probe_case import forward_call, once

orig = cc.step_split


def region(B, G, H, R, backward=False, panel=0, itemsize=0):
    s = orig(B, G, H, R, backward=backward, panel=panel, itemsize=itemsize)
    if not backward and s > 0 and G * H * R <= 16384 and B < 8:
        return -2
    return s


for spec in sys.argv[1:]:
    cell, T, B, H, F = forward_call(spec)
    ref = F()[0]
    cc.step_split = region
    assert np.array_equal(F()[0], ref)
    cc.step_split = orig
    n = max(10, min(300, int(1.0 / once(F))))
    t = {0: [], 1: []}
    for _ in range(n):
        for m, fn in ((0, orig), (1, region)):
            cc.step_split = fn
            t[m].append(once(F))
    cc.step_split = orig
    wins = np.mean(np.array(t[1]) < np.array(t[0]))
    print(spec, f"n={n} now {np.median(t[0])*1e3:.3f} ms, one worker {np.median(t[1])*1e3:.3f} ms, wins {wins:.0%}",
          flush=True)
