"""Why a fed loop is slower at B=1 H=64 on some machines: the cell's time loop alone (_forward_loop, gates made
before), median us per call over 9 alternating rounds of 0.3 s windows:
  unfed      the loop on the calling thread (the feed idle);
  fed, done  the fed branch (a prange of 2: the loop in one, the feed in the other) with every task marked done
             before, so the other thread has nothing to do;
  fed        the fed branch with its tasks to run (the projection made by the other thread as the loop runs).
Run: python benchmarks/probes/fed_loop_alone.py CELL T B H   (CELL lstm, gru or rnn: tanh)"""
import sys, time
import numpy as np
from gatecore import cpu_common as cc, cpu_feed, cpu_sync, config
from gatecore.lstm import cpu as lc
from gatecore.gru import cpu as gcpu
from gatecore.rnn import cpu as rcpu

cell = sys.argv[1]
T, B, H = map(int, sys.argv[2:5])
G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, H)).astype(np.float32)
w_ih = rng.uniform(-.1, .1, (G * H, H)).astype(np.float32)
w_hh = rng.uniform(-.1, .1, (G * H, H)).astype(np.float32)
bias = rng.uniform(-.1, .1, G * H).astype(np.float32)
P_hh = cc.panels(w_hh, T, B)
P_ih = cc.pack(np.ascontiguousarray(w_ih).T)
gates0 = cc.input_projection(x, w_ih, bias)
lengths = cc.full_lengths(None, T, B)
idle = cpu_feed.idle(x.dtype)
e2, e1 = cc.none(x.dtype, 2), cc.none(x.dtype, 1)
steps = config.CPU_FEED_ROWS // B


def feed(done):
    n = -(-T // steps)
    tasks = cpu_sync.new_tasks(n)
    if done:
        for t in range(n):
            tasks[2 * 8 * t] = 1
            tasks[2 * 8 * t + 8] = 1
    return (x.reshape(T * B, H), w_ih, P_ih, bias, tasks, steps, False)


def run(f):
    gates = gates0.copy()
    y = np.zeros((T, B, H), np.float32)
    hbuf = np.zeros((2, B, H), np.float32)
    if cell == "lstm":
        cp, cs, hp = (np.empty((T, B, H), np.float32) for _ in range(3))
        c = np.zeros((B, H), np.float32)
        return lambda: lc._forward_loop(gates, cp, cs, hp, y, hbuf, c, w_hh, P_hh, e2, cc.none(x.dtype, 3), lengths,
                                        False, 1, e2, e2, e1, f() if callable(f) else f)
    if cell == "rnn":
        hp = np.empty((T, B, H), np.float32)
        return lambda: rcpu._forward_loop(gates, hp, hbuf, w_hh, P_hh, lengths, False, 0, 1, e2, e2, e1,
                                          f() if callable(f) else f)
    hn, hp = (np.empty((T, B, H), np.float32) for _ in range(2))
    b_hn = np.zeros(H, np.float32)
    return lambda: gcpu._forward_loop(gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, lengths, False, False, 1, e2, e2, e1,
                                      f() if callable(f) else f)


ways = {"unfed": run(idle), "fed, done": run(lambda: feed(True)), "fed": run(lambda: feed(False))}
for f in ways.values():
    f()
res = {k: [] for k in ways}
for _ in range(9):
    for k, f in ways.items():
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 0.3:
            t1 = time.perf_counter()
            f()
            res[k].append(time.perf_counter() - t1)
print(f"{cell} T={T} B={B} H={H}: " + "  ".join(f"{k} {np.median(v) * 1e6:.1f} us" for k, v in res.items()))
