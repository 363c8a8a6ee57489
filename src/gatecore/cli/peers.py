"""What `gatecore bench` times: gatecore's backends and the peers a user could use instead, each imported only
when installed. Every maker returns (forward, forward_backward or None) as zero-argument callables on one
problem: x [T, B, I] float, a layer of width H with biases and zero initial state, upstream gradient dy [T, B, H].

    torch        torch.nn.LSTM/GRU/RNN (forward under no_grad; backward via autograd, x requiring grad)
    onnxruntime  a one-node ONNX LSTM/GRU/RNN model (gate order iofc / zrh, GRU linear_before_reset=1 as torch);
                 forward only (ONNX Runtime has no training kernels for these operators)
    numpy-loop   the forward loop a NumPy user would write: one input GEMM, then h @ w_hh.T per step
    gatecore backends cpu, cuda, c, numpy: gc.<cell>_forward, then gc.<cell>_backward on its tape
"""
from __future__ import annotations

import importlib

import numpy as np

import gatecore as gc
from gatecore.backends import NAMES, kernels

from .flops import GATES

PEERS = ("torch", "onnxruntime", "numpy-loop")
# gatecore's own implementations: its backends, and the cpu backend on weights prepacked once (gc.prepack, as
# ONNX Runtime packs its weights once when its session is made)
PREPACKED = {"cpu-prepacked": "cpu"}
OWN = NAMES + tuple(PREPACKED)
THREADS = {"n": None}         # set_threads(n): one thread count for every implementation (None: each its default)
_FORWARD = {"lstm": gc.lstm_forward, "gru": gc.gru_forward, "rnn": gc.rnn_forward}
_BACKWARD = {"lstm": gc.lstm_backward, "gru": gc.gru_backward, "rnn": gc.rnn_backward}


def _problem(cell, T, B, I, H, dtype, seed=0):
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(H)
    G = GATES[cell]
    return {"x": rng.standard_normal((T, B, I)).astype(dtype),
            "w_ih": rng.uniform(-k, k, (G * H, I)).astype(dtype), "w_hh": rng.uniform(-k, k, (G * H, H)).astype(dtype),
            "b_ih": rng.uniform(-k, k, G * H).astype(dtype), "b_hh": rng.uniform(-k, k, G * H).astype(dtype),
            "dy": rng.standard_normal((T, B, H)).astype(dtype)}


def why_not(name: str):
    """None if `name` (a gatecore backend or a peer) can be timed here, else the reason."""
    if name in OWN:
        status = gc.backends()[PREPACKED.get(name, name)]
        return None if status is True else status
    module = {"torch": "torch", "onnxruntime": "onnxruntime", "numpy-loop": "numpy"}[name]
    try:
        importlib.import_module(module)
        if name == "onnxruntime":
            importlib.import_module("onnx")
    except ImportError as e:
        return f"not installed ({e})"
    return None


def set_threads(n):
    """Give numba, torch and onnxruntime the same thread count `n` (so a comparison is like for like)."""
    THREADS["n"] = n
    if n is None:
        return
    importlib.import_module("numba").set_num_threads(n)
    if why_not("torch") is None:
        importlib.import_module("torch").set_num_threads(n)


def make(name, cell, T, B, I, H, dtype="float32"):
    """(forward, forward_backward or None) for implementation `name` on a fresh problem of this size."""
    p = _problem(cell, T, B, I, H, dtype)
    if name in OWN:
        return _gatecore(name, cell, p)
    return {"torch": _torch, "onnxruntime": _onnxruntime, "numpy-loop": _numpy_loop}[name](cell, p, H)


def _gatecore(name, cell, p):
    fwd, bwd = _FORWARD[cell], _BACKWARD[cell]
    backend = PREPACKED.get(name, name)
    w_ih, w_hh = (gc.prepack(p[k]) if name in PREPACKED else p[k] for k in ("w_ih", "w_hh"))
    args = (p["x"], w_ih, w_hh, p["b_ih"], p["b_hh"])
    kernels(cell, backend)          # fail here, at setup, if the kernels are missing

    def forward():
        return fwd(*args, backend=backend)

    def forward_backward():
        return bwd(fwd(*args, backend=backend, return_tape=True)[-1], p["dy"])
    return forward, forward_backward


def _torch(cell, p, H):
    torch = importlib.import_module("torch")
    layer_cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
    dtype = torch.float32 if p["x"].dtype == np.float32 else torch.float64
    layer = layer_cls(p["x"].shape[2], H, dtype=dtype)
    with torch.no_grad():
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            getattr(layer, {"w_ih": "weight_ih_l0", "w_hh": "weight_hh_l0", "b_ih": "bias_ih_l0",
                            "b_hh": "bias_hh_l0"}[name]).copy_(torch.from_numpy(p[name]))
    x = torch.from_numpy(p["x"])
    x_grad = x.clone().requires_grad_(True)
    dy = torch.from_numpy(p["dy"])

    def forward():
        with torch.no_grad():
            return layer(x)

    def forward_backward():
        y = layer(x_grad)[0]
        y.backward(dy)
    return forward, forward_backward


# gatecore (PyTorch) gate order -> ONNX gate order, as block indices
_ONNX_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0]}


def _onnx_blocks(a, cell):
    H = a.shape[0] // GATES[cell]
    return np.concatenate([a[i * H:(i + 1) * H] for i in _ONNX_ORDER[cell]])


def _onnxruntime(cell, p, H):
    ort = importlib.import_module("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    T, B, I = p["x"].shape
    elem = TensorProto.FLOAT if p["x"].dtype == np.float32 else TensorProto.DOUBLE
    W = _onnx_blocks(p["w_ih"], cell)[None]
    R = _onnx_blocks(p["w_hh"], cell)[None]
    Bias = np.concatenate([_onnx_blocks(p["b_ih"], cell), _onnx_blocks(p["b_hh"], cell)])[None]
    attrs = {"hidden_size": H}
    if cell == "gru":
        attrs["linear_before_reset"] = 1
    node = helper.make_node(cell.upper(), ["X", "W", "R", "B"], ["Y"], **attrs)
    graph = helper.make_graph(
        [node], f"gatecore_bench_{cell}", [helper.make_tensor_value_info("X", elem, [T, B, I])],
        [helper.make_tensor_value_info("Y", elem, [T, 1, B, H])],
        [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R"), numpy_helper.from_array(Bias, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = min(model.ir_version, 9)
    options = ort.SessionOptions()
    if THREADS["n"] is not None:
        options.intra_op_num_threads = options.inter_op_num_threads = THREADS["n"]
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {"X": p["x"]}

    def forward():
        return session.run(None, feed)
    return forward, None


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _numpy_loop(cell, p, H):
    x, w_ih, w_hh, b_ih, b_hh = p["x"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"]
    T, B, _ = x.shape

    def forward():
        xw = x @ w_ih.T + b_ih
        h = np.zeros((B, H), x.dtype)
        c = np.zeros((B, H), x.dtype)
        y = np.empty((T, B, H), x.dtype)
        for t in range(T):
            hw = h @ w_hh.T + b_hh
            if cell == "lstm":
                i, f, g, o = np.split(xw[t] + hw, 4, axis=1)
                c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                h = _sigmoid(o) * np.tanh(c)
            elif cell == "gru":
                xr, xz, xn = np.split(xw[t], 3, axis=1)
                hr, hz, hn = np.split(hw, 3, axis=1)
                r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
                h = (1 - z) * np.tanh(xn + r * hn) + z * h
            else:
                h = np.tanh(xw[t] + hw)
            y[t] = h
        return y
    return forward, None
