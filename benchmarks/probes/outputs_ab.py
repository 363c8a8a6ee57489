"""cpu_common.outputs (y uninitialised when every sequence is full) against a zero-filled y, alternating in one
process in blocks of calls, median of the blocks' medians. Run: python outputs_ab.py lstm:T:B:H gru:T:B:H ..."""
import sys, time, numpy as np, gatecore as gc
from gatecore import cpu_common as cc
new = cc.outputs
def old(shape, dtype, lengths, threaded): return cc.allocators(threaded, 1 << 62)[1](shape, dtype)
rng=np.random.default_rng(0)
for spec in sys.argv[1:]:
    cell,T,B,H=spec.split(":"); T,B,H=int(T),int(B),int(H); G={"lstm":4,"gru":3}[cell]
    x=rng.standard_normal((T,B,H),dtype=np.float32); w=rng.standard_normal((G*H,H),dtype=np.float32)*.05; b=np.zeros(G*H,np.float32)
    f=getattr(gc,cell+"_forward"); F=lambda: f(x,w,w,b,b)
    for v in (old,new): cc.outputs=v; F(); F()
    t0=time.perf_counter(); F(); one=time.perf_counter()-t0
    blk=max(3,min(20,int(0.02/one))); n=max(20,min(100,int(2/(one*blk*2))))
    t={0:[],1:[]}
    for _ in range(n):
        for i,v in enumerate((old,new)):
            cc.outputs=v; ts=[]
            for _ in range(blk):
                t0=time.perf_counter(); F(); ts.append(time.perf_counter()-t0)
            t[i].append(np.median(ts))
    a,bb=np.array(t[0]),np.array(t[1])
    print(f"{spec}: zeros {np.median(a)*1e3:.3f} ms, empty {np.median(bb)*1e3:.3f} ms (empty wins {np.mean(bb<a):.0%})",flush=True)
