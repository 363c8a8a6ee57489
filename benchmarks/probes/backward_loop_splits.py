"""The LSTM backward loop alone (lstm/cpu.py _backward_loop on a forward's tape, dy = 1) at one shape under each
given split (cpu_common.step_split's codes: -2 batch rows over two threads, 1 one thread, 2 hidden units over two),
median and min ms of 7 and the median per step. Run: python benchmarks/probes/backward_loop_splits.py T B H -2,1,2"""
import sys, time, numpy as np, gatecore as gc
from gatecore import cpu_common as cc
from gatecore.lstm import cpu as lc
T, B, H = map(int, sys.argv[1:4]); splits = [int(s) for s in sys.argv[4].split(",")]
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, H), dtype=np.float32)
w = rng.standard_normal((4*H, H), dtype=np.float32)*.05; b = np.zeros(4*H, np.float32)
dy = np.ones((T,B,H),np.float32)
y, hn, cn, tape = gc.lstm_forward(x, w, w, b, b, return_tape=True)
xs, w_ih, w_hh, w_hr, gates, cp, cs, hp, lengths, reverse, hb = tape.saved
P_hh = cc.weight_panels(w_hh); P_hr = cc.pack(np.zeros((0, H), x.dtype))
print("default split", cc.step_split(B, 4, H, H, backward=True, panel=cc.panel_units(P_hh)), "P_hh", P_hh.shape)
da = np.zeros_like(gates); dhs = np.zeros((0,B,H),np.float32)
def loop(split):
    dh = np.zeros((B,H),np.float32); dc = dh.copy()
    lc._backward_loop(gates, cp, cs, P_hh, P_hr, dy, dh, dc, lengths, reverse, split, da, dhs)
def floop(split):
    gc.lstm_forward(x, w, w, b, b)
for s in splits: loop(s)
res = {}
for _ in range(7):
    for s in splits:
        t0 = time.perf_counter(); loop(s); res.setdefault(s, []).append((time.perf_counter()-t0)*1e3)
for s, v in res.items():
    print(f"split {s}: {np.median(v):8.3f} ms  min {min(v):8.3f}  per step {np.median(v)/T*1e3:.2f} us")
