"""The tape a training forward returns: what backward needs, opaque to users."""
from __future__ import annotations


class Tape:
    """Holds a backend's saved state for one forward call, plus what backward must check `dy` against.

    cell: "lstm" | "gru" | "rnn"; backend: the backend that ran forward (backward runs there too);
    saved: the backend's own object; shapes: (T, B, R, H) with R the width of y/h and H the cell width;
    dtype: the float dtype of the call; has_bias/has_proj: which gradients backward returns.
    """

    __slots__ = ("cell", "backend", "saved", "shapes", "dtype", "has_bias", "has_proj", "device")

    def __init__(self, cell, backend, saved, shapes, dtype, has_bias, has_proj=False, device=False):
        self.cell = cell
        self.backend = backend
        self.saved = saved
        self.shapes = shapes
        self.dtype = dtype
        self.has_bias = has_bias
        self.has_proj = has_proj
        self.device = device

    def __repr__(self):
        T, B, R, H = self.shapes
        return f"Tape({self.cell}, backend={self.backend!r}, T={T}, B={B}, H={H}, dtype={self.dtype})"
