"""The issue 8 grid's T=16 and T=128 points, LSTM then GRU, forward then forward+backward, run one after another
in one process as a user's mixed calls would: median ms of a few calls per point and the minor page faults a call
takes (ru_minflt). glibc's thresholds move with what ran before, so a point may fault its memory in at every call
here and not when it runs alone. Run it plainly and with the pool off (GATECORE_CPU_POOL_MIN_BYTES=1e18 as an
integer, e.g. 1000000000000000000): python benchmarks/probes/fault_sequence.py"""
import time, resource, numpy as np, gatecore as gc
from gatecore import config


def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


print(f"pool from {config.CPU_POOL_MIN_BYTES} bytes")
for cell in ("lstm", "gru"):
    for T in (16, 128):
        for B in (1, 16, 64):
            for H in (64, 256, 512):
                G = 4 if cell == "lstm" else 3
                rng = np.random.default_rng(0)
                x = rng.standard_normal((T, B, H), dtype=np.float32)
                w = rng.standard_normal((G * H, H), dtype=np.float32) * .05
                b = np.zeros(G * H, np.float32)
                fw, bw = getattr(gc, cell + "_forward"), getattr(gc, cell + "_backward")
                for mode in ("fwd", "fwdbwd"):
                    def call():
                        if mode == "fwd":
                            return fw(x, w, w, b, b)
                        out = fw(x, w, w, b, b, return_tape=True)
                        return bw(out[-1], out[0])
                    for _ in range(2):
                        call()
                    ts, fl = [], []
                    for _ in range(7 if T * B * H * H < 2e8 else 3):
                        f0 = faults()
                        t0 = time.perf_counter()
                        call()
                        ts.append(time.perf_counter() - t0)
                        fl.append(faults() - f0)
                    print(f"{cell} {mode:6s} T={T:3d} B={B:2d} H={H:3d}: {np.median(ts) * 1e3:9.3f} ms, "
                          f"{int(np.median(fl)):5d} faults a call", flush=True)
