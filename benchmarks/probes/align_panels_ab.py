"""cpu_packed.empty_panels as it is (panels starting on a cache line, so that every 64-byte panel load is one line)
against NumPy's own start (16 bytes past a line, as before 2026-12-06), alternating in one process in blocks of calls, median of the blocks' medians; whole API calls (cell:f|fb:T:B:H,
float32, I = H) and matmul:M:K:N (cpu_common.matmul, W packed in the call). Run: python align_panels_ab.py SPEC ..."""
import sys, time, numpy as np, gatecore as gc
from gatecore import cpu_packed as cp, cpu_common as cc
aligned = cp.empty_panels


def unaligned(m):
    K, N = m.shape
    PW = cp.PANEL_BYTES // m.itemsize
    panels = (N + PW - 1) // PW
    return np.empty(panels * K * PW + PW, m.dtype)[:panels * K * PW].reshape(panels, K, PW)


rng = np.random.default_rng(0)
for spec in sys.argv[1:]:
    parts = spec.split(":")
    if parts[0] == "matmul":
        M, K, N = map(int, parts[1:])
        a = rng.standard_normal((M, K), dtype=np.float32); w = rng.standard_normal((N, K), dtype=np.float32)
        F = lambda: cc.matmul(a, w.T)
    else:
        cell, mode, T, B, H = parts[0], parts[1], *map(int, parts[2:])
        G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
        x = rng.standard_normal((T, B, H), dtype=np.float32)
        w = rng.standard_normal((G * H, H), dtype=np.float32) * .05; b = np.zeros(G * H, np.float32)
        fwd = getattr(gc, cell + "_forward"); bwd = getattr(gc, cell + "_backward")
        dy = np.ones_like(fwd(x, w, w, b, b)[0])
        F = (lambda: fwd(x, w, w, b, b)) if mode == "f" else (lambda: bwd(fwd(x, w, w, b, b, return_tape=True)[-1], dy))
    for v in (False, True):
        cp.empty_panels = aligned if v else unaligned; F(); F()
    t0 = time.perf_counter(); F(); one = time.perf_counter() - t0
    blk = max(3, min(20, int(0.02 / one))); n = max(10, min(60, int(3 / (one * blk * 2))))
    t = {False: [], True: []}
    for _ in range(n):
        for v in (False, True):
            cp.empty_panels = aligned if v else unaligned; ts = []
            for _ in range(blk):
                t0 = time.perf_counter(); F(); ts.append(time.perf_counter() - t0)
            t[v].append(np.median(ts))
    a0, a1 = np.array(t[False]), np.array(t[True])
    print(f"{spec}: unaligned {np.median(a0)*1e3:.3f} ms, aligned {np.median(a1)*1e3:.3f} ms (aligned wins {np.mean(a1 < a0):.0%})", flush=True)
