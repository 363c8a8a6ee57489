"""Cross-core rows: chunk 1 writes P [T, W] (fed rows), then chunk 0 reads each row, computes, and writes the result
back in place (mode 0) or into Q (mode 1); mode 2: chunk 0 wrote P itself (local). Best of 15 x 20 reps, us per
rep and ns per row (each includes the writing thread's pass).
Run: python benchmarks/probes/cross_core_rows.py"""
import time, numpy as np, numba
from numba import prange
from gatecore.cpu_sync import _load, _store, _pause

@numba.njit(parallel=True, cache=True)
def run(P, Q, flag, mode, reps):
    T, W = P.shape
    for ch in prange(2):
        for rep in range(reps):
            if ch == 1:
                if mode != 2:
                    for t in range(T):
                        for j in range(W):
                            P[t, j] = np.float32(t + j + rep)
                _store(flag, 0, np.int64(rep + 1))
            else:
                if mode == 2:
                    for t in range(T):
                        for j in range(W):
                            P[t, j] = np.float32(t + j + rep)
                while _load(flag, 0) < rep + 1:
                    _pause()
                for t in range(T):
                    for j in range(W):
                        v = P[t, j] * np.float32(0.5) + np.float32(1.0)
                        if mode == 1:
                            Q[t, j] = v
                        else:
                            P[t, j] = v
                _store(flag, 1, np.int64(rep + 1))
                # chunk 1 must not rewrite P before chunk 0 is done
            if ch == 1:
                while _load(flag, 1) < rep + 1:
                    _pause()
    return 0

for W in (192, 256):
    T = 512
    P = np.zeros((T, W), np.float32); Q = np.zeros((T, W), np.float32)
    for mode in (0, 1, 2, 0, 1, 2):
        flag = np.zeros(2, np.int64)
        run(P, Q, flag, mode, 2)
        best = 1e9
        for _ in range(15):
            flag[:] = 0
            t0 = time.perf_counter(); run(P, Q, flag, mode, 20); best = min(best, (time.perf_counter() - t0) / 20)
        print(f"W={W} mode {mode} ({['in place', 'into Q', 'local'][mode]}): {best*1e6:7.1f} us per rep, {best*1e9/T:6.1f} ns per row")
