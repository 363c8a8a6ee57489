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


def loop_case(cell, T, B, H, lbr=False, aligned=False, seed=0):
    """A cell's forward time loop alone (its cpu backend's _forward_loop), float32, I = H, the pre-activations made
    before: (x, w_ih, bias, loop). loop(split, feed) gives a function that runs the loop once on arrays of its own
    (y, h and c zeros at first, then carrying the last call's state; feed: the loop's feed, or a function making a
    fresh one for each run). lbr: the GRU's linear_before_reset; aligned: the arrays on cache lines
    (cpu_common.aligned), as a split loop's are."""
    from gatecore import cpu_common as cc
    from gatecore.gru import cpu as gru_cpu
    from gatecore.lstm import cpu as lstm_cpu
    from gatecore.rnn import cpu as rnn_cpu
    G = GATES[cell]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, H)).astype(np.float32)
    w_ih = rng.uniform(-.1, .1, (G * H, H)).astype(np.float32)
    w_hh = rng.uniform(-.1, .1, (G * H, H)).astype(np.float32)
    bias = rng.uniform(-.1, .1, G * H).astype(np.float32)
    P_hh = cc.panels(w_hh, T, B)
    gates0 = cc.input_projection(x, w_ih, bias)
    lengths = cc.full_lengths(None, T, B)
    e1, e2, e3 = (cc.none(x.dtype, n) for n in (1, 2, 3))

    def array(shape, zero=False):
        if aligned:
            return cc.aligned(shape, np.float32, zero=zero)
        return np.zeros(shape, np.float32) if zero else np.empty(shape, np.float32)

    def loop(split, feed):
        fresh = feed if callable(feed) else (lambda: feed)
        gates = gates0.copy()
        y, hbuf = array((T, B, H), True), array((2, B, H), True)
        if cell == "lstm":
            cp, cs, hp = (array((T, B, H)) for _ in range(3))
            c = array((B, H), True)
            return lambda: lstm_cpu._forward_loop(gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, e2, e3, lengths, False,
                                                  split, e2, e2, e1, fresh())
        if cell == "rnn":
            hp = array((T, B, H))
            return lambda: rnn_cpu._forward_loop(gates, hp, hbuf, w_hh, P_hh, lengths, False, 0, split, e2, e2, e1,
                                                 fresh())
        hn, hp = (array((T, B, H)) for _ in range(2))
        b_hn = np.zeros(H, np.float32)
        return lambda: gru_cpu._forward_loop(gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, lengths, False, lbr, split, e2,
                                             e2, e1, fresh())
    return x, w_ih, bias, loop


def alternate(ways, rounds=9, window=0.3):
    """Median seconds per call of each of ways (name -> f): one warm-up call each, then `rounds` rounds of a
    `window`-second window each, in turn."""
    for f in ways.values():
        f()
    times = {k: [] for k in ways}
    for _ in range(rounds):
        for k, f in ways.items():
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < window:
                times[k].append(once(f))
    return {k: float(np.median(v)) for k, v in times.items()}
