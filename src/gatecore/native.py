"""Backend "c": the C reference core (native/gatecore.h) through the cffi extension gatecore._native.

Implements the kernel contract of gatecore.backends for the three cells. Every C call gets C-contiguous arrays
of one dtype (float32 -> the _f32 functions, float64 -> _f64); the wrapper allocates the outputs, the forward
reserve (kept as the tape) and the backward workspace with the element counts gc_<cell>_sizes reports.
A nonzero status from C becomes ValueError (dimensions, lengths, options, sizes) or TypeError (a NULL
pointer) with gc_strerror's message; api.py validates first, so these are reached only by misuse.

Shapes: x [T, B, I], w_ih [G*H, I], w_hh [G*H, R], b_ih/b_hh [G*H] or None, h0 [B, R] or None, c0 [B, H] or
None, w_hr [P, H] or None (LSTM projection, R = P), lengths int64 [B] or None; y [T, B, R], h_n [B, R],
c_n [B, H]; gradients shaped like what they differentiate.
"""
from __future__ import annotations

import numpy as np

from ._native import ffi, lib

_SUFFIX = {np.dtype(np.float32): ("_f32", "float *"), np.dtype(np.float64): ("_f64", "double *")}
_NONLINEARITY = {"tanh": lib.GC_TANH, "relu": lib.GC_RELU}


def check(status: int, where: str) -> None:
    """Raise the API.md §5 exception for a nonzero gatecore status code."""
    if status == lib.GC_OK:
        return
    message = f"{where}: {ffi.string(lib.gc_strerror(status)).decode()} (gatecore status {status})"
    raise (TypeError if status == lib.GC_ERR_NULL else ValueError)(message)


class _Call:
    """Pointers for one C call: arrays are made C-contiguous in the call's dtype and kept alive with it."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self.suffix, self.ctype = _SUFFIX[self.dtype]
        self.keep = []

    def fn(self, name):
        return getattr(lib, name + self.suffix)

    def ptr(self, a, ctype=None):
        """A pointer to the data of `a` (NULL for None)."""
        if a is None:
            return ffi.NULL
        a = np.ascontiguousarray(a, dtype=np.int64 if ctype == "int64_t *" else self.dtype)
        self.keep.append(a)
        return ffi.cast(ctype or self.ctype, a.ctypes.data)

    def lengths(self, lengths):
        return self.ptr(lengths, "int64_t *")

    def empty(self, *shape):
        """A new output array and its pointer."""
        a = np.empty(shape, dtype=self.dtype)
        return a, self.ptr(a)


def _sizes(cell, dims):
    """(reserve, workspace) element counts from gc_<cell>_sizes."""
    counts = ffi.new("int64_t[2]")
    check(getattr(lib, f"gc_{cell}_sizes")(*dims, counts, counts + 1), f"gc_{cell}_sizes")
    return int(counts[0]), int(counts[1])


def lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, w_hr, need_tape):
    """LSTM forward (contract in gatecore.backends); the tape is the C reserve and what backward reads."""
    T, B, I = x.shape
    H = w_ih.shape[0] // 4
    P = 0 if w_hr is None else w_hr.shape[0]
    R = P or H
    dims = (T, B, I, H, P)
    reserve_count, _ = _sizes("lstm", dims)
    call = _Call(x.dtype)
    y, y_p = call.empty(T, B, R)
    h_n, h_n_p = call.empty(B, R)
    c_n, c_n_p = call.empty(B, H)
    reserve, reserve_p = call.empty(reserve_count)
    check(call.fn("gc_lstm_forward")(*dims, call.ptr(x), call.ptr(w_ih), call.ptr(w_hh), call.ptr(b_ih),
                                     call.ptr(b_hh), call.ptr(w_hr), call.ptr(h0), call.ptr(c0),
                                     call.lengths(lengths), int(reverse), y_p, h_n_p, c_n_p, reserve_p,
                                     reserve_count), "gc_lstm_forward")
    saved = None
    if need_tape:
        saved = {"dims": dims, "x": x, "w_ih": w_ih, "w_hh": w_hh, "w_hr": w_hr, "lengths": lengths,
                 "reverse": int(reverse), "reserve": reserve, "has_bias": b_ih is not None}
    return y, h_n, c_n, saved


def lstm_backward(saved, dy, dh_n, dc_n):
    """LSTM backward: {dx, dh0, dc0, dw_ih, dw_hh[, db_ih, db_hh][, dw_hr]}."""
    T, B, I, H, P = dims = saved["dims"]
    R = P or H
    _, workspace_count = _sizes("lstm", dims)
    call = _Call(saved["x"].dtype)
    g = {}
    g["dx"], dx_p = call.empty(T, B, I)
    g["dh0"], dh0_p = call.empty(B, R)
    g["dc0"], dc0_p = call.empty(B, H)
    g["dw_ih"], dw_ih_p = call.empty(4 * H, I)
    g["dw_hh"], dw_hh_p = call.empty(4 * H, R)
    db_ih_p = db_hh_p = dw_hr_p = ffi.NULL
    if saved["has_bias"]:
        g["db_ih"], db_ih_p = call.empty(4 * H)
        g["db_hh"], db_hh_p = call.empty(4 * H)
    if P:
        g["dw_hr"], dw_hr_p = call.empty(P, H)
    _, workspace_p = call.empty(workspace_count)
    reserve = saved["reserve"]
    check(call.fn("gc_lstm_backward")(*dims, call.ptr(saved["x"]), call.ptr(saved["w_ih"]),
                                      call.ptr(saved["w_hh"]), call.ptr(saved["w_hr"]),
                                      call.lengths(saved["lengths"]), saved["reverse"], call.ptr(reserve),
                                      reserve.size, call.ptr(dy), call.ptr(dh_n), call.ptr(dc_n), dx_p, dh0_p,
                                      dc0_p, dw_ih_p, dw_hh_p, db_ih_p, db_hh_p, dw_hr_p, workspace_p,
                                      workspace_count), "gc_lstm_backward")
    return g


def _forward(cell, option, x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, need_tape):
    """GRU / RNN forward: option is linear_before_reset (GRU) or the nonlinearity code (RNN)."""
    T, B, I = x.shape
    H = w_hh.shape[1]
    dims = (T, B, I, H)
    reserve_count, _ = _sizes(cell, dims)
    call = _Call(x.dtype)
    y, y_p = call.empty(T, B, H)
    h_n, h_n_p = call.empty(B, H)
    reserve, reserve_p = call.empty(reserve_count)
    check(call.fn(f"gc_{cell}_forward")(*dims, call.ptr(x), call.ptr(w_ih), call.ptr(w_hh), call.ptr(b_ih),
                                        call.ptr(b_hh), call.ptr(h0), call.lengths(lengths), int(reverse),
                                        option, y_p, h_n_p, reserve_p, reserve_count), f"gc_{cell}_forward")
    saved = None
    if need_tape:
        saved = {"cell": cell, "option": option, "dims": dims, "x": x, "w_ih": w_ih, "w_hh": w_hh,
                 "lengths": lengths, "reverse": int(reverse), "reserve": reserve,
                 "has_bias": b_ih is not None}
    return y, h_n, saved


def _backward(saved, dy, dh_n):
    """GRU / RNN backward: {dx, dh0, dw_ih, dw_hh[, db_ih, db_hh]}."""
    cell = saved["cell"]
    T, B, I, H = dims = saved["dims"]
    GH = saved["w_ih"].shape[0]
    _, workspace_count = _sizes(cell, dims)
    call = _Call(saved["x"].dtype)
    g = {}
    g["dx"], dx_p = call.empty(T, B, I)
    g["dh0"], dh0_p = call.empty(B, H)
    g["dw_ih"], dw_ih_p = call.empty(GH, I)
    g["dw_hh"], dw_hh_p = call.empty(GH, H)
    db_ih_p = db_hh_p = ffi.NULL
    if saved["has_bias"]:
        g["db_ih"], db_ih_p = call.empty(GH)
        g["db_hh"], db_hh_p = call.empty(GH)
    _, workspace_p = call.empty(workspace_count)
    reserve = saved["reserve"]
    check(call.fn(f"gc_{cell}_backward")(*dims, call.ptr(saved["x"]), call.ptr(saved["w_ih"]),
                                         call.ptr(saved["w_hh"]), call.lengths(saved["lengths"]),
                                         saved["reverse"], saved["option"], call.ptr(reserve), reserve.size,
                                         call.ptr(dy), call.ptr(dh_n), dx_p, dh0_p, dw_ih_p, dw_hh_p, db_ih_p,
                                         db_hh_p, workspace_p, workspace_count), f"gc_{cell}_backward")
    return g


def gru_forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, linear_before_reset, need_tape):
    """GRU forward (contract in gatecore.backends)."""
    return _forward("gru", int(bool(linear_before_reset)), x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse,
                    need_tape)


def gru_backward(saved, dy, dh_n):
    """GRU backward (contract in gatecore.backends)."""
    return _backward(saved, dy, dh_n)


def rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, nonlinearity, need_tape):
    """RNN forward (contract in gatecore.backends)."""
    return _forward("rnn", _NONLINEARITY[nonlinearity], x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse,
                    need_tape)


def rnn_backward(saved, dy, dh_n):
    """RNN backward (contract in gatecore.backends)."""
    return _backward(saved, dy, dh_n)
