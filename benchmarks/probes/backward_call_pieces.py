"""A small LSTM backward timed piece by piece, interleaved, min and median over 11 batches of calls each: the API,
the backend's backward(), W_hh's panels, the time loop alone, input_grads and its parts (dx, the weight gradients,
db), and the zeros of da. Run: python benchmarks/probes/backward_call_pieces.py T B H"""
import sys, time, numpy as np, gatecore as gc
from gatecore.lstm import cpu as lc
from gatecore import cpu_common as cc
T, B, H = map(int, sys.argv[1:4])
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, H), dtype=np.float32)
w_ih = rng.standard_normal((4*H, H), dtype=np.float32)*.05; w_hh = w_ih.copy(); b = np.zeros(4*H, np.float32)
dy = np.ones((T,B,H),np.float32)
*_, tape = gc.lstm_forward(x, w_ih, w_hh, b, b, return_tape=True)
saved = tape.saved
xx, w_ih_, w_hh_, w_hr, gates, cp, cs, hp, lengths, reverse, hb = saved
P_hr = cc.pack(np.zeros((0, H), x.dtype)); P_hh = cc.weight_panels(w_hh)
split = cc.step_split(B, 4, H, H, backward=True, panel=cc.panel_units(P_hh))
dh = np.zeros((B,H),np.float32); dc = dh.copy(); da = np.zeros_like(gates); dhs=np.zeros((0,B,H),np.float32)
rows = da.reshape(T*B, 4*H)
print("split", split)
fs = {
 "api_bwd": lambda: gc.lstm_backward(tape, dy),
 "backend_bwd": lambda: lc.backward(saved, dy, np.zeros((B,H),np.float32), np.zeros((B,H),np.float32)),
 "weight_panels": lambda: cc.weight_panels(w_hh),
 "loop": lambda: lc._backward_loop(gates, cp, cs, P_hh, P_hr, dy, dh, dc, lengths, reverse, split, da, dhs),
 "input_grads": lambda: cc.input_grads(da, x, w_ih, hp),
 "dx": lambda: cc.matmul(rows, w_ih),
 "weight_grads": lambda: cc.weight_grads(da, (x, hp), (4*H, 4*H)),
 "column_sums": lambda: cc.column_sums(rows),
 "zeros": lambda: np.zeros_like(gates),
}
n=max(5, int(2000/(T*B*H/64)**0.5)); res={k:[] for k in fs}
for k,f in fs.items():
    for _ in range(20): f()
for r in range(11):
    for k,f in fs.items():
        t=time.perf_counter()
        for _ in range(n): f()
        res[k].append((time.perf_counter()-t)/n*1e6)
for k,v in res.items(): print(f"{k:14s} min {min(v):9.2f} med {np.median(v):9.2f}")
