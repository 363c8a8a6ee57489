"""A small forward+backward of every cell and variant on backend "cuda", on both recurrence paths, for
compute-sanitizer (memcheck, racecheck) to watch:

    compute-sanitizer --tool memcheck --error-exitcode 1 python benchmarks/gpu/sanitize_case.py

32 threads per block and H=40 units, so the persistent kernel spreads its units over many blocks (grid
barrier) and the per-step launch over several; B=3 with lengths [0, 2, T] (padding steps), both directions.
Each result is also held against the float64 numpy reference at float32's tolerance, so a silent wrong read
shows as well as a flagged one. Exit status 0 only when every case matched.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

import numpy as np  # noqa: E402

from gatecore import config, cuda_common  # noqa: E402
from tests import support  # noqa: E402


def main():
    config.CUDA_THREADS_PER_BLOCK = 32
    failures = 0
    for cell, opts in support.VARIANTS:
        for persistent in (True, False):
            config.CUDA_PERSISTENT = persistent
            for reverse in (False, True):
                problem = support.random_problem(cell, 5, 3, 8, 40, np.float32, lengths=[0, 2, 5], seed=1,
                                                 scale=0.2)
                outs, grads = support.run(cell, problem, "cuda", reverse=reverse, **opts)
                dy, dh, dc = support.cotangents(cell, outs["y"], outs["h_n"], outs.get("c_n"))
                ref = support.run(cell, support.as64(problem), "numpy",
                                  *(None if a is None else a.astype(np.float64) for a in (dy, dh, dc)),
                                  reverse=reverse, **opts)
                what = f"{cell} {opts} {cuda_common.last_path} reverse={reverse}"
                try:
                    support.assert_results_close(outs, ref[0], np.float32, what + " forward: ")
                    support.assert_results_close(grads, ref[1], np.float32, what + " backward: ")
                    print("ok  ", what, flush=True)
                except AssertionError as e:
                    failures += 1
                    print("FAIL", e, flush=True)
    print(f"{failures} case(s) failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
