"""Multi-layer, bidirectional LSTM / GRU / RNN layers over the kernels of api.py (API.md §3), as PyTorch's.

A layer with L layers and D directions (D = 2 if bidirectional, d = 0 forward, d = 1 reverse) makes L*D kernel
calls, k = 0 .. L-1, each one layer and one direction:

    u_0 = x                                                       [T, B, I]
    y_k^d, s_k^d = kernel(u_k, params(k, d), s0[k*D + d], reverse = (d == 1), lengths)
    u_{k+1} = concat(y_k^0, y_k^1; last axis) * mask_k            [T, B, D*H_out]   (mask: training only)
    y = concat(y_{L-1}^0, y_{L-1}^1; last axis)                   (no dropout after the last layer)

Shapes (time-major; [B, T, ...] for x, y and dy when batch_first): x [T, B, I], y [T, B, D*H_out],
h0 / h_n [L*D, B, H_out], c0 / c_n [L*D, B, H] (LSTM), H_out = proj_size or hidden_size, state index k*D + d
as in PyTorch. The LSTM projection (proj_size) is the kernels' own `w_hr` argument:
h_t = W_hr (o * tanh(c_t)).

`lengths` [B] goes to every kernel call: outputs past a sequence's end are 0, its final state is the one after
its last real step, and the reverse direction starts at each sequence's own last step (PyTorch's
packed-sequence semantics). Dropout is inverted, between layers and in forward_train only (dropout.py);
the masks stay on the tape. Backward walks the layers top down: the gradient of each layer's output is
split by direction, each kernel backward returns the gradients of its input (summed over the directions), of
its initial state and of its parameters, and between layers the input gradient is multiplied by the mask.

Memory: `forward` (inference) keeps no tape; each kernel call's intermediates are freed as soon as the next
layer has its input. A forward_train tape holds, per layer k and direction, the backend's kernel tape, which
on the numpy backend is about (elements of the layer's dtype; I_k = input_size for k = 0, else D*H_out)

    LSTM  T*B*(I_k + 4H) + (T+1)*B*(H_out + H)      (step-ordered input copy, gates i f g o, h and c)
    GRU   T*B*(I_k + 4H) + (T+1)*B*H                (input, gates r z n, W_hn h + b_hn, h)
    RNN   T*B*I_k + (T+1)*B*H                       (input, h)

plus T*B int64 + bool bookkeeping per call, and (L-1) dropout masks of T*B*D*H_out each. The cpu backend
keeps the layer input by reference (shared by both directions) and, for the LSTM, T*B*(6H + H_out) (gates,
c_{t-1}, c_t, h_{t-1}); for the RNN, 2*T*B*H (pre-activations, h_{t-1}). `tape.nbytes` reports the exact
figure for any backend (parameters excluded).

Bidirectional layers: the two directions of a layer are independent; where that pays (CONCURRENT below: the cpu
backend at shapes whose kernels run on one thread) the reverse direction runs in a worker thread while the
forward one runs in the caller's (the kernels release the GIL).
"""
from __future__ import annotations

import functools
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from . import api
from .backends import DTYPES, check_name
from . import weights as _weights
from .dropout import Dropout, check_p
from .prepacked import prepack

# Backends whose two directions of a layer always run concurrently (their kernels release the GIL). Empty: on
# the 2-core development machine neither "c" (cffi releases the GIL) nor "numpy" measured faster threaded (LSTM
# T=40 B=8 H=64: within noise). Add names that measure faster. The "cpu" backend runs its directions concurrently
# exactly when each direction's time loop stays on one thread (cpu_common.one_thread_each) and then keeps its GEMMs
# on that thread too (cpu_common.on_this_thread): the two use two cores and no parallel region is ever
# launched from two threads at once (which Numba's workqueue layer forbids).
# Measured (bidirectional, T=128, float32, 2 threads, best of 15, in turn vs concurrent): LSTM B=16 H=128 22.6 vs
# 15.0 ms, GRU B=4 H=128 5.2 vs 3.0 ms, LSTM B=1 H=64 1.56 vs 1.64 ms; LSTM B=1 H=256, whose kernel is threaded
# itself, 6.8 vs 7.6 ms (so it stays in turn).
CONCURRENT: frozenset = frozenset()

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()

# state_dict name stem -> the kernels' argument name (their gradient is "d" + that name)
_ROLE = {"weight_ih": "w_ih", "weight_hh": "w_hh", "bias_ih": "b_ih", "bias_hh": "b_hh", "weight_hr": "w_hr"}


def _on_this_thread(call):
    """call() with the cpu backend's GEMMs and time loops kept on the calling thread (cpu_common.on_this_thread)."""
    from . import cpu_common
    with cpu_common.on_this_thread():
        return call()


def _worker() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gatecore-reverse")
    return _pool


@dataclass
class Grads:
    """What layer.backward returns: dx (x's shape), dstate (the state's structure), params ({name: array})."""
    dx: np.ndarray
    dstate: object
    params: dict = field(default_factory=dict)


class LayerTape:
    """What forward_train keeps for backward: one kernel tape per (layer, direction) and the dropout masks."""

    __slots__ = ("layer", "kernel_tapes", "masks", "y_shape")

    def __init__(self, layer, kernel_tapes, masks, y_shape):
        self.layer = layer
        self.kernel_tapes = kernel_tapes      # [k][d] -> gatecore.Tape
        self.masks = masks                    # [k - 1] -> mask applied to u_k, k >= 1 (empty without dropout)
        self.y_shape = y_shape                # the shape of y as returned (batch_first respected)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays this tape alone keeps alive: kernel tapes and masks, each array counted once,
        the layer's parameters (which the kernel tapes reference) not counted."""
        seen: dict[int, int] = {}
        _count(self.masks, seen)
        for row in self.kernel_tapes:
            for t in row:
                _count(t.saved, seen)
        params: dict[int, int] = {}
        _count(self.layer.state_dict(), params)
        return sum(n for key, n in seen.items() if key not in params)

    def __repr__(self):
        return f"LayerTape({type(self.layer).__name__}, y {self.y_shape}, {self.nbytes} bytes)"


def _count(obj, seen):
    """Add every ndarray reachable through containers/attributes of obj to seen {id(base): nbytes}."""
    if isinstance(obj, np.ndarray):
        base = obj
        while isinstance(base.base, np.ndarray):
            base = base.base
        seen[id(base)] = base.nbytes
    elif isinstance(obj, dict):
        for v in obj.values():
            _count(v, seen)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _count(v, seen)
    elif hasattr(obj, "__dict__") or hasattr(obj, "__slots__"):
        names = list(getattr(obj, "__dict__", {})) + list(getattr(obj, "__slots__", ()))
        for n in names:
            _count(getattr(obj, n, None), seen)


class _Recurrent:
    """Shared machinery of LSTM, GRU and RNN; subclasses set the cell and its kernel options."""

    _cell = ""
    _forward_kernel = None
    _backward_kernel = None
    _state_names = ("h",)                      # components of the state, in the order the kernels take them

    def _setup(self, input_size, hidden_size, num_layers, bias, batch_first, bidirectional, proj_size,
               dropout, dtype, backend, seed):
        self.input_size = _weights.check_size("input_size", input_size)
        self.hidden_size = _weights.check_size("hidden_size", hidden_size)
        self.num_layers = _weights.check_size("num_layers", num_layers)
        self.proj_size = _weights.check_size("proj_size", proj_size, minimum=0)
        if self.proj_size >= self.hidden_size:
            raise ValueError(f"proj_size must be < hidden_size = {self.hidden_size}, got {proj_size}")
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.bidirectional = bool(bidirectional)
        self.dropout = check_p(dropout)
        if self.dropout > 0 and self.num_layers == 1:
            warnings.warn(f"dropout={self.dropout} acts between layers: no effect with num_layers=1",
                          UserWarning, stacklevel=3)
        self.backend = check_name(backend)
        self.dtype = _weights.check_dtype(dtype, DTYPES[self.backend])
        init_seq, dropout_seq = np.random.SeedSequence(seed).spawn(2)
        self._dropout = Dropout(self.dropout, np.random.default_rng(dropout_seq))

        D, G = self.num_directions, api.GATES[self._cell]
        self._names = []                       # [k][d] -> {kernel role: state_dict name}
        named_shapes = {}
        for k in range(self.num_layers):
            width = self.input_size if k == 0 else D * self.hidden_out
            row = []
            for d in range(D):
                sfx = f"_l{k}" + ("_reverse" if d else "")
                shp = _weights.shapes(sfx, G, width, self.hidden_size, self.bias, self.proj_size)
                named_shapes.update(shp)
                row.append({_ROLE[name.split("_l")[0]]: name for name in shp})
            self._names.append(row)
        self._params = _weights.initialise(named_shapes, self.hidden_size, self.dtype,
                                           np.random.default_rng(init_seq))

    # ------------------------------------------------------------------------------------------ parameters
    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def hidden_out(self) -> int:
        """H_out: the width of h and of each direction's output (proj_size or hidden_size)."""
        return self.proj_size or self.hidden_size

    def state_dict(self) -> dict:
        """{name: array} with PyTorch's names and shapes; the arrays are the layer's own (as PyTorch's)."""
        return dict(self._params)

    def load_state_dict(self, state_dict) -> None:
        """Replace every parameter; names and shapes must match state_dict() exactly (see weights.load)."""
        self._params = _weights.load(self._params, state_dict, self.dtype)

    def prepack(self):
        """Packs every weight matrix once for the cpu backend (gc.prepack), for inference with fixed weights: each
        call then skips packing them (an LSTM layer at T=16 B=16 H=256: ~20% of a forward). The weights become
        read-only, state_dict() included; load_state_dict() gives the layer plain weights again. Returns self."""
        self._params = {k: prepack(v) if v.ndim == 2 else v for k, v in self._params.items()}
        return self

    def _kernel_options(self, names) -> dict:
        return {}

    # ------------------------------------------------------------------------------------------- forward
    def _inputs(self, x, state, lengths):
        """Validated time-major x, state components ([L*D, B, width] or None each) and lengths."""
        x = _weights.float_array("x", x, self.dtype)
        if x.ndim != 3 or x.shape[2] != self.input_size:
            layout = "[B, T, I]" if self.batch_first else "[T, B, I]"
            raise ValueError(f"x must be 3-D {layout} with I = input_size = {self.input_size}, got {x.shape}")
        if self.batch_first:
            x = x.transpose(1, 0, 2)
        T, B, _ = x.shape
        if T < 1 or B < 1:
            raise ValueError(f"x must have at least one time step and one batch entry, got {x.shape}")
        comps = self._state_components("state", state, B, "{}0")
        if lengths is not None:
            lengths = api._lengths(lengths, T, B)
        return x, comps, lengths

    def _state_components(self, arg, state, B, pattern):
        """A state (or dstate) argument as its components, each [L*D, B, width] or None (zeros)."""
        n = len(self._state_names)
        if state is None:
            comps = [None] * n
        elif n == 1:
            comps = [state]
        elif isinstance(state, (tuple, list)) and len(state) == n:
            comps = list(state)
        else:
            parts = ", ".join(pattern.format(s) for s in self._state_names)
            raise TypeError(f"{arg} must be a tuple ({parts}) or None, got {type(state).__name__}")
        LD = self.num_layers * self.num_directions
        return [None if a is None else _weights.float_array(pattern.format(s), a, self.dtype, (LD, B, w))
                for s, a, w in zip(self._state_names, comps, (self.hidden_out, self.hidden_size))]

    def _run(self, x, state, lengths, train):
        """Forward through every layer; returns (y, final state components, kernel tapes, masks)."""
        x, comps, lengths = self._inputs(x, state, lengths)
        D = self.num_directions
        finals = [[None] * (self.num_layers * D) for _ in comps]
        tapes, masks = [], []
        u = x
        for k in range(self.num_layers):
            if k and train and self.dropout:
                mask = self._dropout.mask(u.shape, self.dtype)
                masks.append(mask)
                u = u * mask

            def direction(d, u=u, k=k):
                names = self._names[k][d]
                p = self._params
                s0 = [None if c is None else c[k * D + d] for c in comps]
                out = self._forward_kernel(u, p[names["w_ih"]], p[names["w_hh"]], p.get(names.get("b_ih")),
                                           p.get(names.get("b_hh")), *s0, lengths=lengths, reverse=bool(d),
                                           backend=self.backend, return_tape=train,
                                           **self._kernel_options(names))
                return out if train else (*out, None)

            outs = self._directions([lambda d=d: direction(d) for d in range(D)], x.shape[1])
            for d, (_, *rest) in enumerate(outs):
                for c, s in enumerate(rest[:-1]):
                    finals[c][k * D + d] = s
            tapes.append([o[-1] for o in outs])
            u = outs[0][0] if D == 1 else np.concatenate([o[0] for o in outs], axis=2)
        y = np.ascontiguousarray(u.transpose(1, 0, 2)) if self.batch_first else u
        return y, [np.stack(f) for f in finals], tapes, masks

    def _directions(self, calls, B):
        """Run one layer's direction calls (batch size B): concurrently where that pays (see CONCURRENT), else in
        turn."""
        if len(calls) == 2 and (self.backend in CONCURRENT or self._cpu_one_thread_each(B)):
            if self.backend == "cpu":
                calls = [functools.partial(_on_this_thread, c) for c in calls]
            reverse = _worker().submit(calls[1])
            forward = calls[0]()
            return [forward, reverse.result()]
        return [c() for c in calls]

    def _cpu_one_thread_each(self, B):
        if self.backend != "cpu":
            return False
        from . import cpu_common
        return cpu_common.one_thread_each(B, api.GATES[self._cell], self.hidden_size, self.hidden_out)

    def _pack(self, comps):
        return comps[0] if len(comps) == 1 else tuple(comps)

    def forward(self, x, state=None, lengths=None):
        """Inference: (y, final state). Keeps no tape; dropout is off."""
        y, finals, _, _ = self._run(x, state, lengths, train=False)
        return y, self._pack(finals)

    def forward_train(self, x, state=None, lengths=None):
        """Training forward: (y, final state, tape). Dropout (if any) is active; its masks go on the tape."""
        y, finals, tapes, masks = self._run(x, state, lengths, train=True)
        return y, self._pack(finals), LayerTape(self, tapes, masks, y.shape)

    # ------------------------------------------------------------------------------------------ backward
    def backward(self, tape, dy, dstate=None) -> Grads:
        """Gradients of the forward_train that made `tape`, given dy (y's shape) and dstate (the final state's
        structure; None or a None component means zeros). Returns Grads(dx, dstate, params)."""
        if not isinstance(tape, LayerTape) or tape.layer is not self:
            raise TypeError("tape must be the LayerTape returned by this layer's forward_train, "
                            f"got {type(tape).__name__}")
        dy = _weights.float_array("dy", dy, self.dtype, tape.y_shape)
        if self.batch_first:
            dy = dy.transpose(1, 0, 2)
        T, B, _ = dy.shape
        D, LD, Ho = self.num_directions, self.num_layers * self.num_directions, self.hidden_out
        dcomps = self._state_components("dstate", dstate, B, "d{}_n")
        grads, dinit = {}, [[None] * LD for _ in self._state_names]
        du = dy
        for k in reversed(range(self.num_layers)):
            def direction(d, du=du, k=k):
                dy_d = du if D == 1 else du[:, :, d * Ho:(d + 1) * Ho]
                ds = [None if c is None else c[k * D + d] for c in dcomps]
                return self._backward_kernel(tape.kernel_tapes[k][d], dy_d, *ds)

            outs = self._directions([lambda d=d: direction(d) for d in range(D)], B)
            for d, g in enumerate(outs):
                for role, name in self._names[k][d].items():
                    grads[name] = g["d" + role]
                for c, s in enumerate(self._state_names):
                    dinit[c][k * D + d] = g[f"d{s}0"]
            du = outs[0]["dx"] if D == 1 else outs[0]["dx"] + outs[1]["dx"]
            if k and tape.masks:
                du = du * tape.masks[k - 1]
        dx = np.ascontiguousarray(du.transpose(1, 0, 2)) if self.batch_first else du
        params = {name: grads[name] for name in self._params}
        return Grads(dx, self._pack([np.stack(c) for c in dinit]), params)

    def __repr__(self):
        opts = [f"{self.input_size}", f"{self.hidden_size}"]
        if self.num_layers != 1:
            opts.append(f"num_layers={self.num_layers}")
        for name, default in (("bias", True), ("batch_first", False), ("bidirectional", False),
                              ("proj_size", 0), ("dropout", 0.0)):
            if getattr(self, name) != default:
                opts.append(f"{name}={getattr(self, name)}")
        opts += [f"dtype={self.dtype}", f"backend={self.backend!r}"]
        return f"{type(self).__name__}({', '.join(opts)})"


class LSTM(_Recurrent):
    """Multi-layer LSTM as torch.nn.LSTM (gates i, f, g, o; optional projection proj_size). State (h, c)."""

    _cell = "lstm"
    _forward_kernel = staticmethod(api.lstm_forward)
    _backward_kernel = staticmethod(api.lstm_backward)
    _state_names = ("h", "c")

    def __init__(self, input_size, hidden_size, num_layers=1, *, bias=True, batch_first=False,
                 bidirectional=False, proj_size=0, dropout=0.0, dtype=np.float32, backend=None, seed=None):
        self._setup(input_size, hidden_size, num_layers, bias, batch_first, bidirectional, proj_size,
                    dropout, dtype, backend, seed)

    def _kernel_options(self, names):
        return {"w_hr": self._params[names["w_hr"]]} if self.proj_size else {}

    def __call__(self, x, state=None, lengths=None):
        """y, (h_n, c_n) = lstm(x, state=(h0, c0) or None, lengths=None)."""
        return self.forward(x, state, lengths)


class GRU(_Recurrent):
    """Multi-layer GRU as torch.nn.GRU (gates r, z, n); linear_before_reset=False gives the original GRU."""

    _cell = "gru"
    _forward_kernel = staticmethod(api.gru_forward)
    _backward_kernel = staticmethod(api.gru_backward)

    def __init__(self, input_size, hidden_size, num_layers=1, *, bias=True, batch_first=False,
                 bidirectional=False, dropout=0.0, dtype=np.float32, backend=None, seed=None,
                 linear_before_reset=True):
        self.linear_before_reset = bool(linear_before_reset)
        self._setup(input_size, hidden_size, num_layers, bias, batch_first, bidirectional, 0,
                    dropout, dtype, backend, seed)

    def _kernel_options(self, names):
        return {"linear_before_reset": self.linear_before_reset}

    def __call__(self, x, h0=None, lengths=None):
        """y, h_n = gru(x, h0=None, lengths=None)."""
        return self.forward(x, h0, lengths)


class RNN(_Recurrent):
    """Multi-layer Elman RNN as torch.nn.RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""

    _cell = "rnn"
    _forward_kernel = staticmethod(api.rnn_forward)
    _backward_kernel = staticmethod(api.rnn_backward)

    def __init__(self, input_size, hidden_size, num_layers=1, *, nonlinearity="tanh", bias=True,
                 batch_first=False, bidirectional=False, dropout=0.0, dtype=np.float32, backend=None,
                 seed=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self._setup(input_size, hidden_size, num_layers, bias, batch_first, bidirectional, 0,
                    dropout, dtype, backend, seed)

    def _kernel_options(self, names):
        return {"nonlinearity": self.nonlinearity}

    def __call__(self, x, h0=None, lengths=None):
        """y, h_n = rnn(x, h0=None, lengths=None)."""
        return self.forward(x, h0, lengths)
