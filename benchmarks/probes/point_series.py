"""One grid point timed as `gatecore bench` times it (cli.peers.make + cli.bench.median_seconds: a 0.1 s pause,
two warm-up calls, the median of >= 0.3 s of calls), for the given implementations in turn, ROUNDS times over, in
one process, ms: how a point's time moves from round to round on this machine, and how far apart the peers are
in the same spell. Run: python benchmarks/probes/point_series.py T B H CELL ROUNDS IMPL [IMPL ...]
(e.g. 128 16 64 lstm 8 cpu onnxruntime cpu torch; IMPL: cpu, torch, onnxruntime, ...)"""
import sys, time
from gatecore.cli.bench import make, median_seconds
T, B, H = map(int, sys.argv[1:4]); cell = sys.argv[4]; rounds = int(sys.argv[5]); impls = sys.argv[6:]
fns = {name: make(name, cell, T, B, H, H, "float32")[0] for name in dict.fromkeys(impls)}
t0 = time.time()
for r in range(rounds):
    row = " ".join(f"{name} {median_seconds(fns[name]) * 1e3:.3f}" for name in impls)
    print(f"{time.time() - t0:6.1f}s {row}", flush=True)
