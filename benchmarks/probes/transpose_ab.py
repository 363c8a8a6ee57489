"""cpu_common's dA transpose for the weight gradients alone, on one thread vs Numba's threads, interleaved, median of
30, for K x M = rows x columns of dA. Run: python benchmarks/probes/transpose_ab.py"""
import time, numpy as np
from gatecore import cpu_common as cc
rng=np.random.default_rng(0)
for K,M in ((2048,1024),(1024,256),(8192,1024),(2048,2048),(256,1024)):
    a=rng.standard_normal((K,M),dtype=np.float32); buf=np.empty((M,K),np.float32)
    fs={"ser":lambda: cc._transpose_serial(buf,a,0,K),"par":lambda: cc._transpose_parallel(buf,a,0,K)}
    for f in fs.values(): f()
    r={k:[] for k in fs}
    for _ in range(30):
        for k,f in fs.items():
            t=time.perf_counter(); f(); r[k].append(time.perf_counter()-t)
    print(K,M,K*M, " ".join(f"{k} {np.median(v)*1e6:.0f} us" for k,v in r.items()))
