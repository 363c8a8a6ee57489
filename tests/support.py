"""Shared test helpers: random problems, one call shape for all cells, tolerance checks that show where they fail.

Tolerances (|got - ref| <= atol + rtol * |ref|, elementwise):
  float64 against a float64 reference: rtol 1e-10, atol 1e-12
  float32 against a float64 reference: rtol 1e-5,  atol 1e-5   (outputs and gradients are O(1) here)
  float64 gradients against central finite differences: FD_TOL
"""
from __future__ import annotations

import numpy as np

import gatecore as gc

TOL = {np.dtype(np.float64): (1e-10, 1e-12), np.dtype(np.float32): (1e-5, 1e-5)}
# analytic float64 gradients against central differences (eps 1e-6: truncation ~1e-12, rounding ~1e-10)
FD_TOL = (1e-6, 1e-8)
GATES = {"lstm": 4, "gru": 3, "rnn": 1}

# every (cell, variant) the kernels offer: the options passed to <cell>_forward
VARIANTS = [
    ("lstm", {}),
    ("gru", {"linear_before_reset": True}),
    ("gru", {"linear_before_reset": False}),
    ("rnn", {"nonlinearity": "tanh"}),
    ("rnn", {"nonlinearity": "relu"}),
]
VARIANT_IDS = ["lstm", "gru-lbr", "gru-orig", "rnn-tanh", "rnn-relu"]


def available(backend: str) -> bool:
    return gc.backends()[backend] is True


def random_problem(cell, T, B, I, H, dtype=np.float64, *, bias=True, init_state=True, lengths=None,
                   proj=0, seed=0, scale=0.5):
    """Keyword arguments for <cell>_forward: x, w_ih, w_hh (+ b_ih, b_hh, h0, c0, lengths, w_hr).

    Weights are random and non-uniform (uniform gates would hide gate-order mistakes); `lengths` may be
    "random" (drawn in [0, T], with at least one 0 and one T when B >= 2) or an explicit sequence.
    """
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    R = proj or H

    def u(*shape):
        return rng.uniform(-scale, scale, size=shape).astype(dtype)

    p = {"x": rng.standard_normal((T, B, I)).astype(dtype), "w_ih": u(G * H, I), "w_hh": u(G * H, R)}
    if bias:
        p["b_ih"], p["b_hh"] = u(G * H), u(G * H)
    if init_state:
        p["h0"] = u(B, R)
        if cell == "lstm":
            p["c0"] = u(B, H)
    if proj:
        p["w_hr"] = u(proj, H)
    if isinstance(lengths, str) and lengths == "random":
        lens = rng.integers(0, T + 1, size=B)
        if B >= 2:
            lens[0], lens[-1] = 0, T
        p["lengths"] = lens.astype(np.int64)
    elif lengths is not None:
        p["lengths"] = np.asarray(lengths, dtype=np.int64)
    return p


def as64(problem):
    """The same problem in float64 (float32 results are checked against float64 on identical inputs)."""
    return {k: (v.astype(np.float64) if v.dtype.kind == "f" else v) for k, v in problem.items()}


def forward(cell, problem, backend, return_tape=False, reverse=False, **opts):
    """Run <cell>_forward; returns (y, h_n, c_n or None[, tape])."""
    fn = {"lstm": gc.lstm_forward, "gru": gc.gru_forward, "rnn": gc.rnn_forward}[cell]
    out = fn(**problem, reverse=reverse, backend=backend, return_tape=return_tape, **opts)
    if cell == "lstm":
        return out
    if return_tape:
        y, h_n, tape = out
        return y, h_n, None, tape
    y, h_n = out
    return y, h_n, None


def backward(cell, tape, dy, dh_n=None, dc_n=None):
    if cell == "lstm":
        return gc.lstm_backward(tape, dy, dh_n, dc_n)
    return {"gru": gc.gru_backward, "rnn": gc.rnn_backward}[cell](tape, dy, dh_n)


def cotangents(cell, y, h_n, c_n, seed=1):
    """Random upstream gradients (dy, dh_n, dc_n) shaped like the outputs."""
    rng = np.random.default_rng(seed)
    dy = rng.standard_normal(y.shape).astype(y.dtype)
    dh = rng.standard_normal(h_n.shape).astype(y.dtype)
    dc = rng.standard_normal(c_n.shape).astype(y.dtype) if c_n is not None else None
    return dy, dh, dc


def run(cell, problem, backend, dy=None, dh=None, dc=None, reverse=False, **opts):
    """Forward and backward on `backend`: returns (outputs dict, gradients dict)."""
    y, h_n, c_n, tape = forward(cell, problem, backend, return_tape=True, reverse=reverse, **opts)
    if dy is None:
        dy, dh, dc = cotangents(cell, y, h_n, c_n)
    grads = backward(cell, tape, dy, dh, dc)
    outs = {"y": y, "h_n": h_n}
    if c_n is not None:
        outs["c_n"] = c_n
    return outs, grads


def loss(cell, problem, backend, dy, dh, dc, reverse=False, **opts):
    """Scalar L = <dy, y> + <dh, h_n> + <dc, c_n>, whose gradients are what backward returns for (dy, dh, dc)."""
    y, h_n, c_n = forward(cell, problem, backend, reverse=reverse, **opts)
    total = float(np.sum(dy * y) + np.sum(dh * h_n))
    if c_n is not None:
        total += float(np.sum(dc * c_n))
    return total


GRAD_OF = {"x": "dx", "w_ih": "dw_ih", "w_hh": "dw_hh", "b_ih": "db_ih", "b_hh": "db_hh", "h0": "dh0",
           "c0": "dc0", "w_hr": "dw_hr"}


def finite_difference(cell, problem, backend, dy, dh, dc, name, eps=1e-6, reverse=False, **opts):
    """Central differences of `loss` with respect to every element of problem[name] (float64 only)."""
    base = problem[name]
    grad = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        orig = base[idx]
        base[idx] = orig + eps
        up = loss(cell, problem, backend, dy, dh, dc, reverse, **opts)
        base[idx] = orig - eps
        down = loss(cell, problem, backend, dy, dh, dc, reverse, **opts)
        base[idx] = orig
        grad[idx] = (up - down) / (2 * eps)
    return grad


def assert_close(got, ref, rtol, atol, what="array"):
    """|got - ref| <= atol + rtol*|ref| elementwise (NaN only where ref is NaN); on failure name the worst
    and the first mismatching indices."""
    got = np.asarray(got)
    ref = np.asarray(ref)
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != reference {ref.shape}"
    assert got.dtype.kind == "f", f"{what}: dtype {got.dtype} is not float"
    nan_ok = np.isnan(got) == np.isnan(ref)
    err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    bound = atol + rtol * np.abs(ref.astype(np.float64))
    bad = ~nan_ok | (~np.isnan(ref) & ~(err <= bound))
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        finite_err = np.where(np.isnan(err), 0, err)
        worst = np.unravel_index(np.argmax(finite_err), err.shape)
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} elements out of tolerance (rtol={rtol}, atol={atol}); "
            f"first at {first}: got {got[first]!r}, ref {ref[first]!r}; worst at {tuple(map(int, worst))}: "
            f"|err|={finite_err[worst]:.3e}, ref {ref[worst]!r}")


def assert_results_close(got, ref, dtype, what=""):
    """Compare two dicts of arrays (outputs or gradients) key by key at the tolerance of `dtype`."""
    rtol, atol = TOL[np.dtype(dtype)]
    assert set(got) == set(ref), f"{what}: keys {sorted(got)} != reference keys {sorted(ref)}"
    for k in ref:
        assert np.asarray(got[k]).dtype == np.dtype(dtype), f"{what}{k}: dtype {np.asarray(got[k]).dtype}"
        assert_close(got[k], ref[k], rtol, atol, f"{what}{k}")
