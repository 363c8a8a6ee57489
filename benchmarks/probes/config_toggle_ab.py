"""One gatecore.config knob at two values in one process, alternating: per point (cell:f|fb|b:T:B:H, float32,
I = H; b: the backward alone, from a tape made before each window), median us per call over 7 rounds of 0.3 s
windows each way, and the outputs compared bit for bit.
Run: python benchmarks/probes/config_toggle_ab.py CPU_PACK_GEMM_MAX_BYTES 0 4194304 lstm:f:16:16:256 ..."""
import sys, time
import numpy as np, gatecore as gc
from gatecore import config
knob, off, on = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
for spec in sys.argv[4:]:
    cell, d, T, B, H = spec.split(":"); T, B, H = int(T), int(B), int(H)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w_ih, w_hh = (rng.uniform(-.1, .1, (G * H, H)).astype(np.float32) for _ in range(2))
    b = rng.uniform(-.1, .1, G * H).astype(np.float32)
    fwd = getattr(gc, cell + "_forward"); bwd = getattr(gc, cell + "_backward")
    dy = np.ones((T, B, H), np.float32)
    tapes = {}
    def call():
        if d == "f":
            return fwd(x, w_ih, w_hh, b, b)
        if d == "b":
            return bwd(tapes[getattr(config, knob)], dy)
        *_, tape = fwd(x, w_ih, w_hh, b, b, return_tape=True)
        return bwd(tape, dy)
    def flat(r):
        return np.concatenate([a.ravel() for a in (r.values() if isinstance(r, dict) else r)])
    res, outs = {off: [], on: []}, {}
    for _ in range(7):
        for v in (off, on):
            setattr(config, knob, v)
            tapes[v] = fwd(x, w_ih, w_hh, b, b, return_tape=True)[-1]
            for _ in range(3): outs[v] = flat(call())
            ts = []; t_end = time.perf_counter() + 0.3
            while time.perf_counter() < t_end:
                t0 = time.perf_counter(); call(); ts.append(time.perf_counter() - t0)
            res[v].append(np.median(ts))
    a, p = np.median(res[off]), np.median(res[on])
    same = np.array_equal(outs[off], outs[on])
    print(f"{spec}: {knob}={off} {a*1e6:9.1f} us  ={on} {p*1e6:9.1f} us  ratio {a/p:.2f}  same bits {same}", flush=True)
