"""cpu_common.pack on one thread vs shared out over Numba's threads (config.CPU_PACK_PARALLEL_MIN_BYTES huge vs 0),
alternating in one process, median us of 201, for W^T (the transposing copy) and x (the plain copy), float32.
Run: python benchmarks/probes/pack_ab.py"""
import time, numpy as np
from gatecore import config, cpu_common as cc
rng = np.random.default_rng(0)
for rows, cols in ((256, 64), (1024, 64), (2048, 64), (1024, 256), (2048, 512), (4096, 512)):
    w = rng.standard_normal((rows, cols), dtype=np.float32)
    for name, m in (("W.T", w.T), ("x", w)):
        t = {0: [], 1: []}
        for v in (1 << 62, 0):
            config.CPU_PACK_PARALLEL_MIN_BYTES = v; cc.pack(m)
        for _ in range(201):
            for key, v in ((0, 1 << 62), (1, 0)):
                config.CPU_PACK_PARALLEL_MIN_BYTES = v
                t0 = time.perf_counter(); cc.pack(m); t[key].append(time.perf_counter() - t0)
        assert np.array_equal(cc.pack(m), (config.__setattr__("CPU_PACK_PARALLEL_MIN_BYTES", 1 << 62), cc.pack(m))[1])
        print(f"{name} {m.shape[0]}x{m.shape[1]} ({m.nbytes >> 10} kB): one thread {np.median(t[0])*1e6:.1f} us, "
              f"shared {np.median(t[1])*1e6:.1f} us", flush=True)
