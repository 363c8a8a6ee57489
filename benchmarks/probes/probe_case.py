"""What the A/B probes share: one call's timer and a float32 layer call (I = H) from a 'cell:T:B:H' spec."""
import time

import numpy as np

import gatecore as gc

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def once(f):
    """Seconds of one call of f."""
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def forward_call(spec, seed=0):
    """(cell, T, B, H, f): f() runs the cell's forward on random inputs of the spec's shape."""
    cell, T, B, H = spec.split(":")
    T, B, H = int(T), int(B), int(H)
    G = GATES[cell]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w = rng.standard_normal((G * H, H), dtype=np.float32) * 0.05
    bias = np.zeros(G * H, np.float32)
    fwd = getattr(gc, f"{cell}_forward")
    return cell, T, B, H, lambda: fwd(x, w, w, bias, bias)
