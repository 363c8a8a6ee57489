"""cpu_common.gemm at four shapes from the source tree TREE (argv[1]; a worktree with cpu_packed.KC edited and
src/gatecore/_native*.so copied in; give each tree its own NUMBA_CACHE_DIR), 2 threads, median GFLOP/s over 1 s.
Run in alternating processes: NUMBA_CACHE_DIR=/tmp/nbcN python benchmarks/probes/kc_ab.py /tmp/kcN"""
import sys, time
sys.path.insert(0, sys.argv[1] + "/src")
import numpy as np, numba
from gatecore import cpu_common as cc
assert cc.__file__.startswith(sys.argv[1])
numba.set_num_threads(2)
rng=np.random.default_rng(0)
out=[]
for M,K,N in ((8192,512,2048),(1024,256,1024),(256,256,1024),(1024,512,2048)):
    a=rng.standard_normal((M,K),dtype=np.float32); b=rng.standard_normal((K,N),dtype=np.float32)
    P=cc.pack(b); o=np.empty((M,N),np.float32); cc.gemm(a,P,N,out=o)
    ts=[]; t_end=time.perf_counter()+1.0
    while time.perf_counter()<t_end:
        t=time.perf_counter(); cc.gemm(a,P,N,out=o); ts.append(time.perf_counter()-t)
    ts.sort()
    out.append(f"{M}x{K}x{N} {2*M*K*N/ts[len(ts)//2]/1e9:.0f}")
print(" | ".join(out))
