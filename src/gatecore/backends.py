"""Backend registry: which module computes (cell, backend), and whether a backend can run here.

The kernel contract every backend module implements (api.py validates first, so kernels trust their input):

    lstm:  forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, w_hr, need_tape)
               -> (y, h_n, c_n, saved)
           backward(saved, dy, dh_n, dc_n) -> {dx, dh0, dc0, dw_ih, dw_hh[, db_ih, db_hh][, dw_hr]}
    gru:   forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, linear_before_reset, need_tape)
               -> (y, h_n, saved)
           backward(saved, dy, dh_n) -> {dx, dh0, dw_ih, dw_hh[, db_ih, db_hh]}
    rnn:   forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, nonlinearity, need_tape)
               -> (y, h_n, saved)
           backward(saved, dy, dh_n) -> {dx, dh0, dw_ih, dw_hh[, db_ih, db_hh]}

Forward arguments: every array C-contiguous and of one float dtype (float32 or float64; cuda: float32,
possibly device arrays); x [T, B, I], w_ih [G*H, I], w_hh [G*H, R] with R = P if w_hr is given else H,
b_ih/b_hh [G*H] or None (None = no bias), h0 [B, R] or None (zeros), c0 [B, H] or None (zeros),
lengths int64 [B] or None (None = every sequence has T steps), reverse a bool, w_hr [P, H] or None
(LSTM projection: h_t = w_hr @ (o * tanh(c_t))), nonlinearity "tanh" or "relu".
`saved` is whatever the backend needs for backward (None when need_tape is False); api.py wraps it in a Tape.
Backward arguments: dy [T, B, R], dh_n [B, R], dc_n [B, H], all arrays (zeros where the caller gave none).
Gradients have the shapes and dtype of their parameters; db_* only when biases were given, dw_hr only when
w_hr was given. dh0/dc0 are always returned (the gradient with respect to the initial state, zeros or not).
"""
from __future__ import annotations

import importlib
import os

CELLS = ("lstm", "gru", "rnn")
NAMES = ("cpu", "cuda", "c", "numpy")
DEFAULT = "cpu"

# (cell, backend) -> (module, forward function, backward function); imported on first use.
_REGISTRY = {
    ("lstm", "numpy"): ("gatecore.lstm.reference", "forward", "backward"),
    ("gru", "numpy"): ("gatecore.gru.reference", "forward", "backward"),
    ("rnn", "numpy"): ("gatecore.rnn.reference", "forward", "backward"),
    ("lstm", "c"): ("gatecore.native", "lstm_forward", "lstm_backward"),
    ("gru", "c"): ("gatecore.native", "gru_forward", "gru_backward"),
    ("rnn", "c"): ("gatecore.native", "rnn_forward", "rnn_backward"),
    ("lstm", "cpu"): ("gatecore.lstm.cpu", "forward", "backward"),
    ("gru", "cpu"): ("gatecore.gru.cpu", "forward", "backward"),
    ("rnn", "cpu"): ("gatecore.rnn.cpu", "forward", "backward"),
    ("lstm", "cuda"): ("gatecore.lstm.cuda", "forward", "backward"),
    ("gru", "cuda"): ("gatecore.gru.cuda", "forward", "backward"),
    ("rnn", "cuda"): ("gatecore.rnn.cuda", "forward", "backward"),
}

# dtypes each backend computes in
DTYPES = {"cpu": ("float32", "float64"), "c": ("float32", "float64"),
          "numpy": ("float32", "float64"), "cuda": ("float32",)}


class BackendUnavailable(RuntimeError):
    """A known backend that cannot run on this machine; the message says why."""


def _probe_numpy():
    return None


def _probe_c():
    try:
        importlib.import_module("gatecore._native")
    except ImportError as e:  # pragma: no cover - depends on the build
        return f"the C extension gatecore._native is not built ({e}); reinstall with a C compiler present"
    return None


def _probe_cpu():
    try:
        importlib.import_module("numba")
    except ImportError as e:  # pragma: no cover
        return f"numba is not importable ({e})"
    return None


def _probe_cuda():
    try:
        from numba import cuda
    except ImportError as e:
        return f"numba.cuda is not importable ({e}); install numba-cuda"
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return None
    try:
        if not cuda.is_available():
            return "no CUDA GPU or driver found (set NUMBA_ENABLE_CUDASIM=1 to use the simulator)"
    except Exception as e:  # pragma: no cover - driver-specific failures
        return f"CUDA driver error: {e}"
    return None


_PROBES = {"numpy": _probe_numpy, "c": _probe_c, "cpu": _probe_cpu, "cuda": _probe_cuda}
_reasons: dict[str, str | None] = {}
_kernels: dict[tuple[str, str], tuple] = {}


def unavailable_reason(name: str) -> str | None:
    """None if backend `name` can run here, else why not (probed once per process)."""
    if name not in _reasons:
        _reasons[name] = _PROBES[name]()
    return _reasons[name]


def backends() -> dict:
    """{name: True if usable here, else a string saying why not}, for every backend gatecore knows."""
    return {name: unavailable_reason(name) or True for name in NAMES}


def check_name(backend):
    """Resolve None to the default and reject unknown names (ValueError) and unusable ones (BackendUnavailable)."""
    if backend is None:
        backend = DEFAULT
    if backend not in _PROBES:
        raise ValueError(f"backend must be one of {NAMES} or None, got {backend!r}")
    why = unavailable_reason(backend)
    if why is not None:
        raise BackendUnavailable(f"backend {backend!r} is unavailable: {why}")
    return backend


def kernels(cell: str, backend: str):
    """(forward, backward) functions of `cell` on a checked `backend`."""
    key = (cell, backend)
    found = _kernels.get(key)
    if found is None:
        module, fwd, bwd = _REGISTRY[key]
        mod = importlib.import_module(module)
        found = _kernels[key] = (getattr(mod, fwd), getattr(mod, bwd))
    return found
