"""gatecore.cpu_common.panels toggled in one process: a single sequence on W_hh's rows (dots) vs packed panels,
alternating, median, and the share of pairs packed won. Run: python panels_ab.py cell:T:B:H ..."""
import sys, numpy as np
from gatecore import cpu_common as cc
from probe_case import forward_call, once
orig = cc.panels
def packed(w, T, B):
    return orig(w, T, B) if T < 2 else cc.pack(np.ascontiguousarray(w).T)
for spec in sys.argv[1:]:
    F = forward_call(spec)[4]
    cc.panels = orig; y0 = F()[0]; cc.panels = packed; y1 = F()[0]
    n = max(10, min(100, int(1.0 / once(F))))
    t = {0: [], 1: []}
    for _ in range(n):
        for v, p in ((0, orig), (1, packed)):
            cc.panels = p; t[v].append(once(F))
    print(spec, n, "max diff %.1e  dots %.3f ms  packed %.3f ms  packed wins %.0f%%" % (np.abs(y0 - y1).max(),
          np.median(t[0]) * 1e3, np.median(t[1]) * 1e3, 100 * np.mean(np.array(t[1]) < np.array(t[0]))), flush=True)
