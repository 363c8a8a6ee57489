"""`gatecore bench`: the throughput matrix, cells x implementations x (T, B, H) x {forward, forward+backward},
with gatecore's backends and the peers installed here (peers.py) timed in the same run.

Each point is timed as the median of repeated calls after a pause (SWITCH_PAUSE: another library's threads may
still be spinning) and two warm-up calls (the first pays Numba's compilation), for at least `min_time` seconds.
Ratios are `peer seconds / gatecore seconds` at the same point and mode, so > 1 means gatecore is faster; a
summary gives, per (backend, cell, mode), the geometric mean of the ratio against the faster of torch and
onnxruntime and the worst point. I = H throughout (the input is as wide as the layer). FLOPs: flops.py.

Writes OUT/bench.json, OUT/bench.md (a markdown table for benchmarks/results/) and OUT/bench.png.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import platform
import statistics
import time

import gatecore as gc
from gatecore.backends import NAMES, kernels

from . import require
from .flops import flops
from .peers import OWN, PEERS, make, set_threads, why_not

ISSUE8 = list(itertools.product((16, 128, 512), (1, 16, 64), (64, 256, 512)))
QUICK = [(16, 16, 64), (64, 16, 128)]
DEFAULT = [(16, 16, 64), (128, 16, 256), (128, 64, 256), (512, 16, 512)]
FAST_PEERS = ("torch", "onnxruntime")
MODES = ("forward", "forward+backward")


def parse_sizes(text, quick=False):
    """[(T, B, H)] from 'issue8', 'quick', 'default' or 'TxBxH,TxBxH,...'; ValueError names --sizes."""
    if text is None:
        return QUICK if quick else DEFAULT
    named = {"issue8": ISSUE8, "quick": QUICK, "default": DEFAULT}
    if text in named:
        return named[text]
    sizes = []
    for item in text.split(","):
        parts = item.strip().lower().split("x")
        if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise ValueError(f"--sizes must be issue8, quick, default or TxBxH,... with positive integers, "
                             f"got {item!r}")
        sizes.append(tuple(int(p) for p in parts))
    return sizes


# before each implementation is timed: the previous one's thread pool keeps spinning for a while after its last
# call and slows whatever runs next on the cores. Measured here, LSTM T=64 B=16 H=128, gatecore's median of 20
# calls right after 20 ONNX Runtime calls: 4.0-6.2 ms with no pause, 2.0-2.8 ms after 50 ms, 1.95-2.0 ms after
# 0.5 s (after torch: 2.0 ms with or without a pause)
SWITCH_PAUSE = 0.1


def median_seconds(fn, min_time=0.3, max_calls=200):
    """Median wall time of fn() over repeated calls (at least 3, for at least min_time s) after SWITCH_PAUSE and
    two warm-up calls (the first pays Numba's compilation)."""
    time.sleep(SWITCH_PAUSE)
    fn()
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < min_time and len(times) < max_calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(impls, cells, sizes, dtype="float32", backward=True, min_time=0.3, progress=None, rounds=1):
    """[record] for every (cell, size, impl, mode); a record holds the time or the reason it was skipped.

    With rounds > 1 the whole matrix is timed that many times over and a point's time is the median of its
    rounds (each round's time kept in round_seconds): a burst of load on a shared machine then hits one round
    of a point, not all of them, and the implementations of a point are timed minutes apart as often as not."""
    records = {}
    for _ in range(rounds):
        for cell, (T, B, H), impl in itertools.product(cells, sizes, impls):
            try:
                fwd, fwd_bwd = make(impl, cell, T, B, H, H, dtype)
            except Exception as e:
                fwd = fwd_bwd = None
                reason = f"{type(e).__name__}: {e}"
            for mode, fn in zip(MODES, (fwd, fwd_bwd if backward else None)):
                if mode == "forward+backward" and not backward:
                    continue
                rec = records.setdefault((cell, T, B, H, impl, mode), {
                    "cell": cell, "impl": impl, "mode": mode, "T": T, "B": B, "I": H, "H": H, "dtype": dtype,
                    "flops": flops(cell, T, B, H, H, backward=mode != "forward"), "round_seconds": []})
                if fn is None:
                    rec["skipped"] = reason if fwd is None else f"{impl} offers no {mode}"
                elif "skipped" not in rec:
                    try:
                        rec["round_seconds"].append(median_seconds(fn, min_time))
                    except Exception as e:  # a broken implementation is reported, the others still get timed
                        rec["skipped"] = f"failed: {type(e).__name__}: {e}"
                if progress is not None:
                    progress.update(1)
    for rec in records.values():
        if "skipped" in rec:
            del rec["round_seconds"]
        else:
            s = statistics.median(rec["round_seconds"])
            rec.update(seconds=s, seq_per_s=rec["B"] / s, gflops=rec["flops"] / s / 1e9)
    records = list(records.values())
    _add_ratios(records)
    return records


def _key(r):
    return r["cell"], r["mode"], r["T"], r["B"], r["H"]


def _ratio(peer, own):
    """peer seconds / own seconds: over several rounds, the median of each round's ratio (a round times a point's
    implementations seconds apart, so a slow spell of a shared machine hits both sides of one ratio, where the
    medians of the two sides' rounds can come from different spells); else the ratio of the medians."""
    rounds = list(zip(peer.get("round_seconds", ()), own.get("round_seconds", ())))
    if len(rounds) > 1 and len(rounds) == len(own["round_seconds"]) == len(peer["round_seconds"]):
        return statistics.median(p / o for p, o in rounds)
    return peer["seconds"] / own["seconds"]


def _add_ratios(records):
    """rec['ratio'][peer] = peer seconds / rec seconds for gatecore backends, peers measured at the same point
    (_ratio)."""
    timed = {(_key(r), r["impl"]): r for r in records if "seconds" in r}
    others = sorted({r["impl"] for r in records} - set(OWN)) + ["c", "numpy"]
    for r in records:
        if "seconds" in r and r["impl"] in OWN:
            r["ratio"] = {p: _ratio(timed[(_key(r), p)], r) for p in others
                          if p != r["impl"] and (_key(r), p) in timed}


def summarise(records):
    """[{backend, cell, mode, peer, geomean, worst, worst_at, points}]: gatecore against the faster of torch and
    onnxruntime at each point ('fastest peer'), and against each anchor separately."""
    rows = []
    groups = {}
    for r in records:
        if "ratio" in r:
            groups.setdefault((r["impl"], r["cell"], r["mode"]), []).append(r)
    for (impl, cell, mode), recs in sorted(groups.items()):
        peers = sorted({p for r in recs for p in r["ratio"]})
        fast = [(min(r["ratio"][p] for p in FAST_PEERS if p in r["ratio"]), r) for r in recs
                if any(p in r["ratio"] for p in FAST_PEERS)]
        series = [("fastest peer", fast)] + [(p, [(r["ratio"][p], r) for r in recs if p in r["ratio"]]) for p in peers]
        for peer, pts in series:
            if not pts:
                continue
            worst, at = min(pts, key=lambda v: v[0])
            rows.append({"backend": impl, "cell": cell, "mode": mode, "peer": peer, "points": len(pts),
                         "geomean": math.exp(sum(math.log(v) for v, _ in pts) / len(pts)), "worst": worst,
                         "worst_at": f"T={at['T']} B={at['B']} H={at['H']}"})
    return rows


def table(records) -> str:
    """Markdown: one row per timed point, with its ratio to each peer (> 1: gatecore faster)."""
    head = "| cell | mode | T | B | H | impl | ms | seq/s | GFLOP/s | ratios (peer s / this s) |"
    lines = [head, "|" + "---|" * 10]
    for r in records:
        if "seconds" not in r:
            continue
        ratios = ", ".join(f"{p} {v:.2f}x" for p, v in r.get("ratio", {}).items())
        lines.append(f"| {r['cell']} | {r['mode']} | {r['T']} | {r['B']} | {r['H']} | {r['impl']} | "
                     f"{r['seconds'] * 1e3:.3f} | {r['seq_per_s']:.0f} | {r['gflops']:.2f} | {ratios} |")
    return "\n".join(lines)


def summary_table(rows) -> str:
    lines = ["| backend | cell | mode | vs | points | geomean ratio | worst ratio | worst at |", "|" + "---|" * 8]
    for s in rows:
        lines.append(f"| {s['backend']} | {s['cell']} | {s['mode']} | {s['peer']} | {s['points']} | "
                     f"{s['geomean']:.2f}x | {s['worst']:.2f}x | {s['worst_at']} |")
    return "\n".join(lines)


def _plot(records, path):
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(r["cell"], r["mode"]) for r in records})
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (cell, mode) in zip(axes[0], panels):
        mine = [r for r in records if r["cell"] == cell and r["mode"] == mode and "seconds" in r]
        points = sorted({(r["T"], r["B"], r["H"]) for r in mine})
        for impl in dict.fromkeys(r["impl"] for r in mine):
            got = {(r["T"], r["B"], r["H"]): r["gflops"] for r in mine if r["impl"] == impl}
            ax.plot([i for i, p in enumerate(points) if p in got], [got[p] for p in points if p in got], "o-",
                    label=impl)
        ax.set_xticks(range(len(points)), [f"{T}x{B}x{H}" for T, B, H in points], rotation=90, fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("GFLOP/s")
        ax.set_title(f"{cell} {mode}")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _names(text, allowed, what):
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        raise SystemExit(f"gatecore bench: {what} must name some of {', '.join(allowed)}, got {bad or names}")
    return names


def run_bench(args) -> int:
    """The `gatecore bench` command."""
    tqdm = require("tqdm").tqdm
    cells = _names(args.cells, ("lstm", "gru", "rnn"), "--cells")
    try:
        sizes = parse_sizes(args.sizes, args.quick)
    except ValueError as e:
        raise SystemExit(f"gatecore bench: {e}") from None
    status = gc.backends()
    if args.backends is None:
        mine = [b for b in NAMES if status[b] is True and b != "numpy"]
    else:
        mine = _names(args.backends, OWN, "--backends")
    if args.peers is None:
        peers = list(FAST_PEERS) if args.sizes == "issue8" else list(PEERS) + ["c"]
    else:
        peers = _names(args.peers, PEERS + ("c", "numpy"), "--peers")
    impls = list(dict.fromkeys(mine + peers))
    usable = [n for n in impls if why_not(n) is None]
    for n in impls:
        if n not in usable:
            print(f"skipping {n}: {why_not(n)}")
    set_threads(args.threads)
    min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 0.3)
    if args.rounds < 1:
        raise SystemExit(f"gatecore bench: --rounds must be >= 1, got {args.rounds}")
    total = len(cells) * len(sizes) * len(usable) * (1 if args.no_backward else 2) * args.rounds
    with tqdm(total=total, desc="bench", disable=args.no_progress, dynamic_ncols=True) as bar:
        records = measure(usable, cells, sizes, args.dtype, not args.no_backward, min_time, bar, args.rounds)
    summary = summarise(records)
    os.makedirs(args.out, exist_ok=True)
    meta = {"machine": platform.machine(), "processor": _cpu_model(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "gatecore": gc.__version__, "commit": _commit(),
            "versions": _versions(usable), "backends": status, "dtype": args.dtype, "min_time": min_time,
            "threads": args.threads, "rounds": args.rounds}
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump({"meta": meta, "records": records, "summary": summary}, f, indent=1)
    md = f"{_describe(meta)}\n\n{table(records)}\n\n{summary_table(summary)}\n"
    with open(os.path.join(args.out, "bench.md"), "w") as f:
        f.write(md)
    _plot(records, os.path.join(args.out, "bench.png"))
    print(md)
    print(f"wrote {args.out}/bench.json, bench.md and bench.png")
    return 0


def _cpu_model():
    """The CPU's model name (/proc/cpuinfo on Linux, else platform.processor())."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _commit():
    """The git commit of the gatecore source being timed, "-dirty" with uncommitted changes (None outside a
    checkout)."""
    import subprocess
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=7"],
                              cwd=os.path.dirname(gc.__file__), capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _versions(impls):
    """{package: version} of numba, numpy and the peers timed."""
    import importlib.metadata as md
    found = {}
    for name in ["numba", "numpy"] + [{"numpy-loop": "numpy"}.get(i, i) for i in impls if i not in OWN]:
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return found


def _describe(meta):
    """One line for bench.md: the machine, the versions, the commit and the settings of the run."""
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    return (f"Machine: {meta['processor']} ({meta['machine']}, {meta['cpus']} CPUs), Python {meta['python']}, "
            f"{versions}; gatecore {meta['gatecore']} at {meta['commit'] or 'an unknown commit'}; {meta['dtype']}, "
            f"{meta['threads'] or 'default'} threads, min_time {meta['min_time']} s"
            + (f", median of {meta['rounds']} rounds of the whole matrix." if meta.get("rounds", 1) > 1 else "."))
