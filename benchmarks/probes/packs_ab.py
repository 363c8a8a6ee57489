"""config.CPU_PACKED_MIN_WEIGHT_BYTES toggled in one process: a single sequence's forward loop on W_hh's rows
(cpu_dots; the knob at 2^62, the rule before session 32) vs on packed panels from BYTES bytes of W_hh up (from
config.CPU_PACKED_MIN_STEPS steps), alternating, min and median ms, the share of pairs the panels won. float32,
or float64 with a fifth field "f64". (Session 32's first runs patched cpu_common.packs to the same effect, with
any T >= 2 allowed: probes_session32.txt.) Run: python packs_ab.py BYTES cell:T:B:H[:f64] ..."""
import sys
import numpy as np
import gatecore as gc
from gatecore import config
from probe_case import forward_call, once

given = int(sys.argv[1])


def use(limit):
    config.CPU_PACKED_MIN_WEIGHT_BYTES = limit          # (a new config.version: the plans are made again)


for spec in sys.argv[2:]:
    cell, T, B, H, *f64 = spec.split(":")
    if f64:
        T, B, H = int(T), int(B), int(H)
        G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
        rng = np.random.default_rng(0)
        x, w = rng.standard_normal((T, B, H)), rng.standard_normal((G * H, H)) * 0.05
        bias = np.zeros(G * H)
        F = (lambda f: lambda: f(x, w, w, bias, bias))(getattr(gc, f"{cell}_forward"))
    else:
        F = forward_call(spec)[4]
    use(1 << 62); y0 = F()[0]; use(given); y1 = F()[0]
    n = max(10, min(100, int(1.0 / once(F))))
    t = {0: [], 1: []}
    for _ in range(n):
        for v, limit in ((0, 1 << 62), (1, given)):
            use(limit); F(); t[v].append(once(F))
    a, b = np.array(t[0]), np.array(t[1])
    print(f"{spec} n={n} max diff {np.abs(y0 - y1).max():.1e}  rows min {a.min()*1e3:.3f} med {np.median(a)*1e3:.3f} ms"
          f"  packed min {b.min()*1e3:.3f} med {np.median(b)*1e3:.3f} ms  packed wins {100*np.mean(b < a):.0f}%",
          flush=True)
