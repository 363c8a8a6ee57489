"""cpu_common.gemm from the source tree TREE (a worktree of another commit or an edited copy, src/gatecore/_native*.so
copied in; give each tree its own NUMBA_CACHE_DIR), 2 threads, median GFLOP/s over 1 s per shape; to compare trees
in alternating processes. Optional: config.CPU_ROW_BLOCK (default 64) and the shapes as MxKxN.
Run: NUMBA_CACHE_DIR=/tmp/nbcN python benchmarks/probes/gemm_tree_ab.py TREE [ROW_BLOCK [MxKxN ...]]
Session 20: KC edited in cpu_packed.py (64/128/256) with the default shapes; _slice_rows trying a block of 7 or 8
rows before its blocks of 6 (_blockX = _block(MR)) with ROW_BLOCK 63/64/70 and 8192x512x2048 1024x256x1024
1024x512x2048 64x512x2048."""
import sys, time
sys.path.insert(0, sys.argv[1] + "/src")
import numpy as np, numba
from gatecore import cpu_common as cc, config
assert cc.__file__.startswith(sys.argv[1])
if len(sys.argv) > 2:
    config.CPU_ROW_BLOCK = int(sys.argv[2])
shapes = [tuple(map(int, s.split("x"))) for s in sys.argv[3:]] or \
    [(8192, 512, 2048), (1024, 256, 1024), (256, 256, 1024), (1024, 512, 2048)]
numba.set_num_threads(2)
rng = np.random.default_rng(0)
out = []
for M, K, N in shapes:
    a = rng.standard_normal((M, K), dtype=np.float32); b = rng.standard_normal((K, N), dtype=np.float32)
    P = cc.pack(b); o = np.empty((M, N), np.float32); cc.gemm(a, P, N, out=o)
    ts = []; t_end = time.perf_counter() + 1.0
    while time.perf_counter() < t_end:
        t = time.perf_counter(); cc.gemm(a, P, N, out=o); ts.append(time.perf_counter() - t)
    ts.sort()
    out.append(f"{M}x{K}x{N} {2 * M * K * N / ts[len(ts) // 2] / 1e9:.0f}")
print(" | ".join(out))
