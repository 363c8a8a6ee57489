"""The API's short validation path (api._plain) toggled in one process: whole forward calls (float32, I = H,
biases given) with it and with the full checks only, alternating blocks of 200 calls, min and median us over 15
blocks each. Run: python benchmarks/probes/plain_ab.py cell:T:B:H ..."""
import sys, time
import numpy as np
from gatecore import api
from probe_case import forward_call

short = api._plain
for spec in sys.argv[1:]:
    F = forward_call(spec)[4]
    t = {0: [], 1: []}
    for _ in range(15):
        for v, f in ((0, lambda *a: None), (1, short)):
            api._plain = f
            F()
            t0 = time.perf_counter()
            for _ in range(200):
                F()
            t[v].append((time.perf_counter() - t0) / 200 * 1e6)
    api._plain = short
    a, b = np.array(t[0]), np.array(t[1])
    print(f"{spec}: full checks min {a.min():.2f} med {np.median(a):.2f} us, short path min {b.min():.2f} "
          f"med {np.median(b):.2f} us", flush=True)
