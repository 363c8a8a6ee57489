"""Parameters of layers and cells: PyTorch's names, shapes and default initialisation, and state_dict I/O.

Names and shapes are exactly PyTorch's, so `torch_module.load_state_dict({k: torch.from_numpy(v) ...})` and
`layer.load_state_dict(torch_module.state_dict())` both work unchanged (G = 4 LSTM, 3 GRU, 1 RNN):

    weight_ih_l{k}{sfx}  [G*H, I_k]      I_0 = input_size, I_k = D * H_out for k >= 1
    weight_hh_l{k}{sfx}  [G*H, H_out]    H_out = proj_size or hidden_size
    bias_ih_l{k}{sfx}    [G*H]           (bias=True only)
    bias_hh_l{k}{sfx}    [G*H]
    weight_hr_l{k}{sfx}  [P, H]          (LSTM with proj_size = P > 0 only)

with sfx "" for the forward direction and "_reverse" for the backward one; cells use the same names without
the `_l{k}{sfx}` part. Initialisation is PyTorch's: every parameter uniform(-1/sqrt(H), 1/sqrt(H)).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype, backend_dtypes) -> np.dtype:
    """dtype as a float32/float64 np.dtype that the backend computes in, else TypeError."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in _FLOATS:
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    if str(dt) not in backend_dtypes:
        raise TypeError(f"the backend computes in {' or '.join(backend_dtypes)}, got dtype {dt}")
    return dt


def check_size(name, value, minimum=1) -> int:
    """A positive (or >= minimum) integer argument, else TypeError/ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def float_array(name, a, dtype, shape=None, what=None) -> np.ndarray:
    """Argument `name` as a host ndarray of `dtype` (and `shape` if given), else TypeError/ValueError."""
    if not isinstance(a, np.ndarray):
        if not (hasattr(a, "__array__") or hasattr(a, "__array_interface__") or isinstance(a, (list, tuple))):
            raise TypeError(f"{name} must be an array, got {type(a).__name__}")
        a = np.asarray(a)
    if a.dtype.kind != "f":
        raise TypeError(f"{name} must be a float array ({dtype}), got dtype {a.dtype}")
    if a.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype} (the layer's or cell's), got {a.dtype}")
    if shape is not None and a.shape != shape:
        raise ValueError(f"{name} must have shape {what or shape}, got {a.shape}")
    return a


def shapes(prefix_suffix, gates, input_size, hidden_size, bias, proj_size=0):
    """{name: shape} for one (layer, direction) with names weight_ih{ps}, ... in PyTorch's order."""
    G, H, R = gates, hidden_size, proj_size or hidden_size
    out = {f"weight_ih{prefix_suffix}": (G * H, input_size), f"weight_hh{prefix_suffix}": (G * H, R)}
    if bias:
        out[f"bias_ih{prefix_suffix}"] = (G * H,)
        out[f"bias_hh{prefix_suffix}"] = (G * H,)
    if proj_size:
        out[f"weight_hr{prefix_suffix}"] = (proj_size, H)
    return out


def initialise(named_shapes, hidden_size, dtype, rng) -> dict:
    """PyTorch's default: every parameter uniform(-1/sqrt(H), 1/sqrt(H)), drawn in name order from rng."""
    k = 1.0 / math.sqrt(hidden_size)
    return {name: rng.uniform(-k, k, size=shape).astype(dtype) for name, shape in named_shapes.items()}


def load(params: dict, state_dict, dtype) -> dict:
    """The checked new values for `params` from `state_dict`: same names, same shapes, float data.

    Every name and shape is checked before anything changes; the first problem raises (ValueError for a
    missing/unexpected name or a wrong shape, TypeError for non-float data), naming the parameter. Values are
    copied and cast to `dtype`, so the layer never aliases the caller's arrays (a torch CPU tensor works
    through np.asarray).
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a mapping {{name: array}}, got {type(state_dict).__name__}")
    missing = [k for k in params if k not in state_dict]
    unexpected = [k for k in state_dict if k not in params]
    if missing or unexpected:
        raise ValueError(f"state_dict names do not match: missing {missing}, unexpected {unexpected}; "
                         f"expected exactly {list(params)}")
    new = {}
    for name, old in params.items():
        value = state_dict[name]
        try:
            arr = np.asarray(value)
        except Exception as e:
            raise TypeError(f"state_dict[{name!r}] is not convertible to an array: {e}") from None
        if arr.dtype.kind != "f":
            raise TypeError(f"state_dict[{name!r}] must hold floats, got dtype {arr.dtype}")
        if arr.shape != old.shape:
            raise ValueError(f"state_dict[{name!r}] must have shape {old.shape}, got {arr.shape}")
        new[name] = np.array(arr, dtype=dtype, order="C", copy=True)
    return new
