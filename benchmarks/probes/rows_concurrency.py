"""The LSTM forward loop at H = 64 (no tape): B=16 cut into two blocks of 8 rows over Numba's threads, against
B=8 on one thread, B=16 on one thread, and two B=8 loops on one thread each run at once from two Python threads
(what two busy cores cost each other on this VM). Median us a step. Run: python rows_concurrency.py T"""
import time, numpy as np, numba, sys, threading
from gatecore.lstm import cpu as lc
from gatecore import cpu_feed; import numpy; idle = cpu_feed.idle(numpy.dtype(numpy.float32))   # not fed
from gatecore import cpu_common as cc
T=int(sys.argv[1]); H=64
rng=np.random.default_rng(0)
def setup(B):
    x=rng.standard_normal((T,B,H),dtype=np.float32)
    w=rng.standard_normal((4*H,H),dtype=np.float32)*.05
    gates,x1,w1,b1=cc.step_inputs(x,w,None)
    cp=cc.aligned((1,B,H),np.float32); cs=cc.aligned((1,B,H),np.float32); hp=cc.aligned((1,B,H),np.float32); y=cc.aligned((T,B,H),np.float32,True)
    hbuf=cc.aligned((2,B,H),np.float32,True); c=cc.aligned((B,H),np.float32,True)
    P=cc.panels(w,T,B); N=cc.none(np.float32,3); whr=cc.none(np.float32,2); L=cc.full_lengths(None,T,B)
    return lambda split: lc._forward_loop(gates,cp,cs,hp,y,hbuf,c,w,P,whr,N,L,False,split,x1,w1,b1,idle)
f16=setup(16); f8a=setup(8); f8b=setup(8)
def two_threads():
    t=threading.Thread(target=f8b,args=(1,)); t.start(); f8a(1); t.join()
fs={"B16 split rows":lambda: f16(-2),"B8 serial":lambda: f8a(1),"B16 serial":lambda: f16(1),"2 py threads x B8 serial":two_threads}
for f in fs.values(): f(); f()
res={k:[] for k in fs}
for _ in range(10):
    for k,f in fs.items():
        ts=[]
        for _ in range(20):
            t0=time.perf_counter(); f(); ts.append(time.perf_counter()-t0)
        res[k].append(np.median(ts))
for k,v in res.items(): print(f"{k:26s} {np.median(v)*1e6/T:6.2f} us/step (min {min(v)*1e6/T:6.2f})")
print(numba.threading_layer())
