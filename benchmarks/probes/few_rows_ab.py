"""matmul's few-rows case and T=16, B=1 (and T=1 B=16, T=16 B=2) forwards from the source tree TREE (argv[1], a
worktree with _native*.so copied in), median us; run two trees in alternating processes.
Run: python benchmarks/probes/few_rows_ab.py TREE"""
import sys, time, numpy as np
sys.path.insert(0, sys.argv[1] + "/src")
import gatecore as gc, numba
from gatecore import cpu_common as cc
assert gc.__file__.startswith(sys.argv[1]), gc.__file__
numba.set_num_threads(2)
rng=np.random.default_rng(0)
res=[]
def med(f, n):
    f(); f(); ts=[]
    for _ in range(n):
        t0=time.perf_counter(); f(); ts.append(time.perf_counter()-t0)
    return np.median(ts)*1e6
for M,K,N in ((16,64,256),(16,256,1024),(16,512,2048)):
    a=rng.standard_normal((M,K)).astype(np.float32); w=rng.standard_normal((N,K)).astype(np.float32); b=np.zeros(N,np.float32)
    res.append(("matmul %dx%dx%d"%(M,K,N), med(lambda: cc.matmul(a,w.T,b), 2000)))
for cell,T,B,H in (("lstm",16,1,64),("gru",16,1,64),("lstm",16,1,256),("gru",16,1,256),("lstm",16,1,512),("lstm",1,16,64),("lstm",16,2,64)):
    G=4 if cell=="lstm" else 3
    x=rng.standard_normal((T,B,H)).astype(np.float32); w=[rng.uniform(-.1,.1,(G*H,H)).astype(np.float32) for _ in range(2)]; b=[np.zeros(G*H,np.float32)]*2
    f=getattr(gc,cell+"_forward")
    res.append(("%s %d %d %d"%(cell,T,B,H), med(lambda: f(x,*w,*b), 300 if H>64 else 2000)))
print(" | ".join("%s %.2f"%r for r in res))
