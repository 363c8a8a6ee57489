"""The LSTM forward time loop alone (gates precomputed), with the split forced: T B H [splits], splits comma-separated
(2 = units over 2 threads, -2 = batch rows, 1 = serial; default: the chosen one, -2, 1), median of 7 calls; then the
same from a Python thread. Run: python benchmarks/probes/loop_split.py 512 1 64 2,-2,1,2,-2,1"""
import time, numpy as np, numba, sys
from gatecore import cpu_common as cc
from gatecore import cpu_feed; import numpy; idle = cpu_feed.idle(numpy.dtype(numpy.float32))   # not fed
from gatecore.lstm import cpu as lc
T,B,H=map(int,sys.argv[1:4]); R=H
rng=np.random.default_rng(0)
x=rng.standard_normal((T,B,H),dtype=np.float32); w=rng.standard_normal((4*H,H),dtype=np.float32)*.05; b=np.zeros(4*H,np.float32)
gates0,x1,w1,bias1=cc.step_inputs(x,w,b)
lengths=cc.full_lengths(None,T,B)
cp=np.empty((1,B,H),np.float32); cs=cp.copy(); hp=cp.copy(); y=np.zeros((T,B,H),np.float32)
hbuf=np.zeros((2,B,H),np.float32); c=np.zeros((B,H),np.float32); w_hr=np.zeros((0,H),np.float32)
P_hh=cc.panels(w,T,B); P_hr=np.zeros((0,0,0),np.float32)
split=cc.step_split(B,4,H,R,panel=cc.panel_units(P_hh),itemsize=4)
print("split",split)
def tm(f,n=7):
    ts=[]
    for _ in range(n):
        g=gates0.copy(); t=time.perf_counter(); f(g); ts.append(time.perf_counter()-t)
    return np.median(ts)*1e3
for s in ([int(a) for a in sys.argv[4].split(",")] if len(sys.argv) > 4 else (split, -2, 1)):
    print(s, "loop %.2f ms"%tm(lambda g: lc._forward_loop(g,cp,cs,hp,y,hbuf,c,w,P_hh,w_hr,P_hr,lengths,False,s,x1,w1,bias1,idle)))
import threading
def in_thread(s):
    r={}
    def run(): r['t']=tm(lambda g: lc._forward_loop(g,cp,cs,hp,y,hbuf,c,w,P_hh,w_hr,P_hr,lengths,False,s,x1,w1,bias1,idle))
    th=threading.Thread(target=run); th.start(); th.join(); return r['t']
for s in (1,-2,1,-2):
    print("python thread", s, "loop %.2f ms"%in_thread(s))
