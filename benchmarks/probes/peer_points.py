"""Forward points of one cell against the peers, alternating in one process (float32, I = H, 2 threads): each
round times every implementation at every point over a 0.2 s window (median of its calls); prints per point the
median over rounds (us) of each implementation and gatecore's ratio to the faster peer, min-max over rounds.
Run: python benchmarks/probes/peer_points.py CELL ROUNDS T,B,H [T,B,H ...]"""
import statistics
import sys
import time

from gatecore.cli import peers

cell, rounds = sys.argv[1], int(sys.argv[2])
points = [tuple(map(int, p.split(","))) for p in sys.argv[3:]]
peers.set_threads(2)
names = ("cpu", "onnxruntime", "torch")
fns = {(pt, n): peers.make(n, cell, pt[0], pt[1], pt[2], pt[2])[0] for pt in points for n in names}


def window(f, seconds=0.2):
    ts = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(ts) < 5:
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


for f in fns.values():
    f()
times = {k: [] for k in fns}
for _ in range(rounds):
    for k, f in fns.items():
        times[k].append(window(f))
for pt in points:
    med = {n: statistics.median(times[(pt, n)]) * 1e6 for n in names}
    ratios = [min(o, t) / c for c, o, t in zip(*(times[(pt, n)] for n in names))]
    print(f"{cell} T={pt[0]} B={pt[1]} H={pt[2]}: " + ", ".join(f"{n} {med[n]:.1f}" for n in names)
          + f" us; cpu vs faster peer {min(med['onnxruntime'], med['torch']) / med['cpu']:.2f}x"
          f" (rounds {min(ratios):.2f}-{max(ratios):.2f})")
