"""db's column sums: NumPy's a.sum(axis=0) against cpu_common's serial and threaded kernels (chunks of SUM_ROWS
rows), best of 7 x 20 calls, us; and each one's largest error against the float64 sum.
Run: python benchmarks/probes/column_sums.py"""
import timeit, numpy as np
from gatecore import cpu_common as cc
rng = np.random.default_rng(0)
for K, M in ((32768, 256), (8192, 256), (2048, 1024), (512, 256), (64, 256), (16, 2048), (2048, 192), (7, 5)):
    a = rng.standard_normal((K, M), dtype=np.float32)
    o = np.empty(M, np.float32)
    cc._column_sums_serial(o, a); cc._column_sums_parallel(o, a)
    t = lambda f: min(timeit.repeat(f, number=20, repeat=7)) / 20 * 1e6
    exact = a.astype(np.float64).sum(0)
    print(K, M, "numpy %.1f us  serial %.1f  threaded %.1f  column_sums %.1f   err %.1e (numpy %.1e)" % (
        t(lambda: a.sum(axis=0)), t(lambda: cc._column_sums_serial(o, a)), t(lambda: cc._column_sums_parallel(o, a)),
        t(lambda: cc.column_sums(a)), np.abs(cc.column_sums(a) - exact).max(), np.abs(a.sum(0) - exact).max()))
