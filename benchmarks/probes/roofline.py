"""How fast a forward grid point could be on this machine, and so the best ratio any kernel could reach against
its faster peer there: a lower bound on a forward's time from two measured rates, set against a bench.json.

    bound = (input GEMM flops) / G  +  T * max(step flops / G, S(H))

G: the machine's float32 GEMM rate on 2 threads, the best of gatecore's gemm and NumPy's matmul (8192x512x2048,
best of 10 calls). S(H): one step's recurrent weights (G*H x H) read once, as the cpu_dots micro-kernel does at
B = 1 (a matrix-vector product), their rows halved over the 2 threads, 2000 steps in one parallel region with no
barrier between steps (so no step pays any synchronisation). The pointwise cell, the call's fixed cost and the
barrier are left out: the bound is optimistic, a kernel cannot beat it. Against each forward point of the
bench.json: the faster peer's time / bound (the best ratio reachable there), ours / bound.

Run: python benchmarks/probes/roofline.py benchmarks/results/issue8/bench.json"""
import json, statistics, sys, time
import numba, numpy as np
from numba import prange
from gatecore import cpu_common as cc
from gatecore.cpu_dots import products

GATES = {"lstm": 4, "gru": 3}


@numba.njit(parallel=True, cache=True)
def _stream(out, w, v, reps):
    """reps matrix-vector products out = w v, w's rows halved over two threads, one region."""
    N = w.shape[0]
    for c in prange(2):
        n0, n1 = c * N // 2 // 16 * 16, N if c == 1 else N // 2 // 16 * 16
        for r in range(reps):
            products(out, w, v, n0, n1, 0, 1)


def gemm_rate():
    rng = np.random.default_rng(0)
    M, K, N = 8192, 512, 2048
    a = rng.standard_normal((M, K), dtype=np.float32); b = rng.standard_normal((K, N), dtype=np.float32)
    P = cc.pack(b)
    best = {}
    for name, f in (("gatecore gemm", lambda: cc.gemm(a, P, N)), ("numpy matmul", lambda: a @ b)):
        f(); ts = []
        for _ in range(10):
            t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
        best[name] = 2 * M * K * N / min(ts) / 1e9
    return best


def stream_seconds(G, H, reps=2000):
    """Best of 5 regions: seconds per step to read G*H x H float32 weights at B = 1."""
    w = np.random.default_rng(1).standard_normal((G * H, H), dtype=np.float32) * .05
    v = np.ones((1, H), np.float32); out = np.zeros((1, G * H), np.float32)
    _stream(out, w, v, 10); ts = []
    for _ in range(5):
        t = time.perf_counter(); _stream(out, w, v, reps); ts.append((time.perf_counter() - t) / reps)
    return min(ts)


def main(path):
    records = json.load(open(path))["records"]
    rates = gemm_rate()
    G_rate = max(rates.values()) * 1e9
    print("GEMM rate, 2 threads, float32, 8192x512x2048, best of 10: "
          + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in rates.items()))
    streams = {}
    for cell, G in GATES.items():
        for H in sorted({r["H"] for r in records if r["cell"] == cell}):
            streams[cell, H] = stream_seconds(G, H)
            print(f"{cell} H={H}: W_hh ({G * H}x{H} float32, {G * H * H * 4 / 2**20:.2f} MiB) read once per step "
                  f"at B=1, 2 threads: {streams[cell, H] * 1e6:.2f} us ({G * H * H * 4 / streams[cell, H] / 1e9:.0f} GB/s)")
    print("\n| cell | T | B | H | bound ms | peer ms | ours ms | best reachable ratio (peer/bound) | ours/bound |")
    print("|---|---|---|---|---|---|---|---|---|")
    best = {}
    for r in records:
        if r["mode"] != "forward" or r["impl"] != "cpu" or "seconds" not in r:
            continue
        cell, T, B, H, I = r["cell"], r["T"], r["B"], r["H"], r["I"]
        G = GATES[cell]
        peers = [p["seconds"] for p in records if p["mode"] == "forward" and p["impl"] != "cpu"
                 and "seconds" in p and (p["cell"], p["T"], p["B"], p["H"]) == (cell, T, B, H)]
        step_flops = 2 * B * G * H * H
        bound = 2 * T * B * G * H * I / G_rate + T * max(step_flops / G_rate, streams[cell, H])
        peer = min(peers)
        best.setdefault(cell, []).append(peer / bound)
        print(f"| {cell} | {T} | {B} | {H} | {bound * 1e3:.3f} | {peer * 1e3:.3f} | {r['seconds'] * 1e3:.3f} "
              f"| {peer / bound:.2f}x | {r['seconds'] / bound:.2f} |")
    for cell, v in best.items():
        print(f"{cell}: points where even the bound is below 1.5x the faster peer: {sum(x < 1.5 for x in v)} of "
              f"{len(v)}; geometric mean of the best reachable ratio {statistics.geometric_mean(v):.2f}x")


if __name__ == "__main__":
    main(sys.argv[1])
