"""Where a small LSTM forward's time goes (float32, I = H, biases given, the compiled path): best of 7 x N calls
of each piece, us: the whole call, the backend's forward(), the API's validation, plan() and its parts, the
compiled call, its input projection alone (cpu_compiled.inputs), a compiled call that only boxes its 8 results
(or 1), and one that makes the call's arrays and nothing else.
Run: python benchmarks/probes/forward_pieces.py T B H"""
import sys, timeit
import numba
import numpy as np
import gatecore as gc
from gatecore import api, cpu_compiled, cpu_common as cc, cpu_feed
from gatecore.lstm import cpu as lc

T, B, H = map(int, sys.argv[1:4])
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, H), dtype=np.float32)
w = (rng.standard_normal((4 * H, H)) * .1).astype(np.float32)
b = np.zeros(4 * H, np.float32)
bias = b + b
plan = cpu_compiled.plan(x, w, w, 4, H, None, False)
assert plan is not None, "not a compiled forward"
none2, idle, NL = cc.none(x.dtype, 2), cpu_feed.idle(x.dtype), cpu_compiled.NO_LENGTHS


@numba.njit
def projection(x, w_ih, bias, how, idle):
    """cpu_compiled.inputs' pre-activations. Not inputs() itself from Python: with Numba's cache warm, calling it
    from Python after a compiled forward that holds it was loaded failed in boxing ("'descr' is NULL"); the
    library never calls it from Python."""
    return cpu_compiled.inputs(x, w_ih, bias, how, idle)[0]


@numba.njit
def boxes8(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, need_tape, plan, idle):
    return x, x, x, x, x, x, x, lengths


@numba.njit
def boxes1(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, need_tape, plan, idle):
    return 0


@numba.njit
def arrays(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, need_tape, plan, idle):
    T, B, _ = x.shape
    H = w_hh.shape[1]
    gates = cpu_compiled.empty(T, B, 4 * H, x)
    cp = cpu_compiled.empty(1, B, H, x)
    cs = cpu_compiled.empty(1, B, H, x)
    hp = cpu_compiled.empty(1, B, H, x)
    lengths, y = cpu_compiled.lengths_and_outputs(lengths, T, B, H, x)
    hbuf = cpu_compiled.state(h0, B, H, x)
    c = cpu_compiled.state(c0, B, H, x)[0]
    return y, hbuf[0].copy(), c, gates, cp, cs, hp, lengths


args = (x, w, w, b, b, none2, none2, NL, False, False, plan, idle)
pieces = {
    "whole call": lambda: gc.lstm_forward(x, w, w, b, b),
    "backend forward()": lambda: lc.forward(x, w, w, b, b, None, None, None, False, None, False),
    "API validation": lambda: api._common("lstm", x, w, w, b, b, None, None, None, False, None),
    "plan()": lambda: cpu_compiled.plan(x, w, w, 4, H, None, False),
    "  step_split": lambda: cc.step_split(B, 4, H, H, panel=0, itemsize=4),
    "  matmul_way": lambda: cc.matmul_way(T * B, H, 4 * H, 4, True, True, True),
    "  threads_free": cc.threads_free,
    "compiled call": lambda: lc._compiled_forward(*args),
    "  its inputs()": lambda: projection(x, w, bias, plan[3], idle),
    "  boxes 8 results": lambda: boxes8(*args),
    "  boxes 1 result": lambda: boxes1(*args),
    "  its arrays": lambda: arrays(*args),
}
n = max(200, int(2e5 // (T * B * H)))
for name, f in pieces.items():
    f()
for name, f in pieces.items():
    print(f"LSTM T={T} B={B} H={H} {name:20s} {min(timeit.repeat(f, number=n, repeat=7)) / n * 1e6:8.2f} us")
