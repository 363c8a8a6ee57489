"""The LSTM backward time loop alone (tape from a forward), split by batch rows vs by hidden units, and its recurrent
product alone (dh = da W_hh on packed W_hh, the rows split over 2 threads, or one thread). Run:
python benchmarks/probes/backward_loop.py T B H"""
import time, numpy as np, numba, sys
import gatecore as gc
from gatecore import cpu_common as cc, cpu_packed as cpk
from gatecore.lstm import cpu as lc
T,B,H=map(int,sys.argv[1:4])
rng=np.random.default_rng(0)
x=rng.standard_normal((T,B,H),dtype=np.float32); w=rng.standard_normal((4*H,H),dtype=np.float32)*.05; b=np.zeros(4*H,np.float32)
def med(f,n=7):
    f(); ts=[]
    for _ in range(n):
        t=time.perf_counter(); f(); ts.append(time.perf_counter()-t)
    return np.median(ts)*1e3
saved=lc.forward(x,w,w,b,b,None,None,None,False,None,True)[3]
xs, w_ih, w_hh, w_hr, gates, cp_, cs, hp, lengths, reverse, has_bias = saved
dy=np.ones((T,B,H),np.float32)
dh=np.zeros((B,H),np.float32); dc=dh.copy()
P_hh=cc.pack(np.ascontiguousarray(w_hh)); P_hr=cc.pack(np.zeros((0,H),np.float32))
split=cc.step_split(B,4,H,H,backward=True,panel=cc.panel_units(P_hh))
da=np.zeros_like(gates); dhs=np.zeros((0,B,H),np.float32)
def loop(s):
    lc._backward_loop(gates,cp_,cs,P_hh,P_hr,dy,dh.copy(),dc.copy(),lengths,reverse,s,da,dhs)
@numba.njit(parallel=True)
def products_only(P, da_k, dhr, T, threads):
    for ch in numba.prange(threads):
        b0, b1 = cc.chunk(ch, threads, da_k.shape[0])
        for k in range(T):
            cpk.packed_products(dhr, P, da_k, 0, dhr.shape[1], b0, b1)
da_k=np.random.rand(B,4*H).astype(np.float32); dhr=np.zeros((B,H),np.float32)
print("split", split)
for s in (-2, 2, -2, 2):  # rows, units
    print(s, "loop %.2f ms"%med(lambda: loop(s)))
print("products only (rows split 2) %.2f ms"%med(lambda: products_only(P_hh,da_k,dhr,T,2)))
print("products only (1 thread)     %.2f ms"%med(lambda: products_only(P_hh,da_k,dhr,T,1)))
