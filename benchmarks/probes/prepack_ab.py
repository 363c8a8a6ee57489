"""gc.prepack'd weights against plain ones in one process, alternating: per point (cell:f|fb:T:B:H, float32,
I = H), median us per call over 7 rounds of 0.3 s windows each way. Run: python benchmarks/probes/prepack_ab.py
lstm:f:16:16:256 ..."""
import sys, time
import numpy as np, gatecore as gc
rng = np.random.default_rng(0)
for spec in sys.argv[1:]:
    cell, d, T, B, H = spec.split(":"); T, B, H = int(T), int(B), int(H)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w_ih, w_hh = (rng.uniform(-.1, .1, (G * H, H)).astype(np.float32) for _ in range(2))
    b = np.zeros(G * H, np.float32)
    fwd = getattr(gc, cell + "_forward"); bwd = getattr(gc, cell + "_backward")
    dy = np.ones((T, B, H), np.float32)
    ws = {"plain": (w_ih, w_hh), "prepacked": (gc.prepack(w_ih), gc.prepack(w_hh))}
    def call(mode):
        wi, wh = ws[mode]
        if d == "f":
            return fwd(x, wi, wh, b, b)
        *_, tape = fwd(x, wi, wh, b, b, return_tape=True)
        return bwd(tape, dy)
    res = {m: [] for m in ws}
    for _ in range(7):
        for mode in ws:
            for _ in range(3): call(mode)
            ts = []; t_end = time.perf_counter() + 0.3
            while time.perf_counter() < t_end:
                t0 = time.perf_counter(); call(mode); ts.append(time.perf_counter() - t0)
            res[mode].append(np.median(ts))
    a, p = np.median(res["plain"]), np.median(res["prepacked"])
    print(f"{spec}: plain {a*1e6:9.1f} us  prepacked {p*1e6:9.1f} us  plain/prepacked {a/p:.2f}", flush=True)
