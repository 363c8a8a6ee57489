"""One-step cells (API.md §3): LSTMCell, GRUCell, RNNCell, as PyTorch's nn.LSTMCell/GRUCell/RNNCell.

For decoding loops and streaming, where each step's input depends on the last output. One call is one time
step of the backend's kernel (T = 1), so the equations are the kernels' (gatecore.{lstm,gru,rnn}.cell):

    LSTMCell:  (h, c) = cell(x_t, (h, c))      i, f, g, o gates; c' = f*c + i*g; h' = o*tanh(c')
    GRUCell:   h = cell(x_t, h)                r, z, n gates; h' = (1-z)*n + z*h (linear_before_reset as GRU)
    RNNCell:   h = cell(x_t, h)                h' = act(W_ih x_t + b_ih + W_hh h + b_hh), act tanh or relu

Shapes: x_t [B, I], h and c [B, H]; parameters weight_ih [G*H, I], weight_hh [G*H, H], bias_ih and
bias_hh [G*H] (PyTorch's names; G = 4, 3, 1), initialised uniform(-1/sqrt(H), 1/sqrt(H)) from `seed`.

A step must cost microseconds: arguments are validated in full the first time a shape is seen; after that a
call checks only type, dtype, shape and contiguity and calls the backend's kernel function directly
(gatecore.backends.kernels), skipping the public path's re-validation.
"""
from __future__ import annotations

import numpy as np

from .backends import DTYPES, check_name, kernels
from . import weights as _weights

_ndarray = np.ndarray


class _Cell:
    """Shared machinery of the cells: parameters, state_dict I/O and the checked fast path to the kernel."""

    _cell = ""
    _gates = 1

    def _setup(self, input_size, hidden_size, bias, dtype, backend, seed):
        self.input_size = _weights.check_size("input_size", input_size)
        self.hidden_size = _weights.check_size("hidden_size", hidden_size)
        self.bias = bool(bias)
        self.backend = check_name(backend)
        self.dtype = _weights.check_dtype(dtype, DTYPES[self.backend])
        shapes = _weights.shapes("", self._gates, self.input_size, self.hidden_size, self.bias)
        self._params = _weights.initialise(shapes, self.hidden_size, self.dtype, np.random.default_rng(seed))
        self._kernel = None
        self._x_shape = None                    # the last x_t shape that passed full validation
        self._bind()

    def _bind(self):
        p = self._params
        self._w = (p["weight_ih"], p["weight_hh"], p.get("bias_ih"), p.get("bias_hh"))

    def state_dict(self) -> dict:
        """{name: array}: weight_ih, weight_hh (and bias_ih, bias_hh); the arrays are the cell's own."""
        return dict(self._params)

    def load_state_dict(self, state_dict) -> None:
        """Replace every parameter; names and shapes must match state_dict() exactly (see weights.load)."""
        self._params = _weights.load(self._params, state_dict, self.dtype)
        self._bind()

    def _forward(self):
        if self._kernel is None:
            self._kernel = kernels(self._cell, self.backend)[0]
        return self._kernel

    def _x(self, x):
        """x_t as a [1, B, I] view (a validated, contiguous array of the cell's dtype)."""
        if (type(x) is _ndarray and x.shape == self._x_shape and x.dtype == self.dtype
                and x.flags.c_contiguous):
            return x[None]
        x = _weights.float_array("x", x, self.dtype)
        if x.ndim != 2 or x.shape[1] != self.input_size or x.shape[0] < 1:
            raise ValueError(f"x must have shape [B, {self.input_size}] with B >= 1, got {x.shape}")
        x = np.ascontiguousarray(x)
        self._x_shape = x.shape
        return x[None]

    def _state(self, name, a, B):
        """A state component: None stays None (zeros), else a contiguous [B, H] array of the cell's dtype."""
        if a is None or (type(a) is _ndarray and a.shape == (B, self.hidden_size) and a.dtype == self.dtype
                         and a.flags.c_contiguous):
            return a
        return np.ascontiguousarray(_weights.float_array(name, a, self.dtype, (B, self.hidden_size)))

    def _h_step(self, x_t, h, option):
        """One GRU/RNN step: the kernel at T = 1 with its cell option (linear_before_reset / nonlinearity)."""
        x = self._x(x_t)
        h0 = self._state("h", h, x.shape[1])
        w_ih, w_hh, b_ih, b_hh = self._w
        _, h, _ = (self._kernel or self._forward())(x, w_ih, w_hh, b_ih, b_hh, h0, None, False, option, False)
        return h

    def __repr__(self):
        bias = "" if self.bias else ", bias=False"
        return (f"{type(self).__name__}({self.input_size}, {self.hidden_size}{bias}, dtype={self.dtype}, "
                f"backend={self.backend!r})")


class LSTMCell(_Cell):
    """One LSTM step as torch.nn.LSTMCell: (h, c) = cell(x_t, state=(h, c) or None)."""

    _cell = "lstm"
    _gates = 4

    def __init__(self, input_size, hidden_size, *, bias=True, dtype=np.float32, backend=None, seed=None):
        self._setup(input_size, hidden_size, bias, dtype, backend, seed)

    def __call__(self, x_t, state=None):
        x = self._x(x_t)
        B = x.shape[1]
        if state is None:
            h0 = c0 = None
        elif isinstance(state, tuple) and len(state) == 2:
            h0, c0 = self._state("h", state[0], B), self._state("c", state[1], B)
        else:
            raise TypeError(f"state must be a tuple (h, c) or None, got {type(state).__name__}")
        w_ih, w_hh, b_ih, b_hh = self._w
        _, h, c, _ = (self._kernel or self._forward())(x, w_ih, w_hh, b_ih, b_hh, h0, c0, None, False, None,
                                                        False)
        return h, c


class GRUCell(_Cell):
    """One GRU step as torch.nn.GRUCell: h = cell(x_t, h=None); linear_before_reset=False: original GRU."""

    _cell = "gru"
    _gates = 3

    def __init__(self, input_size, hidden_size, *, bias=True, dtype=np.float32, backend=None, seed=None,
                 linear_before_reset=True):
        self.linear_before_reset = bool(linear_before_reset)
        self._setup(input_size, hidden_size, bias, dtype, backend, seed)

    def __call__(self, x_t, h=None):
        return self._h_step(x_t, h, self.linear_before_reset)


class RNNCell(_Cell):
    """One Elman RNN step as torch.nn.RNNCell: h = cell(x_t, h=None), nonlinearity tanh or relu."""

    _cell = "rnn"
    _gates = 1

    def __init__(self, input_size, hidden_size, *, bias=True, nonlinearity="tanh", dtype=np.float32,
                 backend=None, seed=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self._setup(input_size, hidden_size, bias, dtype, backend, seed)

    def __call__(self, x_t, h=None):
        return self._h_step(x_t, h, self.nonlinearity)
