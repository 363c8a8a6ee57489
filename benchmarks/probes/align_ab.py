"""The LSTM forward loop (row or unit split as chosen, no tape) with every array it writes 64-byte aligned against
the same arrays 16 bytes past a 64-byte boundary (as NumPy's allocator often returns them): where two threads' rows
meet inside one cache line, each step writes it from both. Interleaved, 15 rounds of 20 calls, us.
Run: python benchmarks/probes/align_ab.py T B H"""
import time, numpy as np, sys
from gatecore.lstm import cpu as lc
from gatecore import cpu_common as cc, cpu_feed
T, B, H = map(int, sys.argv[1:4])
def aligned(shape, dtype=np.float32, zero=False, off=0):
    n = int(np.prod(shape)); it = np.dtype(dtype).itemsize
    raw = np.zeros(n * it + 128 + off, np.uint8)
    start = (-raw.ctypes.data) % 64 + off
    return raw[start:start + n * it].view(dtype).reshape(shape)
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, H), dtype=np.float32)
w_ih = rng.standard_normal((4*H, H), dtype=np.float32)*.05; w_hh = w_ih.copy(); b = np.zeros(4*H, np.float32)
g0, x1, w1, bias1 = cc.step_inputs(x, w_ih, b + b)
P_hh = cc.panels(w_hh, T, B); P_hr = np.zeros((0, 0, 0), np.float32); w_hr = np.zeros((0, H), np.float32)
lengths = cc.full_lengths(None, T, B)
sp = cc.step_split(B, 4, H, H, panel=cc.panel_units(P_hh), itemsize=4)
print("split", sp, "addr mod 64 of numpy arrays:", [a.ctypes.data % 64 for a in (g0, np.empty((1,B,H),np.float32), np.zeros((T,B,H),np.float32), np.empty((2,B,H),np.float32))])
def setup(off):
    gates = aligned(g0.shape, off=off); gates[:] = g0
    cp, cs, hp = (aligned((1, B, H), off=off) for _ in range(3))
    y = aligned((T, B, H), off=off); hbuf = aligned((2, B, H), off=off); hbuf[:] = 0; c = aligned((B, H), off=off); c[:] = 0
    return (gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, lengths, False, sp, x1, w1, bias1,
            cpu_feed.idle(gates.dtype))
A = {"aligned64": setup(0), "offset16": setup(16)}
res = {k: [] for k in A}
for r in range(15):
    for k, a in A.items():
        t0 = time.perf_counter()
        for _ in range(20): lc._forward_loop(*a)
        res[k].append((time.perf_counter() - t0) / 20 * 1e6)
for k, v in res.items(): print(f"{k}: min {min(v):.1f} us median {np.median(v):.1f}")
