"""One LSTM forward step's pieces called on their own, 10000 times each, us per call, float32, one thread: the
four gate products (gate_products), one product over all 4H rows (packed panels only), save_prev_state,
_forward_units (products + cell) and _forward_part (packed panels only). The same gates row is updated in place
at every call, so the cell's inputs drift from call to call: read _forward_units' time with that in mind.
Run: python benchmarks/probes/step_pieces.py H B"""
import time, numpy as np, numba, sys
from gatecore.lstm import cpu as lc
from gatecore import cpu_common as cc, cpu_packed
T,B,H=64,int(sys.argv[2]),int(sys.argv[1])
rng=np.random.default_rng(0)
x=rng.standard_normal((T,B,H),dtype=np.float32)
w=rng.standard_normal((4*H,H),dtype=np.float32)*.05
gates,x1,w1,bias1=cc.step_inputs(x,w,None)
cp=np.empty((1,B,H),np.float32); cs=cp.copy(); hp=cp.copy(); y=np.zeros((T,B,H),np.float32)
hbuf=np.zeros((2,B,H),np.float32); c=np.zeros((B,H),np.float32); w_hr=np.zeros((0,H),np.float32)
P=cc.panels(w,T,B); P_hr=np.zeros((0,0,0),np.float32); lengths=cc.full_lengths(None,T,B)
rec=np.zeros((B,4*H),np.float32)
print("P", P.shape)
A=(rec, w, P, hbuf, hp, lengths, gates, cp, cs, y, c, w_hr, P_hr, x1, w1, bias1)
@numba.njit
def prods(n, rec, w, P, hbuf, hp, lengths, gates, cp, cs, y, c, w_hr, P_hr, x1, w1, bias1):
    for i in range(n):
        cc.gate_products(rec, w, P, hbuf[0], 4, H, 0, H, 0, B)
@numba.njit
def prod1(n, rec, w, P, hbuf, hp, lengths, gates, cp, cs, y, c, w_hr, P_hr, x1, w1, bias1):
    for i in range(n):
        cpu_packed.packed_products(rec, P, hbuf[0], 0, 4*H, 0, B)
@numba.njit
def save(n, rec, w, P, hbuf, hp, lengths, gates, cp, cs, y, c, w_hr, P_hr, x1, w1, bias1):
    for i in range(n):
        cc.save_prev_state(hp, hbuf[0], 3, lengths, False, 0, B, 0, H)
@numba.njit
def units(n, rec, w, P, hbuf, hp, lengths, gates, cp, cs, y, c, w_hr, P_hr, x1, w1, bias1):
    for i in range(n):
        lc._forward_units(0, H, 0, B, 3, gates, cp, cs, y, w, P, rec, hbuf[0], hbuf[1], c, hbuf[0], lengths, False, False, x1, w1, bias1)
@numba.njit
def part(n, rec, w, P, hbuf, hp, lengths, gates, cp, cs, y, c, w_hr, P_hr, x1, w1, bias1):
    lo = np.int64(0)
    for i in range(n):
        lc._forward_part(0, i % 64, lo, H, lo, H, lo, B, gates, cp, cs, hp, y, hbuf, c, w, P, w_hr, P_hr, rec, hbuf[0], hbuf[0], lengths, False, x1, w1, bias1)
for f in ((prods, prod1, save, units, part) if P.size else (prods, save, units)):
    f(10, *A); ts=[]
    for r in range(7):
        t0=time.perf_counter(); f(10000, *A); ts.append(time.perf_counter()-t0)
    print(f.__name__, "%.3f us/call"%(min(ts)/10000*1e6))
