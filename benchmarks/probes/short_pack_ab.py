"""Single sequences shorter than config.CPU_PACKED_MIN_STEPS: the forward on W_hh's rows (cpu_common.packs as it
is) against packed panels (packs patched to pack from T >= 2 where W_hh is small enough for one thread), toggled
in one process, 40 alternating batches of 200 calls; median us and the share of pairs the panels won. Float32.
Run: python benchmarks/probes/short_pack_ab.py cell:T:B:H ..."""
import sys, time, numpy as np, gatecore as gc
from gatecore import cpu_common as cc, cpu_compiled, config
orig = cc.packs
def patched(w, T, B):
    return orig(w, T, B) or (T >= 2 and B == 1 and w.size < config.CPU_PARALLEL_MIN_WEIGHTS)
rng = np.random.default_rng(0)
for spec in sys.argv[1:]:
    cell, T, B, H = spec.split(":"); T, B, H = int(T), int(B), int(H)
    G = {"lstm": 4, "gru": 3}[cell]
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w = rng.standard_normal((G*H, H), dtype=np.float32)*.05
    b = np.zeros(G*H, np.float32)
    f = getattr(gc, cell + "_forward")
    res = {0: [], 1: []}
    for r in range(40):
        for mode in (0, 1):
            cc.packs = patched if mode else orig
            cpu_compiled._PLANS.clear()
            f(x, w, w, b, b)
            t0 = time.perf_counter()
            for _ in range(200): f(x, w, w, b, b)
            res[mode].append((time.perf_counter() - t0) / 200 * 1e6)
    a, p = np.array(res[0]), np.array(res[1])
    print(f"{spec}: rows median {np.median(a):.2f} us, panels {np.median(p):.2f} us, panels won {np.mean(p < a):.0%}")
