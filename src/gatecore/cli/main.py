"""Argument parsing for the `gatecore` command; each subcommand's work lives in its own module."""
from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gatecore", description="LSTM/GRU/RNN kernels for NumPy: demo, bench, check.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="train LSTM and GRU side by side on the adding and copy-memory tasks")
    d.add_argument("--out", default="gatecore-demo", help="output folder for demo.json and demo.png")
    d.add_argument("--backend", default=None, help="kernel backend (default: cpu)")
    d.add_argument("--seed", type=int, default=0, help="random seed (data and initial weights)")
    d.add_argument("--seq-len", type=int, default=None, help="sequence length T (default: per task)")
    d.add_argument("--hidden", type=int, default=None, help="hidden size H (default: 32)")
    d.add_argument("--steps", type=int, default=None, help="training steps per task and cell")
    d.add_argument("--batch", type=int, default=None, help="sequences per training step")
    d.add_argument("--tasks", default="adding,copy", help="comma-separated subset of adding,copy")
    d.add_argument("--cells", default="lstm,gru", help="comma-separated subset of lstm,gru")
    d.add_argument("--threads", type=int, default=1,
                   help="Numba threads for the cpu backend (default 1: the demo's layers are too small to gain "
                        "from a parallel region per time step)")
    d.add_argument("--no-progress", action="store_true", help="no progress bar")

    b = sub.add_parser("bench", help="throughput matrix against the peers installed here")
    b.add_argument("--quick", action="store_true", help="a subset that runs in about a minute")
    b.add_argument("--out", default="gatecore-bench", help="output folder for bench.json, bench.md, bench.png")
    b.add_argument("--cells", default="lstm,gru", help="comma-separated cells (lstm, gru, rnn)")
    b.add_argument("--backends", default=None, help="comma-separated gatecore backends (default: available), or "
                   "cpu-prepacked: the cpu backend on weights packed once (gc.prepack)")
    b.add_argument("--peers", default=None,
                   help="comma-separated peers: torch, onnxruntime, numpy-loop, c, numpy (default: those installed "
                        "of torch, onnxruntime, numpy-loop, c; with --sizes issue8: torch, onnxruntime)")
    b.add_argument("--sizes", default=None,
                   help="'issue8' (the full T x B x H grid), 'quick', or a list of TxBxH like 16x16x64,128x1x256")
    b.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    b.add_argument("--no-backward", action="store_true", help="forward only")
    b.add_argument("--min-time", type=float, default=None, help="seconds of timing per point")
    b.add_argument("--threads", type=int, default=None,
                   help="threads for every implementation alike (numba, torch, onnxruntime); default: each its own")
    b.add_argument("--rounds", type=int, default=1,
                   help="time the whole matrix this many times; a point's time is the median of its rounds")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")

    c = sub.add_parser("check", help="every available backend against the references; exit 1 on any failure")
    c.add_argument("--seed", type=int, default=0, help="seed of the random problems")
    return p


def main(argv=None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "demo":
        from .demo import run_demo
        return run_demo(args)
    if args.command == "bench":
        from .bench import run_bench
        return run_bench(args)
    from .check import run_check
    return run_check(args)


if __name__ == "__main__":
    raise SystemExit(main())
