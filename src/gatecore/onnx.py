"""The ONNX LSTM, GRU and RNN operators (opset 14 and later) on NumPy arrays, and weight conversions.

    Y, Y_h, Y_c = gc.onnx.lstm(X, W, R, B=None, sequence_lens=None, initial_h=None, initial_c=None, P=None,
                               **attrs)
    Y, Y_h      = gc.onnx.gru(X, W, R, B=None, sequence_lens=None, initial_h=None, **attrs)
    Y, Y_h      = gc.onnx.rnn(X, W, R, B=None, sequence_lens=None, initial_h=None, **attrs)

attrs are the operators' attributes as keywords: hidden_size, direction, layout, activations,
activation_alpha, activation_beta, clip, input_forget (LSTM), linear_before_reset (GRU); plus backend=
(gatecore's, default "cpu").
Strings may be str or bytes (as onnx.helper.get_attribute_value returns them). Nothing here imports `onnx`.

Shapes (D = 2 if direction == "bidirectional" else 1; G = 4 LSTM, 3 GRU, 1 RNN):
    X [T, B, I] (layout 0) or [B, T, I] (layout 1)   W [D, G*H, I]   R [D, G*H, H]   B [D, 2*G*H] = [Wb, Rb]
    sequence_lens int [B], 0 <= lengths <= T           P [D, 3H] peepholes in order i, o, f
    initial_h, initial_c, Y_h, Y_c [D, B, H] (layout 0) or [B, D, H] (layout 1)
    Y [T, D, B, H] (layout 0) or [B, T, D, H] (layout 1)
Gate orders: ONNX LSTM stacks i, o, f, c (gatecore/PyTorch: i, f, g, o); ONNX GRU stacks z, r, h (gatecore:
r, z, n). The equations are the ONNX specification's, written out in gatecore.onnx_general.

Paths. With the default activations (LSTM Sigmoid/Tanh/Tanh, GRU Sigmoid/Tanh, RNN Tanh or Relu), no clip, no
(or all-zero) peepholes and input_forget = 0, a direction runs on gatecore's kernels (gc.lstm_forward etc. on
`backend`), with the gates reordered at the boundary; anything else runs on the exact NumPy loop of
gatecore.onnx_general. Both compute in the dtype of X (float32 or float64).

Where the specification is silent, this follows ONNX Runtime's CPU kernels (checked against onnxruntime 1.32):
  - Y is 0 at steps t >= sequence_lens[b]; Y_h/Y_c hold each sequence's state after its last real step; the
    reverse direction reads sequence b from step sequence_lens[b]-1 back to 0.
  - a sequence of length 0 gives Y = 0 and Y_h = Y_c = 0, whatever initial_h/initial_c hold (ONNX Runtime;
    gatecore's kernels and PyTorch would return the initial state there).
  - clip bounds the input of every gate activation (f and g); the cell state C passed to h is not clipped.
  - input_forget = 1 replaces the forget gate by f = 1 - i (after the activation; P_f is then unused).
  - activation_alpha / activation_beta are consumed in order only by the activations that take a parameter
    (alpha: Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu; beta: Affine, ScaledTanh,
    HardSigmoid); a missing value is 0, except LeakyRelu 0.01, HardSigmoid 0.2, 0.5 and Elu 1 (ONNX Runtime;
    so Affine and ScaledTanh without parameters give 0). ThresholdedRelu passes x only where x > alpha (the
    ONNX ThresholdedRelu operator and ONNX Runtime; the RNN operator docs write x >= alpha).
  - with direction = "bidirectional", activations must list the functions of both directions (ONNX Runtime
    rejects a list for one direction).
  - layout = 1 is implemented by transposing; ONNX Runtime's CPU kernels reject it, so it is checked against
    the onnx package's reference evaluator only.
The onnx package's reference evaluator ignores sequence_lens, clip, input_forget and (for LSTM and GRU) the
activations attributes; it agrees with this module wherever it implements the attribute.

Conversions (gates reordered, B = [b_ih, b_hh]): from_state_dict(cell, sd, layer, bidirectional) gives one
layer's W, R, B from a PyTorch-named state_dict (gc.LSTM/GRU/RNN or torch.nn's); to_state_dict(cell, W, R, B,
layer) goes back; from_layer(layer) gives {"W", "R", "B", "attrs"} per layer of a gc.LSTM/GRU/RNN and
to_layer(cell, nodes) builds the layer from such a list. Layer k >= 1 of a stack reads the previous node's Y
as Y.transpose(0, 2, 1, 3).reshape(T, B, D * H) (forward features first, as PyTorch). ONNX GRU's default
linear_before_reset = 0 is gc.GRU(linear_before_reset=False); PyTorch's GRU is linear_before_reset = 1.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import api as _api
from . import onnx_general as _general

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_GATES = {"lstm": 4, "gru": 3, "rnn": 1}
_DEFAULT_ACTS = {"lstm": ("sigmoid", "tanh", "tanh"), "gru": ("sigmoid", "tanh"), "rnn": ("tanh",)}
_DIRECTIONS = ("forward", "reverse", "bidirectional")
# ONNX gate blocks listed in gatecore's order, and the inverse
_TO_GATECORE = {"lstm": (0, 2, 3, 1), "gru": (1, 0, 2), "rnn": (0,)}
_TO_ONNX = {"lstm": (0, 3, 1, 2), "gru": (1, 0, 2), "rnn": (0,)}


def _text(name, value):
    if isinstance(value, bytes):
        return value.decode()
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    return value


def _float_array(name, a):
    if a is None or not (isinstance(a, np.ndarray) or hasattr(a, "__array__")):
        raise TypeError(f"{name} must be an array, got {type(a).__name__}")
    a = np.asarray(a)
    if a.dtype not in _FLOATS:
        raise TypeError(f"{name} must be float32 or float64, got dtype {a.dtype}")
    return a


def _shaped(name, a, shape, dtype):
    """Optional float input: None or an array of exactly `shape` and `dtype`."""
    if a is None:
        return None
    a = _float_array(name, a)
    if a.dtype != dtype:
        raise TypeError(f"all float inputs must share X's dtype {dtype}, {name} is {a.dtype}")
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


def _flag(name, value):
    if isinstance(value, (bool, np.bool_)) or isinstance(value, numbers.Integral):
        return bool(value)
    raise TypeError(f"{name} must be an int (0 or 1), got {type(value).__name__}")


def _activations(cell, activations, alpha, beta, D, dtype):
    """Per direction: (lower-case names, callables), following ONNX Runtime's consumption of alpha/beta."""
    n = len(_DEFAULT_ACTS[cell])
    if activations is None:
        names = list(_DEFAULT_ACTS[cell]) * D
    else:
        if isinstance(activations, (str, bytes)):
            raise TypeError("activations must be a list of strings, got a single string")
        names = [_text("activations", a).lower() for a in activations]
        if len(names) != n * D:
            raise ValueError(f"activations must list {n * D} functions for {cell.upper()} with "
                             f"{D} direction(s), got {len(names)}")
        for a in names:
            if a not in _general.ACTIVATIONS:
                raise ValueError(f"activations: unknown function {a!r}; expected one of "
                                 f"{sorted(_general.ACTIVATIONS)} (any case)")
    alphas = [float(v) for v in (alpha if alpha is not None else [])]
    betas = [float(v) for v in (beta if beta is not None else [])]
    funcs = []
    for a in names:
        _, default_alpha, default_beta = _general.ACTIVATIONS[a]
        al = (alphas.pop(0) if alphas else default_alpha) if default_alpha is not None else None
        be = (betas.pop(0) if betas else default_beta) if default_beta is not None else None
        funcs.append(_general.activation(a, al, be, dtype))
    return [(tuple(names[d * n:(d + 1) * n]), tuple(funcs[d * n:(d + 1) * n])) for d in range(D)]


class _Problem:
    """One validated operator call, time-major, with per-direction weights split out."""

    def __init__(self, cell, X, W, R, B, sequence_lens, initial_h, initial_c, P, hidden_size, direction,
                 layout, activations, activation_alpha, activation_beta, clip):
        G = _GATES[cell]
        direction = _text("direction", direction)
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction must be one of {_DIRECTIONS}, got {direction!r}")
        if isinstance(layout, bool) or layout not in (0, 1):
            raise ValueError(f"layout must be 0 or 1, got {layout!r}")
        D = 2 if direction == "bidirectional" else 1
        X = _float_array("X", X)
        dtype = X.dtype
        if X.ndim != 3 or min(X.shape) < 1:
            raise ValueError(f"X must be 3-D {'[T, B, I]' if layout == 0 else '[B, T, I]'} with every size "
                             f">= 1, got shape {X.shape}")
        x = X if layout == 0 else X.transpose(1, 0, 2)
        T, Bn, I = x.shape
        R = _float_array("R", R)
        if R.ndim != 3 or R.shape[0] != D or R.shape[1] % G or R.shape[1] != G * R.shape[2] or R.shape[2] < 1:
            raise ValueError(f"R must have shape [{D}, {G}*H, H] for direction {direction!r}, got {R.shape}")
        H = R.shape[2]
        if hidden_size is not None and hidden_size != H:
            raise ValueError(f"hidden_size={hidden_size!r} disagrees with R of shape {R.shape} (H = {H})")
        W = _shaped("W", W, (D, G * H, I), dtype)
        if W is None:
            raise TypeError("W must be an array, got NoneType")
        R = _shaped("R", R, (D, G * H, H), dtype)
        B = _shaped("B", B, (D, 2 * G * H), dtype)
        state_shape = (D, Bn, H) if layout == 0 else (Bn, D, H)
        h0 = _shaped("initial_h", initial_h, state_shape, dtype)
        c0 = _shaped("initial_c", initial_c, state_shape, dtype)
        if layout == 1:
            h0 = None if h0 is None else h0.transpose(1, 0, 2)
            c0 = None if c0 is None else c0.transpose(1, 0, 2)
        self.P = _shaped("P", P, (D, 3 * H), dtype)
        self.lengths = None if sequence_lens is None else _lengths(sequence_lens, T, Bn)
        if clip is not None:
            if isinstance(clip, bool) or not isinstance(clip, numbers.Real):
                raise TypeError(f"clip must be a float, got {type(clip).__name__}")
            if not clip > 0:
                raise ValueError(f"clip must be > 0, got {clip}")
            clip = float(clip)
        self.cell, self.x, self.W, self.R, self.h0, self.c0, self.clip = cell, x, W, R, h0, c0, clip
        self.Wb = None if B is None else B[:, :G * H]
        self.Rb = None if B is None else B[:, G * H:]
        self.reverse = [direction == "reverse", True][:D]
        self.acts = _activations(cell, activations, activation_alpha, activation_beta, D, dtype)
        self.layout, self.dtype, self.H = layout, dtype, H

    def general_args(self, d):
        """x, w, r, wb, rb, h0[, c0] of direction d for onnx_general (zeros for absent biases and states)."""
        GH = self.W.shape[1]
        Bn = self.x.shape[1]
        zeros = np.zeros(GH, self.dtype)
        h0 = np.zeros((Bn, self.H), self.dtype) if self.h0 is None else self.h0[d]
        args = [self.x, self.W[d], self.R[d], zeros if self.Wb is None else self.Wb[d],
                zeros if self.Rb is None else self.Rb[d], h0]
        if self.cell == "lstm":
            args.append(np.zeros((Bn, self.H), self.dtype) if self.c0 is None else self.c0[d])
        return args

    def kernel_args(self, d):
        """x, w_ih, w_hh, b_ih, b_hh, h0[, c0] of direction d for gatecore's kernels (gates reordered)."""
        order = _TO_GATECORE[self.cell]
        args = [self.x, _reorder(self.W[d], order), _reorder(self.R[d], order),
                None if self.Wb is None else _reorder(self.Wb[d], order),
                None if self.Rb is None else _reorder(self.Rb[d], order),
                None if self.h0 is None else self.h0[d]]
        if self.cell == "lstm":
            args.append(None if self.c0 is None else self.c0[d])
        return args

    def outputs(self, ys, states):
        """Y and one [D, B, H] array per state, in the requested layout (zero-length sequences: state 0)."""
        Y = np.stack(ys, axis=1)
        finals = [np.stack(s) for s in zip(*states)]
        if self.lengths is not None and not self.lengths.all():
            for s in finals:
                s[:, self.lengths == 0] = 0
        if self.layout == 1:
            Y = np.ascontiguousarray(Y.transpose(2, 0, 1, 3))
            finals = [np.ascontiguousarray(s.transpose(1, 0, 2)) for s in finals]
        return (Y, *finals)


def _lengths(sequence_lens, T, B):
    a = np.asarray(sequence_lens)
    if a.dtype.kind not in "iu":
        raise TypeError(f"sequence_lens must be an integer array, got dtype {a.dtype}")
    if a.shape != (B,):
        raise ValueError(f"sequence_lens must have shape ({B},), got {a.shape}")
    if a.min() < 0 or a.max() > T:
        raise ValueError(f"sequence_lens must satisfy 0 <= sequence_lens[b] <= T = {T}, "
                         f"got values in [{a.min()}, {a.max()}]")
    return a.astype(np.int64)


def _reorder(a, order, axis=0):
    """Split `a` into len(order) equal gate blocks along `axis` and stack them in `order`."""
    blocks = np.split(np.asarray(a), len(order), axis=axis)
    return np.ascontiguousarray(np.concatenate([blocks[k] for k in order], axis=axis))


def lstm(X, W, R, B=None, sequence_lens=None, initial_h=None, initial_c=None, P=None, *, hidden_size=None,
         direction="forward", layout=0, activations=None, activation_alpha=None, activation_beta=None,
         clip=None, input_forget=0, backend=None):
    """The ONNX LSTM operator. Returns Y, Y_h, Y_c (shapes in the module docstring)."""
    p = _Problem("lstm", X, W, R, B, sequence_lens, initial_h, initial_c, P, hidden_size, direction, layout,
                 activations, activation_alpha, activation_beta, clip)
    input_forget = _flag("input_forget", input_forget)
    ys, states = [], []
    for d, reverse in enumerate(p.reverse):
        names, acts = p.acts[d]
        peep = None if p.P is None or not p.P[d].any() else p.P[d]
        if names == _DEFAULT_ACTS["lstm"] and p.clip is None and peep is None and not input_forget:
            y, h_n, c_n = _api.lstm_forward(*p.kernel_args(d), lengths=p.lengths, reverse=reverse,
                                            backend=backend)
        else:
            y, h_n, c_n = _general.lstm_forward(*p.general_args(d), peep, p.lengths, reverse, acts, p.clip,
                                                input_forget)
        ys.append(y)
        states.append((h_n, c_n))
    return p.outputs(ys, states)


def gru(X, W, R, B=None, sequence_lens=None, initial_h=None, *, hidden_size=None, direction="forward",
        layout=0, activations=None, activation_alpha=None, activation_beta=None, clip=None,
        linear_before_reset=0, backend=None):
    """The ONNX GRU operator. Returns Y, Y_h (shapes in the module docstring)."""
    p = _Problem("gru", X, W, R, B, sequence_lens, initial_h, None, None, hidden_size, direction, layout,
                 activations, activation_alpha, activation_beta, clip)
    linear_before_reset = _flag("linear_before_reset", linear_before_reset)
    ys, states = [], []
    for d, reverse in enumerate(p.reverse):
        names, acts = p.acts[d]
        if names == _DEFAULT_ACTS["gru"] and p.clip is None:
            y, h_n = _api.gru_forward(*p.kernel_args(d), linear_before_reset=linear_before_reset,
                                      lengths=p.lengths, reverse=reverse, backend=backend)
        else:
            y, h_n = _general.gru_forward(*p.general_args(d), p.lengths, reverse, acts, p.clip,
                                          linear_before_reset)
        ys.append(y)
        states.append((h_n,))
    return p.outputs(ys, states)


def rnn(X, W, R, B=None, sequence_lens=None, initial_h=None, *, hidden_size=None, direction="forward",
        layout=0, activations=None, activation_alpha=None, activation_beta=None, clip=None, backend=None):
    """The ONNX RNN operator. Returns Y, Y_h (shapes in the module docstring)."""
    p = _Problem("rnn", X, W, R, B, sequence_lens, initial_h, None, None, hidden_size, direction, layout,
                 activations, activation_alpha, activation_beta, clip)
    ys, states = [], []
    for d, reverse in enumerate(p.reverse):
        names, acts = p.acts[d]
        if names[0] in ("tanh", "relu") and p.clip is None:
            y, h_n = _api.rnn_forward(*p.kernel_args(d), nonlinearity=names[0], lengths=p.lengths,
                                      reverse=reverse, backend=backend)
        else:
            y, h_n = _general.rnn_forward(*p.general_args(d), p.lengths, reverse, acts, p.clip)
        ys.append(y)
        states.append((h_n,))
    return p.outputs(ys, states)


def _param_name(kind, k, d):
    return f"{kind}_l{k}{'_reverse' if d else ''}"


def from_state_dict(cell, state_dict, layer=0, bidirectional=False):
    """ONNX W [D, G*H, I], R [D, G*H, H] and B [D, 2*G*H] (None without biases) of layer `layer` of a
    PyTorch-named state_dict (gc.LSTM/GRU/RNN or torch.nn.LSTM/GRU/RNN; torch CPU tensors work).

    The gates are reordered from gatecore's (LSTM i, f, g, o; GRU r, z, n) to ONNX's (i, o, f, c; z, r, h);
    B is [b_ih, b_hh] per direction. An LSTM with projections (weight_hr_l*) has no ONNX form: ValueError.
    """
    if cell not in _GATES:
        raise ValueError(f"cell must be one of {tuple(_GATES)}, got {cell!r}")
    order = _TO_ONNX[cell]
    if any(name.startswith("weight_hr") for name in state_dict):
        raise ValueError("state_dict has projections (weight_hr_l*): the ONNX LSTM has no projection")
    directions = range(2 if bidirectional else 1)

    def get(kind, d):
        name = _param_name(kind, layer, d)
        if name not in state_dict:
            raise ValueError(f"state_dict has no {name!r} (layer={layer}, bidirectional={bidirectional})")
        return _reorder(np.asarray(state_dict[name]), order)

    W = np.stack([get("weight_ih", d) for d in directions])
    R = np.stack([get("weight_hh", d) for d in directions])
    if _param_name("bias_ih", layer, 0) not in state_dict:
        return W, R, None
    B = np.stack([np.concatenate([get("bias_ih", d), get("bias_hh", d)]) for d in directions])
    return W, R, B


def to_state_dict(cell, W, R, B=None, layer=0):
    """The PyTorch-named parameters of layer `layer` (gates in gatecore's order) from ONNX W, R and B.

    D = W.shape[0] directions; the second gets the `_reverse` names. Without B there are no bias entries.
    """
    if cell not in _GATES:
        raise ValueError(f"cell must be one of {tuple(_GATES)}, got {cell!r}")
    order = _TO_GATECORE[cell]
    W, R = _float_array("W", W), _float_array("R", R)
    G = _GATES[cell]
    if W.ndim != 3 or R.ndim != 3 or W.shape[0] not in (1, 2) or R.shape[:2] != W.shape[:2] \
            or R.shape[1] != G * R.shape[2]:
        raise ValueError(f"W must be [D, {G}*H, I] and R [D, {G}*H, H] with D in (1, 2), got W {W.shape}, "
                         f"R {R.shape}")
    GH = W.shape[1]
    if B is not None:
        B = _float_array("B", B)
        if B.shape != (W.shape[0], 2 * GH):
            raise ValueError(f"B must have shape {(W.shape[0], 2 * GH)}, got {B.shape}")
    sd = {}
    for d in range(W.shape[0]):
        sd[_param_name("weight_ih", layer, d)] = _reorder(W[d], order)
        sd[_param_name("weight_hh", layer, d)] = _reorder(R[d], order)
        if B is not None:
            sd[_param_name("bias_ih", layer, d)] = _reorder(B[d, :GH], order)
            sd[_param_name("bias_hh", layer, d)] = _reorder(B[d, GH:], order)
    return sd


def from_layer(layer):
    """One dict per layer k of a gc.LSTM/GRU/RNN: {"W", "R", "B" (None without bias), "attrs"}, where
    attrs are the ONNX attributes that make gc.onnx.<cell>(X_k, W, R, B, **attrs) compute layer k.

    X_0 is the layer's input (layout 1 when batch_first); X_{k+1} is Y_k.transpose(0, 2, 1, 3).reshape(T, B,
    D * H) (layout 0). Note: ONNX gives Y_h = 0 for a zero-length sequence where the layer gives h0.
    """
    from . import layers as _layers
    cell = {_layers.LSTM: "lstm", _layers.GRU: "gru", _layers.RNN: "rnn"}.get(type(layer))
    if cell is None:
        raise TypeError(f"layer must be a gc.LSTM, gc.GRU or gc.RNN, got {type(layer).__name__}")
    if getattr(layer, "proj_size", 0):
        raise ValueError("an LSTM with proj_size > 0 has no ONNX form (the ONNX LSTM has no projection)")
    D = layer.num_directions
    attrs = {"hidden_size": layer.hidden_size, "direction": "bidirectional" if D == 2 else "forward"}
    if cell == "gru":
        attrs["linear_before_reset"] = int(layer.linear_before_reset)
    if cell == "rnn":
        attrs["activations"] = [layer.nonlinearity.capitalize()] * D
    sd = layer.state_dict()
    nodes = []
    for k in range(layer.num_layers):
        W, R, B = from_state_dict(cell, sd, k, D == 2)
        layout = int(layer.batch_first and k == 0)
        nodes.append({"W": W, "R": R, "B": B, "attrs": {**attrs, "layout": layout}})
    return nodes


def _layer_options(cell, attrs):
    """(direction, gc layer keyword options) of one node's ONNX attributes; ValueError if no layer fits."""
    attrs = {k: v for k, v in attrs.items() if k not in ("layout", "hidden_size")}
    direction = _text("direction", attrs.pop("direction", "forward"))
    if direction not in ("forward", "bidirectional"):
        raise ValueError(f"direction {direction!r} has no layer form (a layer's first direction is forward)")
    acts = attrs.pop("activations", None)
    n = len(_DEFAULT_ACTS[cell])
    names = None if acts is None else {_text("activations", a).lower() for a in acts}
    options = {}
    if cell == "gru":
        options["linear_before_reset"] = bool(attrs.pop("linear_before_reset", 0))
    if cell == "rnn":
        options["nonlinearity"] = "tanh" if names is None else names.pop() if len(names) == 1 else None
        if options["nonlinearity"] not in ("tanh", "relu"):
            raise ValueError(f"activations {acts!r}: a gc.RNN applies one of Tanh, Relu in every direction")
    elif acts is not None and [a.lower() for a in acts] != list(_DEFAULT_ACTS[cell]) * max(1, len(acts) // n):
        raise ValueError(f"activations {acts!r} are not the defaults a gc.{cell.upper()} computes")
    extra = sorted(k for k, v in attrs.items() if v is not None and not (k == "input_forget" and v == 0))
    if extra:
        raise ValueError(f"ONNX attributes {extra} have no gc.{cell.upper()} form")
    return direction, options


def to_layer(cell, nodes, *, batch_first=False, dtype=None, backend=None):
    """A gc.LSTM/GRU/RNN whose layer k computes ONNX node k: nodes[k] = {"W", "R", "B" (optional),
    "attrs" (optional ONNX attributes)} as from_layer returns them.

    Every node must agree on directions, hidden size, biases and options, and use what a PyTorch-style layer
    computes: direction forward or bidirectional, the default activations (RNN: Tanh or Relu), no clip,
    no peepholes, input_forget = 0 (ValueError otherwise). dtype defaults to the weights' dtype.
    """
    from . import layers as _layers
    if cell not in _GATES:
        raise ValueError(f"cell must be one of {tuple(_GATES)}, got {cell!r}")
    if not nodes:
        raise ValueError("nodes must list at least one ONNX node's weights")
    sd, kinds = {}, set()
    for k, node in enumerate(nodes):
        direction, options = _layer_options(cell, dict(node.get("attrs") or {}))
        W, R, B = node["W"], node["R"], node.get("B")
        sd.update(to_state_dict(cell, W, R, B, layer=k))
        D, H = np.shape(W)[0], np.shape(R)[-1]
        if D != (2 if direction == "bidirectional" else 1):
            raise ValueError(f"nodes[{k}]: direction {direction!r} does not fit W with {D} direction(s)")
        kinds.add((D, H, B is None, tuple(sorted(options.items()))))
    if len(kinds) != 1:
        raise ValueError(f"nodes disagree on (directions, hidden size, no bias, options): {sorted(kinds)}")
    D, H, no_bias, options = kinds.pop()
    first = np.asarray(nodes[0]["W"])
    layer = getattr(_layers, cell.upper())(first.shape[2], H, len(nodes), bias=not no_bias,
                                           batch_first=batch_first, bidirectional=D == 2,
                                           dtype=dtype or first.dtype, backend=backend, **dict(options))
    layer.load_state_dict(sd)
    return layer
