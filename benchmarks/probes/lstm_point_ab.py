"""One LSTM forward point (T=16, B=64, H=512, float32, 2 threads): gatecore's cpu backend and torch.nn.LSTM
(no_grad) alternating in one process, 15 calls a block; prints the 1st, 4th, 7th, 10th and 13th sorted times (ms).
Run from the repository root: PYTHONPATH=. python benchmarks/probes/lstm_point_ab.py"""
import time, numpy as np, gatecore as gc, torch
torch.set_num_threads(2)
from tests import support
T,B,H=16,64,512
p = support.random_problem("lstm", T, B, H, H, np.float32, seed=1)
args = {k: p[k] for k in ("x","w_ih","w_hh","b_ih","b_hh")}
def t_gc():
    t=time.perf_counter(); gc.lstm_forward(**args, backend="cpu"); return time.perf_counter()-t
m = torch.nn.LSTM(H,H); x=torch.from_numpy(p["x"])
def t_torch():
    with torch.no_grad():
        t=time.perf_counter(); m(x); return time.perf_counter()-t
for f in (t_gc,t_torch): f(); f()
for rep in range(6):
    for name,f in (("gc",t_gc),("torch",t_torch)):
        ts=[f() for _ in range(15)]
        print(rep, name, " ".join(f"{1e3*v:.1f}" for v in sorted(ts)[::3]))
