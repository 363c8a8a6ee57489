"""The LSTM forward loop kernel alone (lstm/cpu.py's _forward_loop, serial, not fed, W_hh^T packed), B=1, float32,
called from Python on prepared arrays, from the source tree TREE: best of 9 x 50 calls at T=128 and T=512, and the
step's cost as (t512 - t128) / 384. Run it on copies of src with one part of the step taken out to see what that
part costs inside the loop (probes_session27.txt section 4 names the edits), each with its own NUMBA_CACHE_DIR.
Run: python benchmarks/probes/loop_alone.py TREE H"""
import sys, timeit
import numpy as np

sys.path.insert(0, sys.argv[1] + "/src")
from gatecore.lstm import cpu as lc                 # noqa: E402
from gatecore import cpu_common as cc, cpu_feed     # noqa: E402

H, B = int(sys.argv[2]), 1
took = {}
for T in (128, 512):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w = (rng.standard_normal((4 * H, H)) * .1).astype(np.float32)
    gates, x1, w1, bias1 = cc.step_inputs(x, w, np.zeros(4 * H, np.float32))
    g0 = gates.copy()
    cp, cs, hp = (np.empty((1, B, H), np.float32) for _ in range(3))
    y, hbuf, c = np.zeros((T, B, H), np.float32), np.zeros((2, B, H), np.float32), np.zeros((B, H), np.float32)
    P_hh = cc.transposed_panels(w)
    none2, none3 = np.zeros((0, H), np.float32), np.zeros((0, 0, 0), np.float32)
    lengths, idle = np.full(B, T, np.int64), cpu_feed.idle(np.dtype(np.float32))

    def call():
        gates[:] = g0
        lc._forward_loop(gates, cp, cs, hp, y, hbuf, c, w, P_hh, none2, none3, lengths, False, 1, x1, w1, bias1, idle)
    call()
    took[T] = min(timeit.repeat(call, number=50, repeat=9)) / 50 * 1e6
print(f"{sys.argv[1]} H={H}: T=128 {took[128]:.1f} us, T=512 {took[512]:.1f} us, a step {(took[512] - took[128]) / 384:.3f} us")
