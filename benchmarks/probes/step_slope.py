"""A forward's time against T, for gatecore's cpu backend or ONNX Runtime (one library per process: their threads
spin after a call and slow the other's), float32, I = H, 2 threads: min and median us per call over 20 windows of
100 calls, T = 1, 4, 16, 32, 64, 128 interleaved. The slope is the cost of a step, the intercept the fixed cost.
Run: python benchmarks/probes/step_slope.py gatecore|onnxruntime B H [LSTM|GRU]"""
import sys, time
import numpy as np

impl, B, H = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cell = sys.argv[4] if len(sys.argv) > 4 else "LSTM"
G = 4 if cell == "LSTM" else 3
rng = np.random.default_rng(0)


def onnxruntime_call(T, W, R, x):
    import onnx, onnxruntime as ort
    from onnx import helper, TensorProto
    Bb = np.zeros((1, 2 * G * H), np.float32)
    node = helper.make_node(cell, ["X", "W", "R", "B"], ["Y"], hidden_size=H)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, H])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
                          initializer=[onnx.numpy_helper.from_array(a, n) for a, n in
                                       ((W[None], "W"), (R[None], "R"), (Bb, "B"))])
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    s = ort.InferenceSession(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]).SerializeToString(),
                             so, providers=["CPUExecutionProvider"])
    return lambda: s.run(None, {"X": x})


def gatecore_call(T, W, R, x):
    import gatecore as gc
    b = np.zeros(G * H, np.float32)
    fwd = gc.lstm_forward if cell == "LSTM" else gc.gru_forward
    return lambda: fwd(x, W, R, b, b)


fs = {}
for T in (1, 4, 16, 32, 64, 128):
    W = (rng.standard_normal((G * H, H)) * .1).astype(np.float32)
    x = rng.standard_normal((T, B, H), dtype=np.float32)
    fs[T] = (gatecore_call if impl == "gatecore" else onnxruntime_call)(T, W, W.copy(), x)
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
