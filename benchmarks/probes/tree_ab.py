"""One process's timing of gatecore from the source tree TREE (a git worktree of another commit, with
src/gatecore/_native*.so copied in), to compare two commits in alternating processes: per point (cell:f|fb|b:T:B:H,
float32, I = H; b: the backward alone, from one tape), the best of five 0.5 s windows' median us per call. Run:
python benchmarks/probes/tree_ab.py TREE lstm:f:16:1:64 ...  (then the same at the other TREE, and again, in
turn)"""
import sys, time
sys.path.insert(0, sys.argv[1] + "/src")
import numpy as np, gatecore as gc
assert gc.__file__.startswith(sys.argv[1]), gc.__file__
rng = np.random.default_rng(0)
for spec in sys.argv[2:]:
    cell, d, T, B, H = spec.split(":"); T, B, H = int(T), int(B), int(H)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w = (rng.standard_normal((G * H, H), dtype=np.float32) * .05); b = np.zeros(G * H, np.float32)
    fwd = getattr(gc, cell + "_forward"); bwd = getattr(gc, cell + "_backward")
    if d == "f":
        f = lambda: fwd(x, w, w, b, b, backend="cpu")
    elif d == "b":
        *_, tape = fwd(x, w, w, b, b, backend="cpu", return_tape=True)
        dy = np.ones((T, B, H), np.float32)
        f = lambda: bwd(tape, dy)
    else:
        dy = np.ones((T, B, H), np.float32)
        def f():
            *_, tape = fwd(x, w, w, b, b, backend="cpu", return_tape=True)
            return bwd(tape, dy)
    for _ in range(20): f()
    meds = []
    for w_ in range(5):
        ts = []; t_end = time.perf_counter() + 0.5
        while time.perf_counter() < t_end:
            t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
        ts.sort(); meds.append(ts[len(ts) // 2])
    print(spec, "%.1f" % (min(meds) * 1e6), flush=True)
