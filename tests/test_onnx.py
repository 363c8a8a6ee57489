"""gc.onnx.lstm/gru/rnn against the onnx package's reference evaluator, ONNX Runtime and hand-derived cases.

Tolerances (|got - ref| <= atol + rtol * |ref|):
  float64 against the onnx reference evaluator (float64) and against gatecore's own general path: support.TOL
  float32 against ONNX Runtime's float32 CPU kernels: rtol 1e-5, atol 1e-5
The reference evaluator ignores sequence_lens, clip, input_forget and LSTM/GRU activations, so those are held
against ONNX Runtime; ONNX Runtime's CPU kernels reject layout=1, so layout 1 is held against the reference
evaluator and against layout 0 transposed. Weights are random and non-uniform, so a gate-order mistake shows.
"""
from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gatecore as gc
from gatecore import onnx as gco
from tests.support import TOL

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

OPS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
FN = {"lstm": gco.lstm, "gru": gco.gru, "rnn": gco.rnn}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
INPUTS = {"lstm": ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"],
          "gru": ["X", "W", "R", "B", "sequence_lens", "initial_h"],
          "rnn": ["X", "W", "R", "B", "sequence_lens", "initial_h"]}
ORT_TOL = (1e-5, 1e-5)
DIRECTIONS = ["forward", "reverse", "bidirectional"]
VARIANTS = [("lstm", {}), ("gru", {"linear_before_reset": 0}), ("gru", {"linear_before_reset": 1}),
            ("rnn", {})]
VARIANT_IDS = ["lstm", "gru", "gru-lbr", "rnn"]
ACTIVATIONS = ["Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh",
               "HardSigmoid", "Elu", "Softsign", "Softplus"]


def _has_cpu_kernels():
    return gc.backends()["cpu"] is True and all(
        importlib.util.find_spec(f"gatecore.{cell}.cpu") is not None for cell in GATES)


BACKENDS = ["numpy"] + (["cpu"] if _has_cpu_kernels() else [])


def assert_close(got, ref, tol, what):
    rtol, atol = tol
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    bad = np.abs(got - ref) > atol + rtol * np.abs(ref)
    if bad.any():
        idx = tuple(int(k) for k in np.argwhere(bad)[0])
        raise AssertionError(f"{what}: {int(bad.sum())} mismatches, first at {idx}: got {got[idx]!r}, "
                             f"expected {ref[idx]!r}")


def problem(cell, T=4, B=3, I=2, H=3, D=1, dtype=np.float64, *, lengths=None, layout=0, peepholes=True,
            seed=0):
    """ONNX inputs by name: random non-uniform weights, biases, initial states and (LSTM) peepholes."""
    rng = np.random.default_rng(seed)
    G = GATES[cell]

    def u(*shape):
        return rng.uniform(-1, 1, size=shape).astype(dtype)

    state = (D, B, H) if layout == 0 else (B, D, H)
    p = {"X": u(T, B, I) if layout == 0 else u(B, T, I), "W": u(D, G * H, I), "R": u(D, G * H, H),
         "B": u(D, 2 * G * H), "initial_h": u(*state)}
    if lengths is not None:
        p["sequence_lens"] = np.asarray(lengths, dtype=np.int32)
    if cell == "lstm":
        p["initial_c"] = u(*state)
        if peepholes:
            p["P"] = u(D, 3 * H)
    return p


def one_node_model(cell, inputs, attrs):
    names = INPUTS[cell]
    present = [n for n in names if inputs.get(n) is not None]
    last = max(names.index(n) for n in present)
    outputs = ["Y", "Y_h", "Y_c"] if cell == "lstm" else ["Y", "Y_h"]
    node_inputs = [n if n in present else "" for n in names[:last + 1]]
    node = helper.make_node(OPS[cell], node_inputs, outputs, **attrs)

    def info(name, a):
        return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)

    dtype = helper.np_dtype_to_tensor_dtype(inputs["X"].dtype)
    graph = helper.make_graph([node], "one_node", [info(n, inputs[n]) for n in present],
                              [helper.make_tensor_value_info(o, dtype, None) for o in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    return model, {n: inputs[n] for n in present}


def run_reference(cell, inputs, attrs):
    model, feeds = one_node_model(cell, inputs, attrs)
    return ReferenceEvaluator(model).run(None, feeds)


def run_onnxruntime(cell, inputs, attrs):
    model, feeds = one_node_model(cell, inputs, attrs)
    options = ort.SessionOptions()
    options.log_severity_level = 4
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def check_outputs(got, ref, tol, what):
    assert len(got) == len(ref)
    for name, g, r in zip(["Y", "Y_h", "Y_c"], got, ref):
        assert g.dtype == r.dtype, f"{what} {name}: dtype {g.dtype} != {r.dtype}"
        assert_close(g, r, tol, f"{what} {name}")


@pytest.mark.parametrize("layout", [0, 1])
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("cell,opts", VARIANTS, ids=VARIANT_IDS)
def test_matches_reference_evaluator(cell, opts, direction, layout):
    D = 2 if direction == "bidirectional" else 1
    attrs = {"hidden_size": 3, "direction": direction, "layout": layout, **opts}
    for peepholes in [True, False][:2 if cell == "lstm" else 1]:
        inputs = problem(cell, D=D, layout=layout, peepholes=peepholes, seed=1)
        ref = run_reference(cell, inputs, attrs)
        got = FN[cell](**inputs, **attrs, backend="numpy")
        what = f"{cell} {direction} layout={layout} P={peepholes}"
        check_outputs(got, ref, TOL[np.dtype(np.float64)], what)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("cell,opts", VARIANTS, ids=VARIANT_IDS)
def test_matches_onnxruntime_with_sequence_lens(cell, opts, direction, backend):
    D = 2 if direction == "bidirectional" else 1
    inputs = problem(cell, T=5, B=4, D=D, dtype=np.float32, lengths=[5, 0, 2, 1], peepholes=False, seed=2)
    attrs = {"hidden_size": 3, "direction": direction, **opts}
    ref = run_onnxruntime(cell, inputs, attrs)
    got = FN[cell](**inputs, **attrs, backend=backend)
    check_outputs(got, ref, ORT_TOL, f"{cell} {direction} on {backend}")
    assert not got[0][1:, :, 1].any() and not got[0][2:, :, 2].any(), "Y past sequence_lens must be 0"
    for state in got[1:]:
        assert not state[:, 1].any(), "a zero-length sequence's final state must be 0 (ONNX Runtime)"


def _activation_cases():
    cases = []
    for a in ACTIVATIONS:
        cases += [("rnn", {"activations": [a]}),
                  ("rnn", {"activations": [a], "activation_alpha": [0.7], "activation_beta": [0.4]}),
                  ("gru", {"activations": [a, "Tanh"], "activation_alpha": [0.6], "activation_beta": [0.3]}),
                  ("gru", {"activations": ["Sigmoid", a], "linear_before_reset": 1}),
                  ("lstm", {"activations": [a, "Tanh", "Tanh"], "activation_alpha": [1.3]}),
                  ("lstm", {"activations": ["Sigmoid", a, "Tanh"], "activation_beta": [-0.2]}),
                  ("lstm", {"activations": ["Sigmoid", "Tanh", a], "activation_alpha": [0.8],
                            "activation_beta": [0.5]})]
    return cases


ATTRIBUTE_CASES = _activation_cases() + [
    ("lstm", {"clip": 0.3}), ("gru", {"clip": 0.3}), ("rnn", {"clip": 0.3}),
    ("gru", {"clip": 0.4, "linear_before_reset": 1}),
    ("lstm", {"input_forget": 1}), ("lstm", {"input_forget": 1, "clip": 0.5, "direction": "reverse"}),
    ("lstm", {"activations": ["HardSigmoid", "LeakyRelu", "ScaledTanh"] * 2, "direction": "bidirectional",
              "activation_alpha": [0.3, 0.2, 0.9, 0.1, 0.2, 0.3], "activation_beta": [0.6, 1.1, 0.7, 0.8]}),
    ("gru", {"activations": ["Sigmoid", "Tanh", "HardSigmoid", "Softsign"], "direction": "bidirectional",
             "activation_alpha": [0.4], "clip": 2.0}),
    ("rnn", {"activations": ["Relu", "Elu"], "direction": "bidirectional", "activation_alpha": [0.5]}),
]


@pytest.mark.parametrize("cell,attrs", ATTRIBUTE_CASES, ids=[f"{c}-{i}" for i, (c, _) in
                                                            enumerate(ATTRIBUTE_CASES)])
def test_attributes_match_onnxruntime(cell, attrs):
    D = 2 if attrs.get("direction") == "bidirectional" else 1
    inputs = problem(cell, T=4, B=3, D=D, dtype=np.float32, lengths=[4, 0, 3], seed=3)
    attrs = {"hidden_size": 3, **attrs}
    ref = run_onnxruntime(cell, inputs, attrs)
    got = FN[cell](**inputs, **attrs, backend="numpy")
    check_outputs(got, ref, ORT_TOL, f"{cell} {attrs}")


@pytest.mark.parametrize("cell,attrs", [("lstm", {"direction": "bidirectional", "clip": 0.7}),
                                        ("lstm", {"direction": "reverse"}),
                                        ("gru", {"direction": "bidirectional", "linear_before_reset": 1}),
                                        ("rnn", {"activations": ["Softsign"], "direction": "reverse"})])
def test_layout_1_is_layout_0_transposed(cell, attrs):
    D = 2 if attrs.get("direction") == "bidirectional" else 1
    inputs = problem(cell, T=4, B=3, D=D, lengths=[2, 4, 0], seed=4)
    out0 = FN[cell](**inputs, **attrs, backend="numpy")
    batch_first = {k: (v.transpose(1, 0, 2) if k in ("X", "initial_h", "initial_c") else v)
                   for k, v in inputs.items()}
    out1 = FN[cell](**batch_first, **attrs, layout=1, backend="numpy")
    assert_close(out1[0], out0[0].transpose(2, 0, 1, 3), TOL[np.dtype(np.float64)], "Y")
    for s1, s0 in zip(out1[1:], out0[1:]):
        assert_close(s1, s0.transpose(1, 0, 2), TOL[np.dtype(np.float64)], "state")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_fast_path_equals_general_path(cell, backend):
    """A clip no value reaches sends the call down the general NumPy path with identical math."""
    inputs = problem(cell, T=5, B=4, D=2, lengths=[5, 0, 3, 1], peepholes=False, seed=5)
    for extra in ({}, {"linear_before_reset": 1})[:2 if cell == "gru" else 1]:
        fast = FN[cell](**inputs, direction="bidirectional", backend=backend, **extra)
        general = FN[cell](**inputs, direction="bidirectional", clip=1e300, **extra)
        check_outputs(fast, general, TOL[np.dtype(np.float64)], f"{cell} {extra}")


def sigmoid(v):
    return 1 / (1 + math.exp(-v))


def test_lstm_hand_derived_gate_order():
    """One step, I = H = 1, R = 0: W rows are the gates i, o, f, c in ONNX's order."""
    w_i, w_o, w_f, w_c = 0.5, -1.0, 2.0, 0.3
    x, c0 = 1.5, 0.8
    W = np.array([[[w_i], [w_o], [w_f], [w_c]]])
    Y, Y_h, Y_c = gco.lstm(np.array([[[x]]]), W, np.zeros((1, 4, 1)), initial_c=np.array([[[c0]]]),
                           backend="numpy")
    c = sigmoid(w_f * x) * c0 + sigmoid(w_i * x) * math.tanh(w_c * x)
    h = sigmoid(w_o * x) * math.tanh(c)
    assert_close(Y_c, [[[c]]], TOL[np.dtype(np.float64)], "Y_c")
    assert_close(Y_h, [[[h]]], TOL[np.dtype(np.float64)], "Y_h")
    assert_close(Y, [[[[h]]]], TOL[np.dtype(np.float64)], "Y")


def test_gru_hand_derived_gate_order():
    """One step, I = H = 1: W rows are z, r, h; linear_before_reset 0 resets h before R_h."""
    w_z, w_r, w_h, r_z, r_r, r_h, x, h0 = 0.4, -0.7, 1.1, 0.2, 0.9, -0.6, 0.5, 0.3
    W, R = np.array([[[w_z], [w_r], [w_h]]]), np.array([[[r_z], [r_r], [r_h]]])
    z, r = sigmoid(w_z * x + r_z * h0), sigmoid(w_r * x + r_r * h0)
    for lbr, n in [(0, math.tanh(w_h * x + r_h * (r * h0))), (1, math.tanh(w_h * x + r * (r_h * h0)))]:
        _, Y_h = gco.gru(np.array([[[x]]]), W, R, initial_h=np.array([[[h0]]]), linear_before_reset=lbr,
                         backend="numpy")
        assert_close(Y_h, [[[(1 - z) * n + z * h0]]], TOL[np.dtype(np.float64)], f"Y_h lbr={lbr}")


def test_rnn_hand_derived_reverse_with_sequence_lens():
    """Reverse direction reads each sequence from its last real step; Y past it is 0."""
    w, r, b_w, b_r = 0.9, -0.5, 0.1, 0.2
    X = np.array([[[1.0], [2.0]], [[-1.0], [0.5]], [[3.0], [-2.0]]])       # [T=3, B=2, I=1]
    Y, Y_h = gco.rnn(X, np.array([[[w]]]), np.array([[[r]]]), np.array([[b_w, b_r]]),
                     sequence_lens=np.array([2, 3]), direction="reverse", backend="numpy")
    h1_b0 = math.tanh(w * -1.0 + b_w + b_r)                 # batch 0: steps 1 then 0
    h0_b0 = math.tanh(w * 1.0 + r * h1_b0 + b_w + b_r)
    h2_b1 = math.tanh(w * -2.0 + b_w + b_r)                 # batch 1: steps 2, 1, 0
    h1_b1 = math.tanh(w * 0.5 + r * h2_b1 + b_w + b_r)
    h0_b1 = math.tanh(w * 2.0 + r * h1_b1 + b_w + b_r)
    expected = np.array([[h0_b0, h0_b1], [h1_b0, h1_b1], [0.0, h2_b1]]).reshape(3, 1, 2, 1)
    assert_close(Y, expected, TOL[np.dtype(np.float64)], "Y")
    assert_close(Y_h, [[[h0_b0], [h0_b1]]], TOL[np.dtype(np.float64)], "Y_h")


def test_activation_parameters_hand_derived():
    """RNN with W = I, R = 0: Y is the activation applied to X, so each function and default shows."""
    xs = np.array([-2.0, -0.5, 0.0, 0.5, 0.7, 1.5])
    X = xs.reshape(1, 1, -1)
    W, R = np.eye(xs.size)[None], np.zeros((1, xs.size, xs.size))

    def act(name, **params):
        return gco.rnn(X, W, R, activations=[name], **params, backend="numpy")[0].ravel()

    exact = [("Affine", {}, 0 * xs), ("Affine", {"activation_alpha": [2.0], "activation_beta": [0.5]},
                                       2 * xs + 0.5),
             ("LeakyRelu", {}, np.where(xs >= 0, xs, 0.01 * xs)),
             ("ThresholdedRelu", {"activation_alpha": [0.5]}, np.where(xs > 0.5, xs, 0.0)),
             ("ScaledTanh", {"activation_alpha": [2.0], "activation_beta": [0.5]}, 2 * np.tanh(0.5 * xs)),
             ("HardSigmoid", {}, np.clip(0.2 * xs + 0.5, 0, 1)),
             ("Elu", {"activation_alpha": [0.5]}, np.where(xs >= 0, xs, 0.5 * (np.exp(xs) - 1))),
             ("Softsign", {}, xs / (1 + np.abs(xs))), ("Softplus", {}, np.log1p(np.exp(xs))),
             ("relu", {}, np.maximum(xs, 0)), ("SIGMOID", {}, 1 / (1 + np.exp(-xs)))]
    for name, params, expected in exact:
        assert_close(act(name, **params), expected, TOL[np.dtype(np.float64)], f"{name} {params}")


def test_lstm_peepholes_change_the_result():
    inputs = problem("lstm", seed=6)
    with_p = gco.lstm(**inputs, backend="numpy")
    without = gco.lstm(**{k: v for k, v in inputs.items() if k != "P"}, backend="numpy")
    assert np.abs(with_p[0] - without[0]).max() > 1e-3


@pytest.mark.parametrize("change,exc,words", [
    ({"direction": "sideways"}, ValueError, "direction"),
    ({"layout": 2}, ValueError, "layout"),
    ({"hidden_size": 5}, ValueError, "hidden_size"),
    ({"clip": -1.0}, ValueError, "clip"),
    ({"activations": ["Tanh", "Nope", "Tanh"]}, ValueError, "activations"),
    ({"activations": ["Sigmoid", "Tanh"]}, ValueError, "activations"),
    ({"W": np.zeros((1, 12, 3))}, ValueError, "W"),
    ({"B": np.zeros((1, 12))}, ValueError, "B"),
    ({"P": np.zeros((1, 6))}, ValueError, "P"),
    ({"initial_h": np.zeros((1, 2, 3))}, ValueError, "initial_h"),
    ({"initial_c": np.zeros((1, 3, 3), np.float32)}, TypeError, "initial_c"),
    ({"sequence_lens": np.array([1.0, 2.0, 3.0])}, TypeError, "sequence_lens"),
    ({"sequence_lens": np.array([1, 5, 3])}, ValueError, "sequence_lens"),
    ({"sequence_lens": np.array([1, 2])}, ValueError, "sequence_lens"),
    ({"X": np.zeros((4, 3, 2), np.int64)}, TypeError, "X"),
    ({"R": [[1.0]]}, TypeError, "R"),
    ({"input_forget": "yes"}, TypeError, "input_forget"),
])
def test_bad_input_names_the_argument(change, exc, words):
    inputs = problem("lstm", seed=7)
    call = {**inputs, "backend": "numpy", **change}
    with pytest.raises(exc, match=words):
        gco.lstm(**call)


def test_bidirectional_needs_the_activations_of_both_directions():
    inputs = problem("lstm", D=2, seed=7)
    with pytest.raises(ValueError, match="activations must list 6"):
        gco.lstm(**inputs, direction="bidirectional", activations=["Sigmoid", "Tanh", "Tanh"])
    with pytest.raises(ValueError, match="R must have shape"):
        gco.lstm(**inputs, direction="forward")


def test_float32_in_float32_out_and_noncontiguous_input():
    inputs = problem("gru", D=2, dtype=np.float32, lengths=[3, 0, 4], seed=8)
    Y, Y_h = gco.gru(**inputs, direction="bidirectional", backend="numpy")
    assert Y.dtype == Y_h.dtype == np.float32 and Y.shape == (4, 2, 3, 3) and Y_h.shape == (2, 3, 3)
    fortran = {k: np.asfortranarray(v) for k, v in inputs.items()}
    Y2, Y_h2 = gco.gru(**fortran, direction="bidirectional", backend="numpy")
    np.testing.assert_array_equal(Y2, Y)
    np.testing.assert_array_equal(Y_h2, Y_h)


def run_stack(cell, nodes, x):
    """Run ONNX nodes as a layer stack: node k reads node k-1's Y with the directions side by side."""
    states = []
    X = x
    for k, node in enumerate(nodes):
        out = FN[cell](X, node["W"], node["R"], node["B"], **node["attrs"], backend="numpy")
        Y = out[0] if node["attrs"]["layout"] == 0 else out[0].transpose(1, 2, 0, 3)
        T, D, B, H = Y.shape
        X = Y.transpose(0, 2, 1, 3).reshape(T, B, D * H)
        states.append(out[1:] if node["attrs"]["layout"] == 0 else [s.transpose(1, 0, 2) for s in out[1:]])
    return X, [np.concatenate(s) for s in zip(*states)]


def from_layer_checked(layer, cell):
    nodes = gco.from_layer(layer)
    G, H = GATES[cell], layer.hidden_size
    assert [n["W"].shape for n in nodes] == [(2, G * H, 2), (2, G * H, 2 * H)]
    return nodes


@pytest.mark.parametrize("cell,options", [("lstm", {}), ("gru", {"linear_before_reset": False}),
                                          ("gru", {"linear_before_reset": True}),
                                          ("rnn", {"nonlinearity": "relu"}),
                                          ("rnn", {"nonlinearity": "tanh", "bias": False})],
                         ids=["lstm", "gru", "gru-lbr", "rnn-relu", "rnn-nobias"])
def test_from_layer_computes_the_layer(cell, options):
    layer = getattr(gc, cell.upper())(2, 3, 2, bidirectional=True, dtype=np.float64, backend="numpy",
                                      seed=9, **options)
    nodes = from_layer_checked(layer, cell)
    x = np.random.default_rng(10).standard_normal((4, 3, 2))
    y, state = layer(x)
    y_onnx, state_onnx = run_stack(cell, nodes, x)
    assert_close(y_onnx, y, TOL[np.dtype(np.float64)], "y")
    for s_onnx, s in zip(state_onnx, state if cell == "lstm" else (state,)):
        assert_close(s_onnx, s, TOL[np.dtype(np.float64)], "state")
    back = gco.to_layer(cell, nodes, backend="numpy")
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[name], value, err_msg=name)


def test_batch_first_layer_maps_to_layout_1():
    layer = gc.GRU(2, 3, batch_first=True, dtype=np.float64, backend="numpy", seed=11)
    (node,) = gco.from_layer(layer)
    assert node["attrs"]["layout"] == 1 and node["attrs"]["linear_before_reset"] == 1
    x = np.random.default_rng(12).standard_normal((3, 4, 2))           # [B, T, I]
    y, h_n = layer(x)
    Y, Y_h = gco.gru(x, node["W"], node["R"], node["B"], **node["attrs"], backend="numpy")
    assert_close(Y[:, :, 0], y, TOL[np.dtype(np.float64)], "Y")
    assert_close(Y_h.transpose(1, 0, 2), h_n, TOL[np.dtype(np.float64)], "Y_h")


def test_onnx_weights_into_a_layer_match_onnxruntime():
    """ONNX LSTM and GRU (linear_before_reset 0, ONNX's default) weights loaded into gatecore layers."""
    for cell in ("lstm", "gru"):
        inputs = problem(cell, D=2, dtype=np.float32, peepholes=False, seed=13)
        attrs = {"hidden_size": 3, "direction": "bidirectional"}
        ref = run_onnxruntime(cell, {k: inputs[k] for k in ("X", "W", "R", "B")}, attrs)
        layer = gco.to_layer(cell, [{"W": inputs["W"], "R": inputs["R"], "B": inputs["B"], "attrs": attrs}],
                             backend="numpy")
        y, state = layer(inputs["X"])
        assert_close(y, ref[0].transpose(0, 2, 1, 3).reshape(y.shape), ORT_TOL, f"{cell} y")
        assert_close(state[0] if cell == "lstm" else state, ref[1], ORT_TOL, f"{cell} h_n")


def test_torch_state_dict_to_onnx():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.LSTM(2, 3, bidirectional=True).double()
    x = np.random.default_rng(14).standard_normal((4, 2, 2))
    with torch.no_grad():
        y, (h_n, c_n) = net(torch.from_numpy(x))
    W, R, B = gco.from_state_dict("lstm", net.state_dict(), bidirectional=True)
    Y, Y_h, Y_c = gco.lstm(x, W, R, B, direction="bidirectional", backend="numpy")
    assert_close(Y.transpose(0, 2, 1, 3).reshape(4, 2, 6), y.numpy(), TOL[np.dtype(np.float64)], "Y")
    assert_close(Y_h, h_n.numpy(), TOL[np.dtype(np.float64)], "Y_h")
    assert_close(Y_c, c_n.numpy(), TOL[np.dtype(np.float64)], "Y_c")


@pytest.mark.parametrize("cell,attrs,words", [
    ("lstm", {"clip": 1.0}, "clip"),
    ("lstm", {"direction": "reverse"}, "reverse"),
    ("gru", {"activations": ["Sigmoid", "Relu"]}, "defaults"),
    ("rnn", {"activations": ["Softsign"]}, "Tanh, Relu"),
    ("lstm", {"input_forget": 1}, "input_forget"),
])
def test_to_layer_rejects_what_a_layer_cannot_compute(cell, attrs, words):
    inputs = problem(cell, peepholes=False, seed=15)
    with pytest.raises(ValueError, match=words):
        gco.to_layer(cell, [{"W": inputs["W"], "R": inputs["R"], "B": inputs["B"], "attrs": attrs}])


def test_projection_has_no_onnx_form():
    with pytest.raises(ValueError, match="proj"):
        gco.from_layer(gc.LSTM(2, 4, proj_size=2, backend="numpy", seed=0))


@settings(deadline=None)
@given(cell=st.sampled_from(["lstm", "gru", "rnn"]), direction=st.sampled_from(DIRECTIONS),
       T=st.integers(1, 4), B=st.integers(1, 3), I=st.integers(1, 3), H=st.integers(1, 3),
       seed=st.integers(0, 2**16), general=st.booleans())
def test_property_shapes_and_lengths_match_onnxruntime(cell, direction, T, B, I, H, seed, general):
    D = 2 if direction == "bidirectional" else 1
    lengths = np.random.default_rng(seed).integers(0, T + 1, size=B)
    inputs = problem(cell, T=T, B=B, I=I, H=H, D=D, dtype=np.float32, lengths=lengths, peepholes=general,
                     seed=seed)
    attrs = {"hidden_size": H, "direction": direction, **({"clip": 0.8} if general else {})}
    ref = run_onnxruntime(cell, inputs, attrs)
    got = FN[cell](**inputs, **attrs, backend=BACKENDS[-1])
    check_outputs(got, ref, ORT_TOL, f"{cell} {attrs} T={T} B={B} I={I} H={H} lengths={lengths}")
