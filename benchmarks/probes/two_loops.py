"""Two independent one-thread LSTM forward loops (T=128, B=8, H=64, float32, split=1, no tape) run at once in two
Python threads (the kernels release the GIL), against one alone: whether this machine runs two such loops side
by side at the speed of one, i.e. how well a batch-row split of B=16 could scale at best. us per call, 5 rounds
of 50 calls. Run: python benchmarks/probes/two_loops.py"""
import time, numpy as np, threading
from gatecore.lstm import cpu as lc
from gatecore import cpu_common as cc, cpu_feed
T, B, H = 128, 8, 64
rng = np.random.default_rng(0)
def problem():
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w = rng.standard_normal((4*H, H), dtype=np.float32)*.05; b = np.zeros(4*H, np.float32)
    g, x1, w1, b1 = cc.step_inputs(x, w, b)
    P = cc.panels(w, T, B)
    return [g, np.empty((1,B,H),np.float32), np.empty((1,B,H),np.float32), np.empty((1,B,H),np.float32), np.zeros((T,B,H),np.float32), np.zeros((2,B,H),np.float32), np.zeros((B,H),np.float32), w, P, np.zeros((0,H),np.float32), np.zeros((0,0,0),np.float32), cc.full_lengths(None,T,B), False, 1, x1, w1, b1, cpu_feed.idle(np.dtype(np.float32))]
A, Bp = problem(), problem()
lc._forward_loop(*A); lc._forward_loop(*Bp)
def run(a, n, out):
    t0 = time.perf_counter()
    for _ in range(n): lc._forward_loop(*a)
    out.append((time.perf_counter() - t0) / n * 1e6)
for r in range(5):
    solo = []; run(A, 50, solo)
    both = []
    ts = [threading.Thread(target=run, args=(p, 50, both)) for p in (A, Bp)]
    [t.start() for t in ts]; [t.join() for t in ts]
    print(f"serial B=8 loop alone {solo[0]:.1f} us; two at once in two Python threads {both[0]:.1f}, {both[1]:.1f} us")
