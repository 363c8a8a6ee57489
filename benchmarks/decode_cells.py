"""A 1,000-step greedy decoding loop at B=1, H=256: gc.LSTMCell against torch.nn.LSTMCell and ONNX Runtime.

Each step's input is the last step's output (x_{t+1} = h_t, so I = H), so the steps cannot be batched: what is
measured is the cost of one call per step. Every contender runs float32 with the same weights and starting
input; the final h of each is checked against gatecore's numpy backend (rtol 1e-4) before its time counts.
ONNX Runtime runs a one-step ONNX LSTM graph (gates iofc, from PyTorch's ifgo) fed one step at a time.

    python benchmarks/decode_cells.py [--steps 1000] [--hidden 256] [--repeats 5] [--threads N]
                                      [--out benchmarks/results]

--threads caps every contender's threads (Numba, torch, ONNX Runtime intra-op) at N; default: each library's.

Prints a table (microseconds per step, median over repeats) and writes decode_cells.json in --out.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

import gatecore as gc
from gatecore.backends import check_name, kernels


def gatecore_loop(backend, sd, x0, steps):
    cell = gc.LSTMCell(x0.shape[1], sd["weight_hh"].shape[1], backend=backend, dtype=x0.dtype)
    cell.load_state_dict(sd)

    def run():
        state = cell(x0)
        for _ in range(steps - 1):
            state = cell(state[0], state)
        return state[0]
    return run


def torch_loop(sd, x0, steps, threads=None):
    import torch
    if threads:
        torch.set_num_threads(threads)
    cell = torch.nn.LSTMCell(x0.shape[1], sd["weight_hh"].shape[1])
    cell.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    x = torch.from_numpy(x0)

    def run():
        with torch.inference_mode():
            state = cell(x)
            for _ in range(steps - 1):
                state = cell(state[0], state)
        return state[0].numpy()
    return run


def onnx_lstm_step_model(sd):
    """A T=1 ONNX LSTM (opset 14) with PyTorch's weights: gates ifgo -> iofc, biases concatenated."""
    from onnx import TensorProto, helper, numpy_helper
    H = sd["weight_hh"].shape[1]
    I = sd["weight_ih"].shape[1]

    def iofc(w):
        i, f, g, o = np.split(w, 4)
        return np.concatenate([i, o, f, g])

    inits = [numpy_helper.from_array(iofc(sd["weight_ih"])[None], "W"),
             numpy_helper.from_array(iofc(sd["weight_hh"])[None], "R"),
             numpy_helper.from_array(np.concatenate([iofc(sd["bias_ih"]), iofc(sd["bias_hh"])])[None], "B")]
    node = helper.make_node("LSTM", ["X", "W", "R", "B", "", "initial_h", "initial_c"], ["Y", "Y_h", "Y_c"],
                            hidden_size=H)
    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        [node], "lstm_step",
        [helper.make_tensor_value_info("X", f32, [1, 1, I]),
         helper.make_tensor_value_info("initial_h", f32, [1, 1, H]),
         helper.make_tensor_value_info("initial_c", f32, [1, 1, H])],
        [helper.make_tensor_value_info("Y", f32, [1, 1, 1, H]),
         helper.make_tensor_value_info("Y_h", f32, [1, 1, H]),
         helper.make_tensor_value_info("Y_c", f32, [1, 1, H])],
        inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]).SerializeToString()


def onnxruntime_loop(sd, x0, steps, threads=None):
    import onnxruntime as ort
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(onnx_lstm_step_model(sd), options, providers=["CPUExecutionProvider"])
    H = sd["weight_hh"].shape[1]
    zeros = np.zeros((1, 1, H), np.float32)

    def run():
        h, c = session.run(["Y_h", "Y_c"], {"X": x0[None], "initial_h": zeros, "initial_c": zeros})
        for _ in range(steps - 1):
            h, c = session.run(["Y_h", "Y_c"], {"X": h, "initial_h": h, "initial_c": c})
        return h[0]
    return run


def contenders(sd, x0, steps, threads=None):
    """{name: (run function or None, why not)} for every contender that can run here."""
    out = {}
    for backend in ("cpu", "c", "numpy"):
        try:
            kernels("lstm", check_name(backend))
            out[f"gatecore {backend}"] = (gatecore_loop(backend, sd, x0, steps), None)
        except Exception as e:                     # unavailable backend: report why, keep going
            out[f"gatecore {backend}"] = (None, f"{type(e).__name__}: {e}")
    for name, make in (("torch.nn.LSTMCell", torch_loop), ("onnxruntime", onnxruntime_loop)):
        try:
            out[name] = (make(sd, x0, steps, threads), None)
        except ImportError as e:
            out[name] = (None, f"not installed: {e}")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args(argv)

    H, steps = args.hidden, args.steps
    if args.threads:
        import numba
        numba.set_num_threads(args.threads)
    sd = gc.LSTMCell(H, H, seed=0).state_dict()
    x0 = np.random.default_rng(1).standard_normal((1, H)).astype(np.float32)
    sd64 = {k: v.astype(np.float64) for k, v in sd.items()}
    ref = gatecore_loop("numpy", sd64, x0.astype(np.float64), steps)()

    rows = []
    for name, (run, why) in contenders(sd, x0, steps, args.threads).items():
        if run is None:
            rows.append({"name": name, "skipped": why})
            continue
        h = run()                                  # warm-up (JIT compile, session init) and correctness
        err = float(np.max(np.abs(np.asarray(h, np.float64).reshape(ref.shape) - ref)))
        if not err <= 1e-4 * (1 + np.max(np.abs(ref))):
            raise AssertionError(f"{name}: final h differs from the float64 reference by {err:.3e}")
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        rows.append({"name": name, "us_per_step": 1e6 * float(np.median(times)) / steps,
                     "us_per_step_min": 1e6 * min(times) / steps, "max_abs_err_vs_f64": err})

    print(f"decoding loop: {steps} steps, B=1, I=H={H}, float32, median of {args.repeats}, "
          f"threads {args.threads or 'default'}")
    print(f"{'contender':<20} {'us/step':>10} {'min us/step':>12} {'max|err|':>10}")
    for r in rows:
        if "skipped" in r:
            print(f"{r['name']:<20} skipped: {r['skipped']}")
        else:
            print(f"{r['name']:<20} {r['us_per_step']:>10.2f} {r['us_per_step_min']:>12.2f} "
                  f"{r['max_abs_err_vs_f64']:>10.1e}")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "decode_cells.json")
    meta = {"steps": steps, "batch": 1, "hidden": H, "dtype": "float32", "repeats": args.repeats,
            "threads": args.threads,
            "machine": platform.platform(), "cpus": os.cpu_count()}
    with open(path, "w") as f:
        json.dump({"config": meta, "results": rows}, f, indent=2)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
