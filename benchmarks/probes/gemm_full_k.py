"""The threaded GEMM's tasks over all of k vs in 256-k passes (config.CPU_GEMM_FULL_K_MAX_BYTES), toggled
in one process, alternating, median. Run: python benchmarks/probes/gemm_full_k.py cell:f|fb:T:B:H ..."""
import sys, time, numpy as np
import gatecore as gc
from gatecore import config
def once(f):
    t0 = time.perf_counter(); f(); return time.perf_counter() - t0
rng = np.random.default_rng(0)
for spec in sys.argv[1:]:
    cell, mode, T, B, H = spec.split(":"); T, B, H = int(T), int(B), int(H)
    G = {"lstm": 4, "gru": 3}[cell]
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w_ih = rng.standard_normal((G*H, H), dtype=np.float32) * 0.05; w_hh = w_ih.copy(); bb = np.zeros(G*H, np.float32)
    fwd = getattr(gc, f"{cell}_forward"); bwd = getattr(gc, f"{cell}_backward")
    y = fwd(x, w_ih, w_hh, bb, bb)[0]; dy = np.ones_like(y)
    F = (lambda: fwd(x, w_ih, w_hh, bb, bb)) if mode == "f" else (lambda: bwd(fwd(x, w_ih, w_hh, bb, bb, return_tape=True)[-1], dy))
    modes = (("fullk", 1 << 22), ("blocks", 0))
    for _, v in modes:
        config.CPU_GEMM_FULL_K_MAX_BYTES = v; F()
    n = max(6, min(30, int(4 / once(F))))
    t = {m: [] for m, _ in modes}
    for _ in range(n):
        for m, v in modes:
            config.CPU_GEMM_FULL_K_MAX_BYTES = v; t[m].append(once(F))
    med = {m: np.median(v) * 1e3 for m, v in t.items()}
    wins = np.mean(np.array(t["fullk"]) < np.array(t["blocks"]))
    print(f"{spec}: n={n} fullk {med['fullk']:.2f} blocks {med['blocks']:.2f} ms ({med['blocks']/med['fullk']:.2f}x), fullk won {wins:.0%}", flush=True)
