"""A whole lstm_forward at T=1 B=1 H=8 against its time-loop kernel alone (the arguments the wrapper built, caught
on one call), from the source tree TREE: best of 15 x 20000 calls, us. Run it at two trees in turn.
Run: python benchmarks/probes/kernel_vs_call.py TREE"""
import sys; sys.path.insert(0, sys.argv[1] + "/src")
import timeit, numpy as np, gatecore as gc
from gatecore.lstm import cpu as lc
H = 8
x = np.ones((1, 1, H), np.float32); w = np.ones((4 * H, H), np.float32) * .1; b = np.zeros(4 * H, np.float32)
captured = {}
loop = lc._forward_loop
def spy(*a):
    captured["a"] = a
    return loop(*a)
lc._forward_loop = spy
gc.lstm_forward(x, w, w, b, b, backend="cpu")
lc._forward_loop = loop
a = captured["a"]
def best(fn, n=20000):
    return min(timeit.repeat(fn, number=n, repeat=15)) / n * 1e6
print("kernel %.2f" % best(lambda: loop(*a)), "api %.2f" % best(lambda: gc.lstm_forward(x, w, w, b, b, backend="cpu")))
