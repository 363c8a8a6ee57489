"""A cold compile's time by function: an LSTM float32 forward (with a tape) and its backward with an empty Numba
cache, each compile timed through Numba's "numba:compile" events. Times are inclusive (a callee's compile is inside
its caller's); a function compiled for several signatures shows its count.
Run: NUMBA_CACHE_DIR=<an empty folder> python benchmarks/probes/compile_times.py"""
import time, collections
from numba.core import event
records = []
class L(event.Listener):
    def __init__(self): self.t = {}
    def on_start(self, ev):
        self.t[id(ev.data)] = time.perf_counter()
    def on_end(self, ev):
        d = ev.data
        name = getattr(d.get('dispatcher'), '__qualname__', None) or str(d.get('dispatcher'))
        mod = getattr(getattr(d.get('dispatcher'), 'py_func', None), '__module__', '')
        records.append((ev.kind, f"{mod}.{name}", time.perf_counter() - self.t.pop(id(d), time.perf_counter())))
lis = L()
event.register("numba:compile", lis)
import numpy as np, gatecore as gc
t0 = time.perf_counter()
x = np.ones((3, 2, 5), np.float32)
w_ih, w_hh = np.full((16, 5), 0.1, np.float32), np.full((16, 4), 0.1, np.float32)
out = gc.lstm_forward(x, w_ih, w_hh, return_tape=True)
t1 = time.perf_counter()
gc.lstm_backward(out[-1], np.ones_like(out[0]))
t2 = time.perf_counter()
print(f"fwd {t1-t0:.1f} s, bwd {t2-t1:.1f} s")
# inclusive times: nested compiles are inside their callers
agg = collections.defaultdict(lambda: [0, 0.0])
for kind, name, dt in records:
    agg[name][0] += 1; agg[name][1] += dt
for name, (n, dt) in sorted(agg.items(), key=lambda kv: -kv[1][1])[:30]:
    print(f"{dt:7.2f} s  x{n:<3} {name}")
