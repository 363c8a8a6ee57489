"""Benchmark regression guard for CI: is gatecore's `cpu` backend still as fast, relative to an anchor timed in
the same run, as the committed baseline says?

Robust to noisy, shared machines by construction:
  * it compares ratios, never absolute times: anchor seconds / cpu seconds at each point, the anchor being the
    C core (the NumPy backend when the C core is not built), timed alternately with cpu in the same process;
  * both run single-threaded (numba.set_num_threads(1), BLAS limited to one thread before NumPy loads; the C
    core is single-threaded), so the ratio measures the kernels, not how many cores other jobs left free;
  * each time is the minimum over ROUNDS interleaved rounds (load only ever adds time);
  * a point that looks regressed is measured again, and only a regression seen twice counts.

It fails (exit 1) when the geometric mean of ratio / baseline over all points falls below 1 / GEOMEAN_MARGIN
or any point's falls below 1 / POINT_MARGIN, or when a cpu kernel raises. Margins: 1.5x overall, 2.5x per point.
A cell whose cpu module does not exist yet is reported and skipped.

    python benchmarks/guard.py             # check against benchmarks/baseline.json (about a minute)
    python benchmarks/guard.py --update    # re-measure and write the baseline (commit it)
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402  (after the thread limits, which must precede NumPy's import)
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import gatecore as gc  # noqa: E402
from gatecore.backends import kernels  # noqa: E402
from gatecore.cli.peers import make  # noqa: E402

BASELINE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "baseline.json")
POINTS = [(cell, mode, T, B, H) for cell in ("lstm", "gru") for mode in ("forward", "forward+backward")
          for T, B, H in ((32, 8, 64), (16, 16, 96))]
ROUNDS = 9
CALLS = 3
GEOMEAN_MARGIN = 1.5
POINT_MARGIN = 2.5


def anchor_name() -> str:
    return "c" if gc.backends()["c"] is True else "numpy"


def _key(cell, mode, T, B, H):
    return f"{cell} {mode} T={T} B={B} H={H}"


def _best(fn):
    t0 = time.perf_counter()
    for _ in range(CALLS):
        fn()
    return (time.perf_counter() - t0) / CALLS


def ratio(cell, mode, T, B, H, anchor):
    """anchor seconds / cpu seconds at one point: each the minimum over ROUNDS alternating rounds."""
    index = 0 if mode == "forward" else 1
    mine = make("cpu", cell, T, B, H, H)[index]
    other = make(anchor, cell, T, B, H, H)[index]
    mine(), other()
    t_mine, t_other = math.inf, math.inf
    for _ in range(ROUNDS):
        t_mine = min(t_mine, _best(mine))
        t_other = min(t_other, _best(other))
    return t_other / t_mine


def _missing(cell):
    try:
        kernels(cell, "cpu")
    except ModuleNotFoundError as e:
        return str(e)
    return None


def measure(anchor):
    """{point key: ratio} for every point whose cpu kernels exist; prints what it skips."""
    got = {}
    for point in POINTS:
        why = _missing(point[0])
        if why:
            print(f"skip {_key(*point)}: cpu kernels not present ({why})")
            continue
        got[_key(*point)] = ratio(*point, anchor)
    return got


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--update", action="store_true", help="write the measured ratios as the new baseline")
    p.add_argument("--baseline", default=BASELINE)
    args = p.parse_args(argv)
    anchor = anchor_name()
    start = time.perf_counter()
    got = measure(anchor)
    if args.update:
        with open(args.baseline, "w") as f:
            json.dump({"anchor": anchor, "ratio": "anchor seconds / cpu seconds, single-threaded",
                       "points": got}, f, indent=1)
        print(f"wrote {args.baseline} ({len(got)} points, anchor {anchor}, {time.perf_counter() - start:.0f}s)")
        return 0
    with open(args.baseline) as f:
        base = json.load(f)
    if base["anchor"] != anchor:
        print(f"baseline was measured against {base['anchor']!r} but only {anchor!r} is available: no check")
        return 0
    rel = {}
    print(f"{'point':<40} {'baseline':>9} {'now':>7} {'now/base':>9}   (ratio = {anchor} s / cpu s)")
    for key, r in got.items():
        if key not in base["points"]:
            print(f"{key:<40} {'-':>9} {r:>7.2f}   (no baseline)")
            continue
        rel[key] = r / base["points"][key]
        if rel[key] < 1 / POINT_MARGIN:
            point = next(pt for pt in POINTS if _key(*pt) == key)
            r = max(r, ratio(*point, anchor))
            rel[key] = r / base["points"][key]
        print(f"{key:<40} {base['points'][key]:>9.2f} {r:>7.2f} {rel[key]:>9.2f}")
    if not rel:
        print("no point to compare: the guard checked nothing")
        return 0
    geomean = math.exp(np.mean([math.log(v) for v in rel.values()]))
    slow = [k for k, v in rel.items() if v < 1 / POINT_MARGIN]
    print(f"geometric mean now/base {geomean:.2f} (fails below {1 / GEOMEAN_MARGIN:.2f}); "
          f"points fail below {1 / POINT_MARGIN:.2f}; {time.perf_counter() - start:.0f}s")
    if geomean < 1 / GEOMEAN_MARGIN or slow:
        print(f"REGRESSION: {', '.join(slow) or 'overall'}")
        return 1
    print("no regression")
    return 0


if __name__ == "__main__":
    sys.exit(main())
