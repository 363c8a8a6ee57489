"""Weights packed once for many cpu calls: `gc.prepack(w)`.

Every cpu call copies its weights into the panels its GEMMs read (cpu_packed.pack: W_hh^T for the recurrent
product, W_ih^T for the input projection, W_hh and W_ih for the backward's products), about 0.3 ns a weight:
at T=16, B=16, H=256 an LSTM forward spends ~0.1-0.2 ms of ~1.3 ms on it. ONNX Runtime packs once, when its
session is made. `prepack(w)` does the same for gatecore: it returns a read-only copy of w, a `PackedWeights`,
that every function taking weights accepts in place of w; the cpu backend makes each packing of it the first
time a call needs it and keeps it with the copy. Results are bitwise those of the plain arrays (the packings are
the same copies; tests/test_prepacked.py). Other backends read the copy as a plain array.

The copy is read-only (its memory is reached through a read-only buffer, so its WRITEABLE flag cannot be set
again), so the packings cannot go stale; the kernels read the same memory through a private writable ndarray
(the array type every other call compiles for). Only the object prepack() returned carries the packings: a
view of it (w[:], w.T) is an ordinary read-only array to gatecore, and arithmetic on it gives plain arrays.
After changing the weights, prepack them again.
"""
from __future__ import annotations

import numpy as np


class PackedWeights(np.ndarray):
    """A read-only weight matrix [rows, cols] with the cpu backend's packings of it (see the module)."""

    def __array_finalize__(self, obj):
        self._packings = None           # views and copies carry none: only prepack()'s own object does
        self._plain = None

    def __array_wrap__(self, array, context=None, return_scalar=False):
        out = super().__array_wrap__(array, context, return_scalar)
        return out.view(np.ndarray) if isinstance(out, np.ndarray) else out

    def __reduce__(self):
        return prepack, (np.array(self),)


def prepack(w):
    """A read-only copy of the weight matrix w (float32 or float64, 2-D), whose cpu packings are made once and
    kept: pass it as w_ih, w_hh or w_hr to any of gatecore's functions."""
    a = np.asarray(w)
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"w must be float32 or float64, got dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"w must be a 2-D weight matrix, got shape {a.shape}")
    memory = bytearray(a.nbytes)
    plain = np.frombuffer(memory, a.dtype).reshape(a.shape)     # what the kernels read: a writable ndarray
    plain[...] = a
    # the object handed out reads the same memory through a read-only buffer, so its WRITEABLE flag cannot be set
    packed = np.frombuffer(memoryview(memory).toreadonly(), a.dtype).reshape(a.shape).view(PackedWeights)
    packed._plain = plain
    packed._packings = {}
    return packed


def is_prepacked(w):
    """Whether w is the object prepack() returned (not a view of it)."""
    return type(w) is PackedWeights and w._packings is not None


def plain(w):
    """w as the plain, C-contiguous, writable ndarray the kernels read (the copy prepack() made), or w itself."""
    return w._plain if is_prepacked(w) else w


def packing(w, key, make):
    """make(), kept under `key` with w when w is prepacked (made at its first use), else made now."""
    if not is_prepacked(w):
        return make()
    kept = w._packings.get(key)
    if kept is None:
        kept = w._packings[key] = make()
    return kept
