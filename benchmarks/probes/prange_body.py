"""The same time loop (the GRU's per-step _forward_part over every step, gates made before, T=512 B=1 H=64,
float32) compiled four ways, median us per call over 7 alternating rounds of 0.3 s windows, twice each:
  serial        the loop in a kernel, outside any prange;
  in_prange2    the loop written in the body of a prange(2) (the other iteration does nothing);
  prange2_call  the body of a prange(2) calls the loop as a function of its own (loop_fn).
Run: python benchmarks/probes/prange_body.py LBR   (LBR 1: linear_before_reset, one pass a step; 0: two)"""
import sys, time
import numpy as np, numba
from numba import prange
from gatecore import cpu_common as cc
from gatecore.gru import cpu as gcpu
T, B, H = 512, 1, 64
lbr = sys.argv[1] == "1"
rng = np.random.default_rng(0)
x = rng.standard_normal((T, B, H)).astype(np.float32)
w_ih = rng.uniform(-.1, .1, (3 * H, H)).astype(np.float32)
w_hh = rng.uniform(-.1, .1, (3 * H, H)).astype(np.float32)
bias = rng.uniform(-.1, .1, 3 * H).astype(np.float32)
P_hh = cc.panels(w_hh, T, B)
gates0 = cc.input_projection(x, w_ih, bias)
lengths = cc.full_lengths(None, T, B)
e2, e1 = cc.none(x.dtype, 2), cc.none(x.dtype, 1)
fp = gcpu._forward_part

@cc.kernel
def serial(gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, lengths, lbr, x1, w1, bias1):
    lo = np.int64(0)
    T, B, G3 = gates.shape
    H = G3 // 3
    passes = 1 if lbr else 2
    rec = cc.aligned_zeros(B, G3, gates)
    rh = cc.aligned_zeros(B, H, gates)
    for k in range(T):
        for p in range(passes):
            fp(p, k, lo, H, lo, B, gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, rec, rh, lengths, False, lbr, x1, w1, bias1)

@cc.kernel
def in_prange2(gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, lengths, lbr, x1, w1, bias1):
    lo = np.int64(0)
    T, B, G3 = gates.shape
    H = G3 // 3
    passes = 1 if lbr else 2
    rec = cc.aligned_zeros(B, G3, gates)
    rh = cc.aligned_zeros(B, H, gates)
    for ch in prange(2):
        if ch == 1:
            continue
        for k in range(T):
            for p in range(passes):
                fp(p, k, lo, H, lo, B, gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, rec, rh, lengths, False, lbr, x1, w1, bias1)

@numba.njit(**cc.JIT)
def loop_fn(gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, lengths, lbr, x1, w1, bias1, rec, rh):
    lo = np.int64(0)
    T, B, G3 = gates.shape
    H = G3 // 3
    passes = 1 if lbr else 2
    for k in range(T):
        for p in range(passes):
            fp(p, k, lo, H, lo, B, gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, rec, rh, lengths, False, lbr, x1, w1, bias1)

@cc.kernel
def prange2_call(gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, lengths, lbr, x1, w1, bias1):
    T, B, G3 = gates.shape
    H = G3 // 3
    rec = cc.aligned_zeros(B, G3, gates)
    rh = cc.aligned_zeros(B, H, gates)
    for ch in prange(2):
        if ch == 1:
            continue
        loop_fn(gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, lengths, lbr, x1, w1, bias1, rec, rh)

def mk(f):
    gates = gates0.copy(); y = np.zeros((T, B, H), np.float32); hbuf = np.zeros((2, B, H), np.float32)
    hn, hp = (np.empty((T, B, H), np.float32) for _ in range(2)); b_hn = np.zeros(H, np.float32)
    return lambda: f(gates, hn, hp, y, hbuf, w_hh, P_hh, b_hn, lengths, lbr, e2, e2, e1)
ways = {f.__name__ + str(i): mk(f) for i, f in enumerate((serial, in_prange2, prange2_call, serial, in_prange2, prange2_call))}
for f in ways.values(): f()
res = {k: [] for k in ways}
for _ in range(7):
    for k, f in ways.items():
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 0.3:
            t1 = time.perf_counter(); f(); res[k].append(time.perf_counter() - t1)
print(f"lbr={lbr}: " + "  ".join(f"{k} {np.median(v) * 1e6:.1f}" for k, v in res.items()))
