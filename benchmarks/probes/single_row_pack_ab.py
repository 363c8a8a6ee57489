"""A single sequence's forward loop on one thread: W_hh packed (cpu_packed, blocks of 1 row) vs its rows as they
are (cpu_dots), LSTM and GRU at H = 64..256, 60 alternating calls on a fresh copy of the same
input projection, median. Run: python single_row_pack_ab.py T"""
import time, sys, numpy as np
from gatecore import cpu_common as cc
from gatecore import cpu_feed; import numpy; idle = cpu_feed.idle(numpy.dtype(numpy.float32))   # not fed
from gatecore.lstm import cpu as lc
from gatecore.gru import cpu as gcpu
T=int(sys.argv[1])
rng=np.random.default_rng(0)
def mk(cell,H):
    G={"lstm":4,"gru":3,"rnn":1}[cell]
    x=rng.standard_normal((T,1,H),dtype=np.float32)
    w=rng.standard_normal((G*H,H),dtype=np.float32)*.05
    b=np.zeros(G*H,np.float32)
    P=cc.pack(np.ascontiguousarray(w).T); N=cc.none(np.float32,3)
    lengths=cc.full_lengths(None,T,1)
    gates,x1,w1,b1=cc.step_inputs(x,w,b)
    if cell=="lstm":
        cp=np.empty((1,1,H),np.float32); cs=cp.copy(); hp=cp.copy(); y=np.zeros((T,1,H),np.float32)
        hbuf=np.zeros((2,1,H),np.float32); c=np.zeros((1,H),np.float32); whr=cc.none(np.float32,2)
        f=lambda PP: lc._forward_loop(gates.copy(),cp,cs,hp,y,hbuf,c,w,PP,whr,N,lengths,False,1,x1,w1,b1,idle)
    elif cell=="gru":
        hn=np.empty((1,1,H),np.float32); hp=hn.copy(); y=np.zeros((T,1,H),np.float32); hbuf=np.zeros((2,1,H),np.float32)
        bhn=np.zeros(H,np.float32)
        f=lambda PP: gcpu._forward_loop(gates.copy(),hn,hp,y,hbuf,w,PP,bhn,lengths,False,True,1,x1,w1,b1,idle)
    else:
        return None
    return f,P,N
for cell,H in [(c,h) for c in ("lstm","gru") for h in (64,96,128,160,256)]:
    r=mk(cell,H)
    if r is None: continue
    f,P,N=r
    f(P); f(N)
    tp=[];tn=[]
    for _ in range(60):
        t0=time.perf_counter(); f(P); tp.append(time.perf_counter()-t0)
        t0=time.perf_counter(); f(N); tn.append(time.perf_counter()-t0)
    tp=np.array(tp);tn=np.array(tn)
    print(f"{cell} H={H} T={T}: packed {np.median(tp)*1e6:8.1f} us  unpacked {np.median(tn)*1e6:8.1f} us  per step {np.median(tp)/T*1e6:.3f} vs {np.median(tn)/T*1e6:.3f}  packed wins {np.mean(tp<tn):.0%}")
