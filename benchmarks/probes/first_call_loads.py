"""Where a warm first call's time goes: benchmarks/first_call.py's child (every cell, both dtypes, forward and
backward on the cpu backend; it prints imports and calls, s) with each load from Numba's cache timed
(numba.core.caching.Cache.load_overload). Run with a warm cache, e.g. NUMBA_CACHE_DIR=<cache one first_call child
filled> python benchmarks/probes/first_call_loads.py. Numba is imported before the child's clock starts, so its
"imports" is numpy and gatecore alone. Then prints the loads' sum and each load, ms, in call order."""
import os
import sys
import time

import numba.core.caching as caching

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from first_call import CHILD  # noqa: E402

_load = caching.Cache.load_overload
loads = []


def timed(self, sig, target_context):
    t = time.perf_counter()
    out = _load(self, sig, target_context)
    fn = self._py_func
    loads.append((time.perf_counter() - t, f"{fn.__module__}.{fn.__qualname__}"))
    return out


caching.Cache.load_overload = timed
exec(CHILD, {})
print(f"loads {sum(t for t, _ in loads):.3f} s")
for t, name in loads:
    print(f"  {t * 1e3:6.1f} ms  {name}")
