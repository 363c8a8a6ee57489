"""Any config knob A/B: the values of one gatecore.config attribute toggled in one process, alternating, median per
value and the share of pairs each beat the first value. Run:
python benchmarks/probes/config_ab.py ATTR v0,v1,... cell:f|fb:T:B:H ...   (float32, I = H)
e.g. python benchmarks/probes/config_ab.py CPU_CHUNK_MIN_BYTES 1152921504606846976,16777216 lstm:f:512:64:64
With BLOCK=n in the environment each value runs n calls in a row (times: each block's median) instead of one:
a value whose calls use both threads then follows itself, as in a loop of calls (after one call of another
value Numba's worker may have gone to sleep, and its first region waits for it to wake)."""
import os, sys, time, numpy as np
import gatecore as gc
from gatecore import config
def once(f):
    t0 = time.perf_counter(); f(); return time.perf_counter() - t0
rng = np.random.default_rng(0)
attr = sys.argv[1]; vals = [int(v) for v in sys.argv[2].split(",")]
for spec in sys.argv[3:]:
    cell, mode, T, B, H = spec.split(":"); T, B, H = int(T), int(B), int(H)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w_ih = rng.standard_normal((G*H, H), dtype=np.float32) * 0.05; w_hh = w_ih.copy(); bb = np.zeros(G*H, np.float32)
    fwd = getattr(gc, f"{cell}_forward"); bwd = getattr(gc, f"{cell}_backward")
    y = fwd(x, w_ih, w_hh, bb, bb)[0]; dy = np.ones_like(y)
    F = (lambda: fwd(x, w_ih, w_hh, bb, bb)) if mode == "f" else (lambda: bwd(fwd(x, w_ih, w_hh, bb, bb, return_tape=True)[-1], dy))
    for v in vals:
        setattr(config, attr, v); F(); F()
    block = int(os.environ.get("BLOCK", 1))
    n = max(10, min(200, int(1.0 / once(F) / block)))
    t = {v: [] for v in vals}
    for _ in range(n):
        for v in vals:
            setattr(config, attr, v); t[v].append(np.median([once(F) for _ in range(block)]))
    base = np.array(t[vals[0]])
    print(spec, f"n={n}", " ".join(f"{v}: {np.median(t[v])*1e3:.3f}ms (wins {np.mean(np.array(t[v]) < base):.0%})" for v in vals), flush=True)
