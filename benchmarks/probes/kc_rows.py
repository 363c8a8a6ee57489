"""GEMM rates with cpu_packed.KC and STRIDED_ROWS set before compiling (a fresh NUMBA_CACHE_DIR per value: they are
compile-time constants): weight gradient, dx, projection at T=128 B=16 H=256. Run, per value pair:
NUMBA_CACHE_DIR=/tmp/nbc_KC_ROWS python kc_rows.py KC ROWS"""
import sys, time, numpy as np
import gatecore.cpu_packed as cp
cp.KC = int(sys.argv[1]); cp.STRIDED_ROWS = int(sys.argv[2])
from gatecore import cpu_common as cc
rng=np.random.default_rng(0)
T,B,H=128,16,256
da=rng.standard_normal((T,B,4*H),dtype=np.float32); xs=rng.standard_normal((T,B,H),dtype=np.float32)
w=rng.standard_normal((4*H,H),dtype=np.float32)
fs={"dW": lambda: cc.weight_grads(da, xs), "dx": lambda: cc.matmul(da.reshape(T*B,4*H), w),
    "proj": lambda: cc.matmul(xs.reshape(T*B,H), w.T)}
for f in fs.values(): f()
res={k:[] for k in fs}
for _ in range(9):
    for k,f in fs.items():
        t=time.perf_counter(); f(); res[k].append(time.perf_counter()-t)
print("KC",cp.KC,"ROWS",cp.STRIDED_ROWS, " ".join(f"{k} {np.median(v)*1e3:.2f} ms ({2*T*B*4*H*H/np.median(v)/1e9:.0f} GF/s)" for k,v in res.items()))
