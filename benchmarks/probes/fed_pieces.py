"""Where a fed LSTM forward's time goes (cpu_feed: a loop on one thread fed its input projection by the other):
the backend, cpu_feed.inputs() alone, inputs() and the fed loop, step_inputs and the unfed loop, the unfed loop
alone, and the fed loop on pre-activations all made before its region starts (every task done), min and median
of 15 x 200 calls, float32. Run: python benchmarks/probes/fed_pieces.py T B H  (e.g. 128 1 64)"""
import time, sys, numpy as np
from gatecore.lstm import cpu as lc
from gatecore import cpu_feed, cpu_common as cc
T, B, H = map(int, sys.argv[1:4])
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, H), dtype=np.float32)
w = rng.uniform(-.1, .1, (4*H, H)).astype(np.float32); b = rng.uniform(-.1, .1, 4*H).astype(np.float32)
bias = b + b
lengths = cc.full_lengths(None, T, B)
P_hh = cc.panels(w, T, B); P_hr = cc.none(x.dtype, 3); w_hr = cc.none(x.dtype, 2)
split = cc.step_split(B, 4, H, H, panel=cc.panel_units(P_hh), itemsize=4)
cp = np.empty((1, B, H), x.dtype); cs = cp.copy(); hp = cp.copy(); y = np.zeros((T, B, H), x.dtype)
def fresh():
    return np.zeros((2, B, H), x.dtype), np.zeros((B, H), x.dtype)
idle = cpu_feed.idle(np.dtype(np.float32))
g0 = cc.step_inputs(x, w, bias)
def backend(): lc.forward(x, w, w, b, b, None, None, None, False, None, False)
def fed_inputs(): return cpu_feed.inputs(x, w, bias, None, False, split, H, lengths, False)
def fed_all():
    g = fed_inputs(); hb, c = fresh()
    lc._forward_loop(g[0], cp, cs, hp, y, hb, c, w, P_hh, w_hr, P_hr, lengths, False, split, g[1], g[2], g[3], g[4])
def unfed_loop():
    hb, c = fresh()
    lc._forward_loop(g0[0], cp, cs, hp, y, hb, c, w, P_hh, w_hr, P_hr, lengths, False, split, g0[1], g0[2], g0[3], idle)
def unfed_all():
    g = cc.step_inputs(x, w, bias); hb, c = fresh()
    lc._forward_loop(g[0], cp, cs, hp, y, hb, c, w, P_hh, w_hr, P_hr, lengths, False, split, g[1], g[2], g[3], idle)
fs = {"backend": backend, "fed inputs()": fed_inputs, "fed inputs+loop": fed_all, "unfed step_inputs+loop": unfed_all, "unfed loop": unfed_loop}
print("fed:", cpu_feed.fed(split, x, 4*H, H, lengths, False))
def timed(fs):
    """Each function timed in turn, 15 x 200 calls after 20 to warm up; min and median us a call."""
    res = {k: [] for k in fs}
    for f in fs.values():
        for _ in range(20): f()
    for _ in range(15):
        for k, f in fs.items():
            t0 = time.perf_counter()
            for _ in range(200): f()
            res[k].append((time.perf_counter() - t0) / 200 * 1e6)
    for k, v in res.items(): print(f"{k:24s} min {min(v):7.1f} us  median {np.median(v):7.1f}")
timed(fs)
# the fed loop on pre-made gates: every task done before the region starts
def predone():
    g = fed_inputs()
    cpu_feed.project(g[4], g[0], False)
    return g
gp = predone()
def fed_loop_predone():
    hb, c = fresh()
    lc._forward_loop(gp[0], cp, cs, hp, y, hb, c, w, P_hh, w_hr, P_hr, lengths, False, split, gp[1], gp[2], gp[3], gp[4])
timed({"unfed loop": unfed_loop, "fed loop, tasks done": fed_loop_predone})
