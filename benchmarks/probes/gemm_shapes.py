"""gemm on a pre-packed m vs matmul (packs per call), interleaved, median of 15. Run: python gemm_shapes.py MxKxN ..."""
import time, numpy as np, sys
from gatecore import cpu_common as cc
rng=np.random.default_rng(0)
shapes=[tuple(map(int,s.split('x'))) for s in sys.argv[1:]]
cases=[]
for M,K,N in shapes:
    a=rng.standard_normal((M,K),dtype=np.float32); w=rng.standard_normal((N,K),dtype=np.float32); b=np.zeros(N,np.float32)
    P=cc.pack(np.ascontiguousarray(w.T))
    cases.append((M,K,N,(lambda a=a,P=P,N=N,b=b: cc.gemm(a,P,N,b)),(lambda a=a,w=w,b=b: cc.matmul(a,w.T,b))))
res={}
for _ in range(15):
    for M,K,N,g,m in cases:
        for name,f in (('gemm',g),('matmul',m)):
            f(); t=time.perf_counter(); f(); res.setdefault((M,K,N,name),[]).append(time.perf_counter()-t)
for (M,K,N,name),ts in res.items():
    t=np.median(ts); print(M,K,N,name,"%.3f ms %.0f GF/s"%(t*1e3,2*M*K*N/t/1e9))
