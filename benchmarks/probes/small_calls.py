"""Median us per call of a few small forward calls (T x B x H, float32, I = H), one line per run: run it at two
commits in turn to compare them. Run: python benchmarks/probes/small_calls.py"""
import time, numpy as np, sys, gatecore as gc
rng=np.random.default_rng(0)
out=[]
for cell,T,B,H in [("lstm",16,1,64),("lstm",16,1,256),("lstm",16,1,512),("gru",16,1,64),("gru",16,1,256),("lstm",128,1,64),("lstm",16,16,64)]:
    G={"lstm":4,"gru":3}[cell]
    x=rng.standard_normal((T,B,H),dtype=np.float32); w=rng.standard_normal((G*H,H),dtype=np.float32)*.05; b=np.zeros(G*H,np.float32)
    f=getattr(gc,f"{cell}_forward"); f(x,w,w,b,b)
    n=max(50,int(0.4/ (T*B*H*H*G*2e-11+2e-5)))
    ts=[]
    for _ in range(n):
        t=time.perf_counter(); f(x,w,w,b,b); ts.append(time.perf_counter()-t)
    out.append(f"{cell}{T}x{B}x{H} {np.median(ts)*1e6:.1f}")
print(" | ".join(out))
