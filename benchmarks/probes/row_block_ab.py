"""cpu_common.gemm with config.CPU_ROW_BLOCK 64, 32, 48, 96 in turn (4 rounds, one process), 2 threads, median
GFLOP/s per 0.4 s window. Run: python benchmarks/probes/row_block_ab.py"""
import time, numpy as np, numba
from gatecore import cpu_common as cc, config
numba.set_num_threads(2)
rng=np.random.default_rng(0)
shapes=((8192,512,2048),(1024,256,1024),(1024,512,2048))
data=[]
for M,K,N in shapes:
    a=rng.standard_normal((M,K),dtype=np.float32); b=rng.standard_normal((K,N),dtype=np.float32)
    data.append((a,cc.pack(b),N,np.empty((M,N),np.float32)))
res={}
for rep in range(4):
    for rb in (64,32,48,96):
        config.CPU_ROW_BLOCK=rb
        for (a,P,N,o),(M,K,_) in zip(data,shapes):
            cc.gemm(a,P,N,out=o); ts=[]; t_end=time.perf_counter()+0.4
            while time.perf_counter()<t_end:
                t=time.perf_counter(); cc.gemm(a,P,N,out=o); ts.append(time.perf_counter()-t)
            ts.sort(); res.setdefault((rb,M,K,N),[]).append(2*M*K*N/ts[len(ts)//2]/1e9)
for k,v in sorted(res.items()): print(k, " ".join("%.0f"%x for x in v), "median %.0f"%np.median(v))
