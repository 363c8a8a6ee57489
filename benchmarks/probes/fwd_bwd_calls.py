"""Median ms of a few forward+backward calls (float32, I = H, dy = 1), one line per run: run it at two commits in
turn to compare them. Run: python benchmarks/probes/fwd_bwd_calls.py [cell:T:B:H ...]"""
import time, numpy as np, sys, gatecore as gc
rng=np.random.default_rng(0)
out=[]
shapes=[("lstm",128,16,512),("lstm",128,64,256),("lstm",128,16,256),("gru",128,16,512),("lstm",512,16,256)]
if len(sys.argv)>1: shapes=[(c,int(T),int(B),int(H)) for c,T,B,H in (a.split(":") for a in sys.argv[1:])]
for cell,T,B,H in shapes:
    G={"lstm":4,"gru":3}[cell]
    x=rng.standard_normal((T,B,H),dtype=np.float32); w=rng.standard_normal((G*H,H),dtype=np.float32)*.05; b=np.zeros(G*H,np.float32)
    f=getattr(gc,f"{cell}_forward"); bw=getattr(gc,f"{cell}_backward")
    dy=np.ones((T,B,H),np.float32)
    F=lambda: bw(f(x,w,w,b,b,return_tape=True)[-1],dy)
    F(); ts=[]
    for _ in range(7):
        t=time.perf_counter(); F(); ts.append(time.perf_counter()-t)
    out.append(f"{cell}{T}x{B}x{H} {np.median(ts)*1e3:.1f}")
print(" | ".join(out), flush=True)
