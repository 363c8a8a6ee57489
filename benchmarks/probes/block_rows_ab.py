"""cpu_common.gemm from the source tree TREE (argv[1]: a worktree whose cpu_packed._slice_rows tries a block of MR
rows before its blocks of 6, _blockX = _block(MR); its own NUMBA_CACHE_DIR) with config.CPU_ROW_BLOCK = argv[2], 2
threads, median GFLOP/s over 1 s. Run: NUMBA_CACHE_DIR=/tmp/nbcN python benchmarks/probes/block_rows_ab.py TREE 64"""
import sys, time
sys.path.insert(0, sys.argv[1] + "/src")
import numpy as np, numba
from gatecore import cpu_common as cc, config
config.CPU_ROW_BLOCK = int(sys.argv[2])
assert cc.__file__.startswith(sys.argv[1])
numba.set_num_threads(2)
rng=np.random.default_rng(0)
out=[]
for M,K,N in ((8192,512,2048),(1024,256,1024),(1024,512,2048),(64,512,2048)):
    a=rng.standard_normal((M,K),dtype=np.float32); b=rng.standard_normal((K,N),dtype=np.float32)
    P=cc.pack(b); o=np.empty((M,N),np.float32); cc.gemm(a,P,N,out=o)
    ts=[]; t_end=time.perf_counter()+1.0
    while time.perf_counter()<t_end:
        t=time.perf_counter(); cc.gemm(a,P,N,out=o); ts.append(time.perf_counter()-t)
    ts.sort()
    out.append(f"{M}x{K}x{N} {2*M*K*N/ts[len(ts)//2]/1e9:.0f}")
print(" | ".join(out))
