"""Ten forward points, median ms. Run once plainly and once with glibc told to keep freed memory
(MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=2147483648 MALLOC_TOP_PAD_=268435456): if fresh pages
cost a call anything, the second is faster. Run: python benchmarks/probes/malloc_keep.py"""
import sys, time, statistics, numpy as np, gatecore as gc, numba
numba.set_num_threads(2)
pts = [("lstm",16,1,64),("lstm",16,16,256),("lstm",16,64,256),("lstm",128,16,256),("lstm",16,16,512),("lstm",16,64,512),("gru",16,16,256),("gru",128,16,256),("lstm",512,1,64),("lstm",128,64,512)]
rng = np.random.default_rng(0)
out = []
for cell,T,B,H in pts:
    G = 4 if cell=="lstm" else 3
    x = rng.standard_normal((T,B,H)).astype(np.float32)
    w = [rng.uniform(-.1,.1,(G*H,H)).astype(np.float32) for _ in range(2)]
    b = [rng.uniform(-.1,.1,G*H).astype(np.float32) for _ in range(2)]
    f = getattr(gc, cell+"_forward")
    f(x,*w,*b)
    n = max(3, int(0.3 / max(1e-5, (lambda t0: (f(x,*w,*b), time.perf_counter()-t0)[1])(time.perf_counter()))))
    ts=[]
    for _ in range(n):
        t0=time.perf_counter(); f(x,*w,*b); ts.append(time.perf_counter()-t0)
    out.append(f"{cell} {T} {B} {H}: {statistics.median(ts)*1e3:.3f} ms (n={n})")
print("\n".join(out))
