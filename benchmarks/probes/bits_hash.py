"""One sha256 over the outputs and gradients of many calls (LSTM, GRU, RNN on the cpu backend: 7 shapes from
T=16 B=1 H=64 to T=6 B=2 H=1024, reverse, lengths, both GRU variants, float32; the LSTM with a projection and
every cell at a small shape in float32 and float64), to show that a change leaves every bit as it was: run it on
two trees (git worktree of the old commit, src/gatecore/_native*.so copied in, its own NUMBA_CACHE_DIR) and compare.
Run: python benchmarks/probes/bits_hash.py TREE"""
import hashlib
import sys

sys.path.insert(0, sys.argv[1] + "/src")
import numpy as np  # noqa: E402

import gatecore as gc  # noqa: E402

assert gc.__file__.startswith(sys.argv[1]), gc.__file__
rng = np.random.default_rng(1)
digest = hashlib.sha256()
count = 0


def add(out, grads):
    global count
    for a in list(out) + [grads[k] for k in sorted(grads)]:
        digest.update(np.ascontiguousarray(a).tobytes())
        count += 1


for cell in ("lstm", "gru", "rnn"):
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    fwd, bwd = getattr(gc, cell + "_forward"), getattr(gc, cell + "_backward")
    for T, B, H in ((16, 1, 64), (128, 1, 64), (16, 16, 64), (16, 1, 512), (8, 64, 256), (20, 5, 40), (6, 2, 1024)):
        x = rng.standard_normal((T, B, H)).astype(np.float32)
        w = (rng.standard_normal((G * H, H)) * .1).astype(np.float32)
        b = rng.standard_normal(G * H).astype(np.float32) * .1
        lengths = np.array([T - i % 3 for i in range(B)], np.int64)
        for rev in (False, True):
            for L in (None, lengths):
                kw = dict(lengths=L, reverse=rev, return_tape=True)
                if cell == "gru":
                    kw["linear_before_reset"] = bool(rev)
                out = fwd(x, w, w, b, b, **kw)
                add(out[:-1], bwd(out[-1], rng.standard_normal(out[0].shape).astype(np.float32)))
for dt in (np.float32, np.float64):
    for T, B, H, P in ((16, 4, 64, 32), (9, 1, 48, 16)):
        x = rng.standard_normal((T, B, P)).astype(dt)
        w_ih, w_hh = ((rng.standard_normal((4 * H, P)) * .1).astype(dt) for _ in range(2))
        w_hr = (rng.standard_normal((P, H)) * .1).astype(dt)
        for rev in (False, True):
            out = gc.lstm_forward(x, w_ih, w_hh, reverse=rev, w_hr=w_hr, return_tape=True)
            add(out[:-1], gc.lstm_backward(out[-1], rng.standard_normal(out[0].shape).astype(dt)))
    x = rng.standard_normal((12, 3, 20)).astype(dt)
    for cell, G in (("lstm", 4), ("gru", 3), ("rnn", 1)):
        w = (rng.standard_normal((G * 20, 20)) * .1).astype(dt)
        out = getattr(gc, cell + "_forward")(x, w, w, return_tape=True)
        add(out[:-1], getattr(gc, cell + "_backward")(out[-1], rng.standard_normal(out[0].shape).astype(dt)))
print(count, digest.hexdigest())
