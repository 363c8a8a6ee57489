"""What a fresh large array costs inside a Numba kernel (no huge pages) vs after a touch: np.zeros and
np.empty + one write per 4 kB page, 8-64 MB, min of 10. Run: python benchmarks/probes/alloc_pages.py"""
import time, numpy as np, numba
@numba.njit
def z(n):
    a = np.zeros(n, np.float32)
    return a[0]
@numba.njit
def e(n):
    a = np.empty(n, np.float32)
    a[::1024] = 1          # touch every page
    return a[0]
for mb in (8, 16, 31, 33, 64):
    n = mb * 1024 * 1024 // 4
    z(n); e(n)
    for f, name in ((z, "zeros"), (e, "empty+touch")):
        ts = []
        for _ in range(10):
            t0 = time.perf_counter(); f(n); ts.append(time.perf_counter() - t0)
        print(f"{mb} MB {name}: {min(ts)*1e3:.2f} ms", flush=True)
for mb in (16, 33, 64):
    n = mb * 1024 * 1024 // 4
    ts = []
    for _ in range(5):
        t0 = time.perf_counter(); a = np.zeros(n, np.float32); a[::1024] = 1; ts.append(time.perf_counter() - t0); del a
    print(f"{mb} MB NumPy np.zeros + touch (NumPy madvises huge pages): {min(ts)*1e3:.2f} ms", flush=True)
