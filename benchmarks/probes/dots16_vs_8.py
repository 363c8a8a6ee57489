"""cpu_dots single-row blocks, 8 x 1 against 16 x 1 on W [4H, H] . h, alternating in one process, median us per
matvec and the share of rounds 16 x 1 won (same bits asserted).
Run: NUMBA_NUM_THREADS=1 python benchmarks/probes/dots16_vs_8.py"""
import time, numpy as np, numba
from gatecore import cpu_dots as cd
_dots16x1, _dots8x1 = cd._dots(16, 1), cd._dots(8, 1)
@numba.njit
def r8(out,w,v,n):
    K=w.shape[1]; N=w.shape[0]
    for _ in range(n):
        for i in range(0,N,8): _dots8x1(out,w,v,i,0,K)
@numba.njit
def r16(out,w,v,n):
    K=w.shape[1]; N=w.shape[0]
    for _ in range(n):
        for i in range(0,N,16): _dots16x1(out,w,v,i,0,K)
for dt in (np.float32,np.float64):
  for H in (32,64,128,256,512):
    w=np.random.rand(4*H,H).astype(dt); v=np.random.rand(1,H).astype(dt); o1=np.zeros((1,4*H),dt); o2=o1.copy()
    r8(o1,w,v,1); r16(o2,w,v,1); assert np.array_equal(o1,o2)
    n=max(10,200000//H//4)
    t={8:[],16:[]}
    for _ in range(15):
        for k,f in ((8,r8),(16,r16)):
            t0=time.perf_counter(); f(o1,w,v,n); t[k].append((time.perf_counter()-t0)/n*1e6)
    wins = np.mean(np.array(t[16]) < np.array(t[8]))
    print(dt.__name__, H, f"8x1 {np.median(t[8]):.2f} us  16x1 {np.median(t[16]):.2f} us  wins {wins:.0%}")
