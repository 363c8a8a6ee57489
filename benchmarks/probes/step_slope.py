"""A forward's time against T, for gatecore's cpu backend or ONNX Runtime (one library per process: their threads
spin after a call and slow the other's), float32, I = H, 2 threads, on `gatecore bench`'s own problems and calls
(gatecore.cli.peers: biases given, the GRU in PyTorch's variant for both): min and median us per call over 20
windows of 100 calls, T = 1, 4, 16, 32, 64, 128 interleaved. The slope is the cost of a step, the intercept the
fixed cost. Run: python benchmarks/probes/step_slope.py cpu|onnxruntime B H [lstm|gru]"""
import sys, time

from gatecore.cli import peers

impl, B, H = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cell = sys.argv[4] if len(sys.argv) > 4 else "lstm"
peers.set_threads(2)
fs = {T: peers.make(impl, cell, T, B, H, H)[0] for T in (1, 4, 16, 32, 64, 128)}
for f in fs.values():
    f(); f()
res = {T: [] for T in fs}
for _ in range(20):
    for T, f in fs.items():
        t0 = time.perf_counter()
        for _ in range(100):
            f()
        res[T].append((time.perf_counter() - t0) / 100 * 1e6)
for T, v in res.items():
    v.sort()
    print(f"{impl} {cell} B={B} H={H} T={T:3d}: min {v[0]:8.2f} med {v[len(v) // 2]:8.2f} us")
