"""A small LSTM call timed piece by piece, interleaved, min and median over 15 batches of 200 calls each: the API,
the backend wrapper, step_inputs, the kernel alone (split as chosen, and serial). Run: python call_pieces.py T B H"""
import time, numpy as np, gatecore as gc, sys
from gatecore.lstm import cpu as lc
from gatecore import cpu_feed; import numpy; idle = cpu_feed.idle(numpy.dtype(numpy.float32))   # not fed
from gatecore import cpu_common as cc, api
T, B, H = map(int, sys.argv[1:4])
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, H), dtype=np.float32)
w_ih = rng.standard_normal((4*H, H), dtype=np.float32)*.05; w_hh = w_ih.copy(); b = np.zeros(4*H, np.float32)
gates, x1, w1, bias1 = cc.step_inputs(x, w_ih, b + b)
cp = np.empty((1, B, H), x.dtype); cs = cp.copy(); hp = cp.copy(); y = np.zeros((T, B, H), x.dtype)
hbuf = np.zeros((2, B, H), x.dtype); c = np.zeros((B, H), x.dtype); w_hr = np.zeros((0, H), x.dtype)
P_hh = cc.panels(w_hh, T, B); P_hr = np.zeros((0, 0, 0), x.dtype)
lengths = cc.full_lengths(None, T, B)
sp = cc.step_split(B, 4, H, H, panel=cc.panel_units(P_hh))
rows = x.reshape(T*B, H)
fs = {
 "api": lambda: gc.lstm_forward(x, w_ih, w_hh, b, b),
 "backend": lambda: lc.forward(x, w_ih, w_hh, b, b, None, None, None, False, None, False),
 "step_inputs": lambda: cc.step_inputs(x, w_ih, b),
 "pack(x.T)": lambda: cc.pack(rows.T),
 "loop": lambda: lc._forward_loop(gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, lengths, False, sp, x1, w1, bias1, idle),
 "loop serial": lambda: lc._forward_loop(gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, lengths, False, 1, x1, w1, bias1, idle),
 "time_chunks": lambda: cc.time_chunks(x, y, lengths, False, 4*H, False),
 "step_split": lambda: cc.step_split(B, 4, H, H, panel=0),
 "b+b": lambda: b + b,
}
n = 200
res = {k: [] for k in fs}
for _ in range(15):
    for k, f in fs.items():
        t0 = time.perf_counter()
        for _ in range(n): f()
        res[k].append((time.perf_counter() - t0) / n * 1e6)
for k, v in res.items(): print(f"{k:14s} min {min(v):7.1f} us  median {np.median(v):7.1f}")
