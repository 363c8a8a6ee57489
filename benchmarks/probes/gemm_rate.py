"""The machine's float32 GEMM rate on 2 threads: gatecore's cpu_common.gemm (packed B) against NumPy's matmul,
two shapes (the input projection of B=64, H=512 at T=128 and T=32), three alternating blocks of 10 calls.
Run: python benchmarks/probes/gemm_rate.py"""
import time, numpy as np
from gatecore import cpu_common as cc
rng=np.random.default_rng(0)
for M,K,N in ((8192,512,2048),(2048,512,2048)):
    a=rng.standard_normal((M,K),dtype=np.float32); b=rng.standard_normal((K,N),dtype=np.float32)
    P=cc.pack(b); cc.gemm(a,P,N); a@b
    for rep in range(3):
        for name,f in (("gatecore gemm",lambda: cc.gemm(a,P,N)),("numpy matmul",lambda: a@b)):
            ts=[]
            for _ in range(10):
                t=time.perf_counter(); f(); ts.append(time.perf_counter()-t)
            print(f"{M}x{K}x{N} {name}: {2*M*K*N/min(ts)/1e9:.0f} GFLOP/s (best of 10), median {2*M*K*N/sorted(ts)[5]/1e9:.0f}")
