"""The public kernel functions of API.md §1: validate -> pick backend -> call. No numerics here.

Validation is written for a short path: a warm call with well-formed arrays spends a few microseconds here.
"""
from __future__ import annotations

import numpy as np

from . import backends as _backends
from .prepacked import PackedWeights, is_prepacked, plain
from .tape import Tape

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
GATES = {"lstm": 4, "gru": 3, "rnn": 1}          # rows of w_ih per hidden unit
_MAX_ELEMENTS = 1 << 60          # larger products overflow int64 byte counts in some backend
_ndarray = np.ndarray
_WEIGHTS = ("w_ih", "w_hh", "w_hr")       # arguments the cpu backend takes prepacked (gatecore.prepacked)


def _is_device(a) -> bool:
    return (hasattr(a, "__cuda_array_interface__") or getattr(a, "__cuda_ndarray__", False)) \
        and not isinstance(a, _ndarray)      # __cuda_ndarray__: Numba device arrays, the simulator's included


def _array(name, a, backend):
    """a as a float ndarray (or a device array for cuda), else TypeError naming `name`.

    Not yet made C-contiguous: sizes are checked first, so a huge zero-stride view is never copied.
    """
    if type(a) is _ndarray:
        if a.dtype not in _FLOATS:
            raise TypeError(f"{name} must be float32 or float64, got dtype {a.dtype}")
        return a
    if type(a) is PackedWeights:        # prepack()'s weights: kept as they are for the cpu backend only
        arr = a if backend == "cpu" and name in _WEIGHTS and is_prepacked(a) else plain(a).view(_ndarray)
        if arr.dtype not in _FLOATS:
            raise TypeError(f"{name} must be float32 or float64, got dtype {arr.dtype}")
        return arr
    if _is_device(a):
        if backend != "cuda":
            raise TypeError(f"{name} is a CUDA device array; pass backend='cuda' or a host array")
        if not str(a.dtype).endswith("float32"):      # torch dtypes print as 'torch.float32'
            raise TypeError(f"{name} must be float32 on the cuda backend, got {a.dtype}")
        return a
    if a is None or not (isinstance(a, _ndarray) or hasattr(a, "__array__") or hasattr(a, "__array_interface__")):
        raise TypeError(f"{name} must be an array (numpy.ndarray or array-like with __array__), "
                        f"got {type(a).__name__}")
    arr = np.asarray(a)
    if arr.dtype not in _FLOATS:
        raise TypeError(f"{name} must be float32 or float64, got dtype {arr.dtype}")
    return arr


def _contiguous(a):
    """a C-contiguous (host arrays only; None and device arrays pass through)."""
    return a if type(a) is not _ndarray or a.flags.c_contiguous else np.ascontiguousarray(a)


def _dtype_of(a):
    return a.dtype if isinstance(a, _ndarray) else np.dtype(str(a.dtype).replace("torch.", ""))


def _shape_error(name, a, expected):
    raise ValueError(f"{name} must have shape {expected}, got {tuple(a.shape)}")


def _lengths(lengths, T, B):
    if type(lengths) is _ndarray:
        arr = lengths
    elif isinstance(lengths, (list, tuple)) or hasattr(lengths, "__array__"):
        arr = np.asarray(lengths)
    else:
        raise TypeError(f"lengths must be an integer array of shape ({B},), got {type(lengths).__name__}")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"lengths must be an integer array, got dtype {arr.dtype}")
    if arr.shape != (B,):
        raise ValueError(f"lengths must have shape ({B},) (one length per batch entry), got {arr.shape}")
    lo, hi = (int(arr.min()), int(arr.max())) if B else (0, 0)
    if lo < 0 or hi > T:
        raise ValueError(f"lengths must satisfy 0 <= lengths[b] <= T = {T}, got values in [{lo}, {hi}]")
    if lo == T:
        return None                                  # every sequence is full: the unmasked fast path
    return arr.astype(np.int64) if arr.dtype != np.int64 or not arr.flags.c_contiguous else arr


def _plain(cell, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, backend, w_hr):
    """_common's result for the commonest well-formed call, in one pass, else None: C-contiguous host ndarrays of
    one float dtype the backend computes in, no lengths, no projection, reverse a bool. Every check here is one of
    _common's own; where any fails, _common's checks run in full and say what is wrong (a call of 1.0-1.2 us here
    against 1.9-2.4 in full: LSTM T=16 B=1 H=64, probes_session32.txt)."""
    if lengths is not None or w_hr is not None or type(x) is not _ndarray or type(w_ih) is not _ndarray \
            or type(w_hh) is not _ndarray or (reverse is not False and reverse is not True):
        return None
    dtype = x.dtype
    if dtype not in _backends.DTYPES[backend] or w_ih.dtype != dtype or w_hh.dtype != dtype or x.ndim != 3:
        return None
    T, B, I = x.shape
    G = GATES[cell]
    GH = w_ih.shape[0]
    H = GH // G
    if not (T > 0 and B > 0 and I > 0 and H > 0) or GH != G * H or w_ih.shape != (GH, I) or w_hh.shape != (GH, H) \
            or T * B * max(I, GH) >= _MAX_ELEMENTS or GH * max(I, H) >= _MAX_ELEMENTS \
            or (b_ih is None) != (b_hh is None) \
            or not (x.flags.c_contiguous and w_ih.flags.c_contiguous and w_hh.flags.c_contiguous):
        return None
    for a, shape in ((b_ih, (GH,)), (b_hh, (GH,)), (h0, (B, H)), (c0, (B, H))):
        if a is not None and (type(a) is not _ndarray or a.dtype != dtype or a.shape != shape
                              or not a.flags.c_contiguous):
            return None
    return backend, x, w_ih, w_hh, b_ih, b_hh, h0, c0, None, reverse, None, (T, B, H, H), dtype


def _common(cell, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, backend, w_hr=None):
    """Validate one call; returns the normalised arguments and (T, B, R, H)."""
    backend = _backends.check_name(backend)
    plain = _plain(cell, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, backend, w_hr)
    if plain is not None:
        return plain
    x = _array("x", x, backend)
    w_ih = _array("w_ih", w_ih, backend)
    w_hh = _array("w_hh", w_hh, backend)
    dtype = _dtype_of(x)
    if dtype not in _backends.DTYPES[backend]:          # np.dtype == "float32" compares by value
        raise TypeError(f"backend {backend!r} computes in {' or '.join(_backends.DTYPES[backend])}, "
                        f"got x of dtype {dtype}")
    if len(x.shape) != 3:
        raise ValueError(f"x must be 3-D [T, B, I] (time-major), got shape {tuple(x.shape)}")
    T, B, I = x.shape
    if T < 1 or B < 1 or I < 1:
        raise ValueError(f"x must have T, B, I >= 1, got shape {tuple(x.shape)}")
    G = GATES[cell]
    if len(w_ih.shape) != 2 or w_ih.shape[1] != I or w_ih.shape[0] % G or w_ih.shape[0] == 0:
        _shape_error("w_ih", w_ih, f"[{G}*H, {I}]")
    H = w_ih.shape[0] // G
    if w_hr is not None:
        w_hr = _array("w_hr", w_hr, backend)
        if len(w_hr.shape) != 2 or w_hr.shape[1] != H or not 1 <= w_hr.shape[0] < H:
            _shape_error("w_hr", w_hr, f"[P, {H}] with 1 <= P < H")
        R = w_hr.shape[0]
    else:
        R = H
    if tuple(w_hh.shape) != (G * H, R):
        _shape_error("w_hh", w_hh, (G * H, R))
    if T * B * max(I, G * H) >= _MAX_ELEMENTS or G * H * max(I, R) >= _MAX_ELEMENTS:
        raise ValueError(f"sizes overflow: x {tuple(x.shape)} with H={H} is too large to index")
    arrays = [("w_ih", w_ih), ("w_hh", w_hh)]
    if (b_ih is None) != (b_hh is None):
        raise ValueError("b_ih and b_hh must be given together (or neither)")
    if b_ih is not None:
        b_ih = _array("b_ih", b_ih, backend)
        b_hh = _array("b_hh", b_hh, backend)
        if tuple(b_ih.shape) != (G * H,):
            _shape_error("b_ih", b_ih, (G * H,))
        if tuple(b_hh.shape) != (G * H,):
            _shape_error("b_hh", b_hh, (G * H,))
        arrays += ("b_ih", b_ih), ("b_hh", b_hh)
    if h0 is not None:
        h0 = _array("h0", h0, backend)
        if tuple(h0.shape) != (B, R):
            _shape_error("h0", h0, (B, R))
        arrays.append(("h0", h0))
    if c0 is not None:
        c0 = _array("c0", c0, backend)
        if tuple(c0.shape) != (B, H):
            _shape_error("c0", c0, (B, H))
        arrays.append(("c0", c0))
    if w_hr is not None:
        arrays.append(("w_hr", w_hr))
    for name, a in arrays:
        if _dtype_of(a) != dtype:
            raise TypeError(f"all float arrays must share one dtype: x is {dtype}, {name} is {_dtype_of(a)}")
    if lengths is not None:
        lengths = _lengths(lengths, T, B)
    if reverse is not True and reverse is not False:
        if not isinstance(reverse, (bool, np.bool_)):
            raise TypeError(f"reverse must be a bool, got {type(reverse).__name__}")
        reverse = bool(reverse)
    x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr = map(_contiguous, (x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr))
    return backend, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, w_hr, (T, B, R, H), dtype


def _grad_array(name, a, shape, dtype, backend, device):
    """dy / dh_n / dc_n: None means zeros; else the exact shape and the tape's dtype."""
    if a is None:
        if device:
            from numba import cuda
            return cuda.to_device(np.zeros(shape, dtype))
        return np.zeros(shape, dtype)
    a = _array(name, a, backend)
    if _dtype_of(a) != dtype:
        raise TypeError(f"{name} must have the forward call's dtype {dtype}, got {_dtype_of(a)}")
    if tuple(a.shape) != shape:
        _shape_error(name, a, shape)
    return _contiguous(a)


def _check_tape(tape, cell):
    if not isinstance(tape, Tape):
        raise TypeError(f"tape must be the Tape returned by {cell}_forward(..., return_tape=True), "
                        f"got {type(tape).__name__}")
    if tape.cell != cell:
        raise ValueError(f"tape comes from {tape.cell}_forward, not {cell}_forward")


def _device_call(x):
    return _is_device(x)


# ------------------------------------------------------------------------------------------------ LSTM
def lstm_forward(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, c0=None, *, lengths=None, reverse=False,
                 backend=None, return_tape=False, w_hr=None):
    """One LSTM layer, one direction (PyTorch equations, gates i, f, g, o).

    x [T, B, I], w_ih [4H, I], w_hh [4H, R], b_ih/b_hh [4H], h0 [B, R], c0 [B, H], lengths int [B];
    optional projection w_hr [P, H] (PyTorch's proj_size: h_t = w_hr @ (o * tanh(c_t)), R = P).
    Returns y [T, B, R], h_n [B, R], c_n [B, H] (and a Tape if return_tape).
    """
    backend, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, w_hr, shapes, dtype = _common(
        "lstm", x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, backend, w_hr)
    forward = _backends.kernels("lstm", backend)[0]
    y, h_n, c_n, saved = forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, w_hr, return_tape)
    if return_tape:
        return y, h_n, c_n, Tape("lstm", backend, saved, shapes, dtype, b_ih is not None,
                                 w_hr is not None, _device_call(x))
    return y, h_n, c_n


def lstm_backward(tape, dy, dh_n=None, dc_n=None):
    """Full BPTT through an LSTM forward. dy [T, B, R], dh_n [B, R], dc_n [B, H] (None = zeros).

    Returns {dx, dh0, dc0, dw_ih, dw_hh} plus db_ih, db_hh when biases were given and dw_hr with a projection.
    """
    _check_tape(tape, "lstm")
    T, B, R, H = tape.shapes
    dy = _grad_array("dy", dy, (T, B, R), tape.dtype, tape.backend, tape.device)
    dh_n = _grad_array("dh_n", dh_n, (B, R), tape.dtype, tape.backend, tape.device)
    dc_n = _grad_array("dc_n", dc_n, (B, H), tape.dtype, tape.backend, tape.device)
    return _backends.kernels("lstm", tape.backend)[1](tape.saved, dy, dh_n, dc_n)


# ------------------------------------------------------------------------------------------------- GRU
def gru_forward(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, *, linear_before_reset=True, lengths=None,
                reverse=False, backend=None, return_tape=False):
    """One GRU layer, one direction (gates r, z, n; PyTorch's variant when linear_before_reset=True).

    x [T, B, I], w_ih [3H, I], w_hh [3H, H], b_ih/b_hh [3H], h0 [B, H], lengths int [B].
    Returns y [T, B, H], h_n [B, H] (and a Tape if return_tape).
    """
    if linear_before_reset is not True and linear_before_reset is not False:
        if not isinstance(linear_before_reset, (bool, np.bool_, int)):
            raise TypeError(f"linear_before_reset must be a bool, got {type(linear_before_reset).__name__}")
        linear_before_reset = bool(linear_before_reset)
    backend, x, w_ih, w_hh, b_ih, b_hh, h0, _, lengths, reverse, _, shapes, dtype = _common(
        "gru", x, w_ih, w_hh, b_ih, b_hh, h0, None, lengths, reverse, backend)
    forward = _backends.kernels("gru", backend)[0]
    y, h_n, saved = forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, linear_before_reset, return_tape)
    if return_tape:
        return y, h_n, Tape("gru", backend, saved, shapes, dtype, b_ih is not None, False, _device_call(x))
    return y, h_n


def gru_backward(tape, dy, dh_n=None):
    """Full BPTT through a GRU forward. Returns {dx, dh0, dw_ih, dw_hh} plus db_ih, db_hh with biases."""
    _check_tape(tape, "gru")
    T, B, R, H = tape.shapes
    dy = _grad_array("dy", dy, (T, B, R), tape.dtype, tape.backend, tape.device)
    dh_n = _grad_array("dh_n", dh_n, (B, R), tape.dtype, tape.backend, tape.device)
    return _backends.kernels("gru", tape.backend)[1](tape.saved, dy, dh_n)


# ------------------------------------------------------------------------------------------------- RNN
_NONLINEARITIES = ("tanh", "relu")


def rnn_forward(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, *, nonlinearity="tanh", lengths=None,
                reverse=False, backend=None, return_tape=False):
    """One Elman RNN layer, one direction: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act tanh|relu.

    x [T, B, I], w_ih [H, I], w_hh [H, H], b_ih/b_hh [H], h0 [B, H], lengths int [B].
    Returns y [T, B, H], h_n [B, H] (and a Tape if return_tape).
    """
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    backend, x, w_ih, w_hh, b_ih, b_hh, h0, _, lengths, reverse, _, shapes, dtype = _common(
        "rnn", x, w_ih, w_hh, b_ih, b_hh, h0, None, lengths, reverse, backend)
    forward = _backends.kernels("rnn", backend)[0]
    y, h_n, saved = forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, nonlinearity, return_tape)
    if return_tape:
        return y, h_n, Tape("rnn", backend, saved, shapes, dtype, b_ih is not None, False, _device_call(x))
    return y, h_n


def rnn_backward(tape, dy, dh_n=None):
    """Full BPTT through an RNN forward. Returns {dx, dh0, dw_ih, dw_hh} plus db_ih, db_hh with biases."""
    _check_tape(tape, "rnn")
    T, B, R, H = tape.shapes
    dy = _grad_array("dy", dy, (T, B, R), tape.dtype, tape.backend, tape.device)
    dh_n = _grad_array("dh_n", dh_n, (B, R), tape.dtype, tape.backend, tape.device)
    return _backends.kernels("rnn", tape.backend)[1](tape.saved, dy, dh_n)
