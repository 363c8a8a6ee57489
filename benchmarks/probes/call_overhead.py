"""Where a small LSTM forward call spends its microseconds: the API, the backend wrapper, its pieces and the
kernel alone. Run: python benchmarks/probes/call_overhead.py T B H  (e.g. 16 1 64)"""
import time, numpy as np, gatecore as gc, sys
from gatecore.lstm import cpu as lc
from gatecore import cpu_feed; import numpy; idle = cpu_feed.idle(numpy.dtype(numpy.float32))   # not fed
from gatecore import cpu_common as cc
def tm(f, n=2000):
    for _ in range(50): f()
    t0 = time.perf_counter()
    for _ in range(n): f()
    return (time.perf_counter() - t0) / n * 1e6
T, B, H = map(int, sys.argv[1:4])
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, H), dtype=np.float32)
w_ih = rng.standard_normal((4*H, H), dtype=np.float32); w_hh = w_ih.copy(); b = np.zeros(4*H, np.float32)
print("api lstm_forward       %.1f us" % tm(lambda: gc.lstm_forward(x, w_ih, w_hh, b, b)))
print("backend forward        %.1f us" % tm(lambda: lc.forward(x, w_ih, w_hh, b, b, None, None, None, False, None, False)))
lengths = cc.full_lengths(None, T, B)
print("full_lengths           %.1f us" % tm(lambda: cc.full_lengths(None, T, B)))
print("step_inputs            %.1f us" % tm(lambda: cc.step_inputs(x, w_ih, b + b)))
print("panels                 %.1f us" % tm(lambda: cc.panels(w_hh, T, B)))
print("step_split             %.1f us" % tm(lambda: cc.step_split(B, 4, H, H, panel=0)))
gates, x1, w1, bias1 = cc.step_inputs(x, w_ih, b + b)
cp = np.empty((1, B, H), x.dtype); cs = cp.copy(); hp = cp.copy(); y = np.zeros((T, B, H), x.dtype)
hbuf = np.zeros((2, B, H), x.dtype); c = np.zeros((B, H), x.dtype); w_hr = np.zeros((0, H), x.dtype)
P_hh = cc.panels(w_hh, T, B); P_hr = np.zeros((0, 0, 0), x.dtype)
sp = cc.step_split(B, 4, H, H, panel=cc.panel_units(P_hh))
print("kernel _forward_loop   %.1f us" % tm(lambda: lc._forward_loop(gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, w_hr, P_hr, lengths, False, sp, x1, w1, bias1, idle)))
print("6 allocations          %.1f us" % tm(lambda: (np.empty((1, B, H), x.dtype), np.empty((1, B, H), x.dtype), np.empty((1, B, H), x.dtype), np.zeros((T, B, H), x.dtype), np.empty((2, B, H), x.dtype), np.zeros((B, H), x.dtype), np.zeros((0, H), x.dtype), np.zeros((0, 0, 0), x.dtype))))
