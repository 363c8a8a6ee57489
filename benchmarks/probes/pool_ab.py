"""cpu_pool on and off in one process, alternating (config.CPU_POOL_MIN_BYTES is read at each call): per point
(cell:f|fb:T:B:H, float32, I = H), median us per call over 7 rounds of 0.3 s windows each way, and the page faults
a call takes (ru_minflt). Run: python benchmarks/probes/pool_ab.py lstm:f:16:16:512 ..."""
import sys, time, resource
import numpy as np, gatecore as gc
from gatecore import config, cpu_pool
ON, OFF = config.CPU_POOL_MIN_BYTES, 1 << 62
rng = np.random.default_rng(0)
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for spec in sys.argv[1:]:
    cell, d, T, B, H = spec.split(":"); T, B, H = int(T), int(B), int(H)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    w = (rng.standard_normal((G * H, H), dtype=np.float32) * .05); b = np.zeros(G * H, np.float32)
    fwd = getattr(gc, cell + "_forward"); bwd = getattr(gc, cell + "_backward")
    dy = np.ones((T, B, H), np.float32)
    def f():
        if d == "f":
            return fwd(x, w, w, b, b)
        *_, tape = fwd(x, w, w, b, b, return_tape=True)
        return bwd(tape, dy)
    res = {ON: [], OFF: []}; flt = {ON: [], OFF: []}
    for _ in range(7):
        for mode in (OFF, ON):
            config.CPU_POOL_MIN_BYTES = mode
            if mode == OFF:
                cpu_pool.release()
            for _ in range(3): f()
            ts = []; t_end = time.perf_counter() + 0.3
            while time.perf_counter() < t_end:
                f0 = faults(); t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
                flt[mode].append(faults() - f0)
            res[mode].append(np.median(ts))
    print(f"{spec}: off {np.median(res[OFF])*1e6:9.1f} us ({np.median(flt[OFF]):5.0f} faults)  "
          f"on {np.median(res[ON])*1e6:9.1f} us ({np.median(flt[ON]):5.0f} faults)  off/on {np.median(res[OFF])/np.median(res[ON]):.2f}",
          flush=True)
