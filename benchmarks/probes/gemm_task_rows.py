"""cpu_common._gemm_parallel's rows per task (config.CPU_ROW_BLOCK = 64) against 96, 128, 192, 256 and half of M,
2 threads, median GFLOP/s of 11 calls, median of 3 rounds. Run: python gemm_task_rows.py"""
import time, numpy as np, sys
from gatecore import cpu_common as cc, config
rng=np.random.default_rng(0)
def rate(f, fl):
    f(); ts=[]
    for _ in range(11):
        t=time.perf_counter(); f(); ts.append(time.perf_counter()-t)
    return fl/np.median(ts)/1e9
shapes=[(256,512,2048),(1024,256,1024),(1024,512,2048),(2048,512,2048),(8192,512,2048),(8192,256,1024),(8192,64,256),(2048,64,256),(32768,64,256),(1024,64,256),(4096,256,1024)]
rowsl=(64,96,128,192,256,"half")
print("MxKxN " + " ".join(f"{r:>6}" for r in rowsl))
for M,K,N in shapes:
    a=rng.standard_normal((M,K),dtype=np.float32); b=rng.standard_normal((K,N),dtype=np.float32)
    P=cc.pack(b); out=np.empty((M,N),np.float32); fl=2*M*K*N
    kb=cc.k_block(P)
    res={r:[] for r in rowsl}
    for rep in range(3):
        for r in rowsl:
            rr = (M+1)//2 if r=="half" else r
            res[r].append(rate(lambda: cc._gemm_parallel(out,P,a,cc.none(np.float32,1),rr,kb,False), fl))
    print(f"{M}x{K}x{N} " + " ".join(f"{np.median(res[r]):6.0f}" for r in rowsl), flush=True)
