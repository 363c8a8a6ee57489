"""A fresh 32 MB float32 array written once, from Python: an mmap with MADV_HUGEPAGE, NumPy's np.empty, np.zeros left
untouched (calloc: no pages yet), and a fill of an array already touched; 3 rounds of median / min of 15, ms.
Run: python benchmarks/probes/first_touch.py"""
import mmap, time, numpy as np
n = 32 << 20
def huge():
    m = mmap.mmap(-1, n, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS); m.madvise(mmap.MADV_HUGEPAGE)
    a = np.frombuffer(m, np.float32); a.fill(1); return a
def plain():
    a = np.empty(n // 4, np.float32); a.fill(1); return a
def zeros_untouched():
    return np.zeros(n // 4, np.float32)
keep = np.zeros(n // 4, np.float32); keep.fill(0)
def fill():
    keep.fill(1)
for rep in range(3):
    for name, f in (("mmap + MADV_HUGEPAGE, fill", huge), ("np.empty, fill", plain),
                    ("np.zeros untouched", zeros_untouched), ("fill of a touched array", fill)):
        ts = []
        for _ in range(15):
            t = time.perf_counter(); r = f(); ts.append(time.perf_counter() - t); del r
        ts.sort(); print(f"{name}: {ts[7] * 1e3:.2f} ms median, {ts[0] * 1e3:.2f} min", flush=True)
