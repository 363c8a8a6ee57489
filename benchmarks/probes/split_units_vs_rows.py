"""A forward loop split by hidden units vs by batch rows (config.CPU_ROW_SPLIT_MAX_WEIGHT_BYTES), toggled in
one process, alternating, median and the share of pairs units won. Run:
python benchmarks/probes/split_units_vs_rows.py cell:T:B:H ..."""
import sys, time, numpy as np
import gatecore as gc
from gatecore import config
def once(f):
    t0 = time.perf_counter(); f(); return time.perf_counter() - t0
rng = np.random.default_rng(0)
for spec in sys.argv[1:]:
    cell, T, B, H = spec.split(":"); T, B, H = int(T), int(B), int(H)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w_ih = rng.standard_normal((G*H, H), dtype=np.float32) * 0.05
    w_hh = rng.standard_normal((G*H, H), dtype=np.float32) * 0.05
    bb = np.zeros(G*H, np.float32)
    fwd = getattr(gc, f"{cell}_forward")
    F = lambda: fwd(x, w_ih, w_hh, bb, bb)
    modes = (("units", 1 << 21), ("rows", 1 << 60))
    for _, v in modes:
        config.CPU_ROW_SPLIT_MAX_WEIGHT_BYTES = v; F(); F()
    n = max(10, min(60, int(1.5 / once(F))))
    t = {m: [] for m, _ in modes}
    for _ in range(n):
        for m, v in modes:
            config.CPU_ROW_SPLIT_MAX_WEIGHT_BYTES = v; t[m].append(once(F))
    med = {m: np.median(v) * 1e3 for m, v in t.items()}; mn = {m: np.min(v) * 1e3 for m, v in t.items()}
    wins = np.mean(np.array(t["units"]) < np.array(t["rows"]))
    print(f"{spec}: n={n} median units {med['units']:.3f} rows {med['rows']:.3f} ({med['rows']/med['units']:.2f}x); "
          f"min {mn['units']:.3f} {mn['rows']:.3f}; units faster in {wins:.0%} of pairs", flush=True)
