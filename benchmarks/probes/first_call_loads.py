"""Where a warm first call's time goes: benchmarks/first_call.py's calls (every cell, both dtypes, forward and
backward on the cpu backend) with each load from Numba's cache timed (numba.core.caching.Cache.load_overload).
Run with a warm cache, e.g. NUMBA_CACHE_DIR=<cache one first_call child filled> python
benchmarks/probes/first_call_loads.py. Numba is imported before the clock starts, so "imports" is numpy and
gatecore alone. Prints: imports s, calls s, the loads' sum; then each load, ms, in call order."""
import time

import numba.core.caching as caching

_load = caching.Cache.load_overload
loads = []


def timed(self, sig, target_context):
    t = time.perf_counter()
    out = _load(self, sig, target_context)
    fn = self._py_func
    loads.append((time.perf_counter() - t, f"{fn.__module__}.{fn.__qualname__}"))
    return out


caching.Cache.load_overload = timed
t0 = time.perf_counter()
import numpy as np  # noqa: E402
import gatecore as gc  # noqa: E402
t1 = time.perf_counter()
x = np.ones((3, 2, 5), np.float32)
for cell, G in (("lstm", 4), ("gru", 3), ("rnn", 1)):
    for dtype in (np.float32, np.float64):
        w_ih, w_hh = np.full((G * 4, 5), 0.1, dtype), np.full((G * 4, 4), 0.1, dtype)
        out = getattr(gc, cell + "_forward")(x.astype(dtype), w_ih, w_hh, return_tape=True)
        getattr(gc, cell + "_backward")(out[-1], np.ones_like(out[0]))
t2 = time.perf_counter()
print(f"imports {t1 - t0:.2f} s, calls {t2 - t1:.2f} s, loads {sum(t for t, _ in loads):.3f} s")
for t, name in loads:
    print(f"  {t * 1e3:6.1f} ms  {name}")
