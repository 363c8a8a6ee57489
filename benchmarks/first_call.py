"""The first call's cost in a fresh process (issue 8): every cell, both dtypes, forward and backward on the cpu
backend, imports included, once with an empty Numba cache (cold: everything compiles) and then, in new
processes, with the cache that run left (warm).

    python benchmarks/first_call.py [--warm-runs 3]

Each run is a new Python process with NUMBA_CACHE_DIR pointing at one temporary folder, so the user's own
cache is neither used nor touched. Prints seconds per run: importing numpy + gatecore, then all calls.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import time
t0 = time.perf_counter()
import numpy as np
import gatecore as gc
t1 = time.perf_counter()
x = np.ones((3, 2, 5), np.float32)
for cell, G in (("lstm", 4), ("gru", 3), ("rnn", 1)):
    for dtype in (np.float32, np.float64):
        w_ih, w_hh = np.full((G * 4, 5), 0.1, dtype), np.full((G * 4, 4), 0.1, dtype)
        out = getattr(gc, cell + "_forward")(x.astype(dtype), w_ih, w_hh, return_tape=True)
        getattr(gc, cell + "_backward")(out[-1], np.ones_like(out[0]))
t2 = time.perf_counter()
print(f"{t1 - t0:.2f} {t2 - t1:.2f}")
"""


def run(cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    imports, calls = map(float, done.stdout.split())
    return imports, calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        for label in ["cold"] + ["warm"] * args.warm_runs:
            imports, calls = run(cache)
            print(f"{label}: imports {imports:.2f} s, all calls {calls:.2f} s, total {imports + calls:.2f} s",
                  flush=True)


if __name__ == "__main__":
    main()
