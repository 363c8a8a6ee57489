"""The threaded GEMM's rows per task (cpu_common._gemm_parallel) at CPU_ROW_BLOCK = 64 against a rule (`rule`
below: a whole number of tasks on every thread below four a thread, four a thread when out is two panels or
narrower and k is cut in blocks), on GEMM shapes of the weight gradients and small-M projections; median GF/s of 9,
the same bits asserted. Not landed: the whole calls did not show it (probes_session16.txt).
Run: python benchmarks/probes/task_rows.py"""
import time, numpy as np, sys
from gatecore import config, cpu_common as cc
rng=np.random.default_rng(0)
def rule(M, N, blocked, threads=2, rows=64):
    tasks = -(-M // rows)
    if N <= 128 and blocked:
        tasks = max(tasks, 4 * threads)
    if tasks < 4 * threads:
        tasks = -(-tasks // threads) * threads
    return -(-M // tasks)
for M,K,N in ((192,32768,64),(256,32768,64),(192,8192,64),(256,8192,256),(384,8192,64),(256,512,1024),(256,2048,2048),(128,32768,128),(448,4096,512),(256,32768,256),(320,8192,512),(576,2048,1024)):
    buf=rng.standard_normal((M,K),dtype=np.float32); x=rng.standard_normal((K,N),dtype=np.float32); P=cc.pack(x)
    kb=cc.k_block(P); ref=cc.gemm(buf,P,N)
    res=[]
    for rb in (64, rule(M, N, kb < K)):
        out=np.empty((M,N),np.float32)
        cc._gemm_parallel(out,P,buf,cc.none(np.float32,1),rb,kb,False); assert np.array_equal(out,ref)
        ts=[]
        for _ in range(9):
            t=time.perf_counter(); cc._gemm_parallel(out,P,buf,cc.none(np.float32,1),rb,kb,False); ts.append(time.perf_counter()-t)
        res.append("rows %d: %.0f GF/s"%(rb, 2*M*K*N/np.median(ts)/1e9))
    print(M,K,N,"kblock",kb," | ".join(res), flush=True)
