"""Checks shared by tests/{lstm,gru,rnn}/test_reference.py: the numpy backend against torch.nn and against
central finite differences (float64; tolerances support.TOL and support.FD_TOL).

`torch_run(cell, problem, dy, dh, dc, reverse, **opts)` takes the keyword arguments of <cell>_forward (as made
by tests.support.random_problem, float64) and the upstream gradients, and returns (outputs, gradients) named
as gatecore names them, computed by torch autograd. reverse=True runs a bidirectional torch layer and keeps
its reverse half (which on packed input reads each sequence from its own end). `lengths` go through
pack_padded_sequence(enforce_sorted=False); torch refuses length 0, so those batch rows are left out of the
torch call and filled in from the semantics of API.md §1: y = 0, h_n = h0, c_n = c0, dx = 0, dh0 = dh_n, dc0 =
dc_n, and no contribution to the weight gradients.
"""
from __future__ import annotations

import numpy as np
import pytest

from tests import support

try:
    import torch
except ImportError:  # pragma: no cover - torch is in the test extra
    torch = None

# (T, B, I, H): single steps, single rows, width 1 and I != H
ODD_SHAPES = [(1, 1, 1, 1), (1, 3, 4, 2), (5, 1, 2, 3), (3, 2, 5, 1), (4, 3, 1, 4)]
_PARAMS = {"w_ih": "weight_ih", "w_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh",
           "w_hr": "weight_hr"}


def _module(cell, problem, reverse, opts):
    I = problem["x"].shape[2]
    H = problem["w_hh"].shape[0] // {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    kw = {"bias": "b_ih" in problem, "bidirectional": reverse, "dtype": torch.float64}
    if cell == "lstm":
        m = torch.nn.LSTM(I, H, proj_size=problem["w_hr"].shape[0] if "w_hr" in problem else 0, **kw)
    elif cell == "gru":
        assert opts.get("linear_before_reset", True), "torch has only the linear_before_reset=True GRU"
        m = torch.nn.GRU(I, H, **kw)
    else:
        m = torch.nn.RNN(I, H, nonlinearity=opts.get("nonlinearity", "tanh"), **kw)
    suffix = "_l0_reverse" if reverse else "_l0"
    with torch.no_grad():
        for ours, theirs in _PARAMS.items():
            if ours in problem:
                getattr(m, theirs + suffix).copy_(torch.from_numpy(problem[ours]))
    return m, suffix


def _state(value, B, width, keep, reverse):
    """Initial state for torch, [D, B', width] with ours in the used direction, and the leaf to take d of."""
    leaf = torch.tensor(np.zeros((B, width)) if value is None else value, requires_grad=True)
    other = torch.zeros((len(keep), width), dtype=torch.float64)
    both = [other, leaf[keep]] if reverse else [leaf[keep]]
    return torch.stack(both), leaf


def torch_run(cell, problem, dy, dh, dc=None, reverse=False, **opts):
    """From torch: (outputs {y, h_n[, c_n]}, gradients {dx, dh0[, dc0], dw_ih, dw_hh[, db_*][, dw_hr]})."""
    x = problem["x"]
    T, B, _ = x.shape
    R = problem["w_hh"].shape[1]
    lengths = problem.get("lengths")
    keep = np.arange(B) if lengths is None else np.flatnonzero(np.asarray(lengths) > 0)
    module, suffix = _module(cell, problem, reverse, opts)
    x_t = torch.tensor(x, requires_grad=True)
    h0, h0_leaf = _state(problem.get("h0"), B, R, keep, reverse)
    state = h0
    if cell == "lstm":
        H = problem["w_ih"].shape[0] // 4
        c0, c0_leaf = _state(problem.get("c0"), B, H, keep, reverse)
        state = (h0, c0)
    outs = {"y": np.zeros((T, B, R)), "h_n": h0_leaf.detach().numpy().copy()}
    if cell == "lstm":
        outs["c_n"] = c0_leaf.detach().numpy().copy()
    total = 0.0
    if len(keep):
        inp = x_t[:, keep]
        if lengths is not None:
            kept = torch.from_numpy(np.asarray(lengths)[keep])
            inp = torch.nn.utils.rnn.pack_padded_sequence(inp, kept, enforce_sorted=False)
        y, s_n = module(inp, state)
        if lengths is not None:
            y = torch.nn.utils.rnn.pad_packed_sequence(y, total_length=T)[0]
        d = 1 if reverse else 0
        y = y[:, :, d * R:(d + 1) * R]
        finals = {"h_n": s_n[0][d], "c_n": s_n[1][d]} if cell == "lstm" else {"h_n": s_n[d]}
        total = (y * torch.from_numpy(dy[:, keep])).sum()
        outs["y"][:, keep] = y.detach().numpy()
        for name, value in finals.items():
            upstream = dh if name == "h_n" else dc
            total = total + (value * torch.from_numpy(upstream[keep])).sum()
            outs[name][keep] = value.detach().numpy()
        total.backward()
    grads = {"dx": _grad(x_t), "dh0": _grad(h0_leaf)}
    skipped = np.setdiff1d(np.arange(B), keep)
    grads["dh0"][skipped] = dh[skipped]
    if cell == "lstm":
        grads["dc0"] = _grad(c0_leaf)
        grads["dc0"][skipped] = dc[skipped]
    for ours, theirs in _PARAMS.items():
        if ours in problem:
            grads["d" + ours] = _grad(getattr(module, theirs + suffix))
    return outs, grads


def _grad(t):
    return np.zeros(tuple(t.shape)) if t.grad is None else t.grad.detach().numpy().copy()


def check_against_torch(cell, problem, reverse=False, **opts):
    """numpy backend == torch.nn on `problem` (float64): outputs, final states and every gradient."""
    if torch is None:
        pytest.skip("torch is not installed: the torch.nn comparison needs it")
    outs, grads = support.run(cell, problem, "numpy", reverse=reverse, **opts)
    dy, dh, dc = support.cotangents(cell, outs["y"], outs["h_n"], outs.get("c_n"))
    ref_outs, ref_grads = torch_run(cell, problem, dy, dh, dc, reverse, **opts)
    support.assert_results_close(outs, ref_outs, np.float64, f"{cell} vs torch: ")
    support.assert_results_close(grads, ref_grads, np.float64, f"{cell} vs torch: ")


def check_finite_differences(cell, problem, reverse=False, **opts):
    """Every analytic float64 gradient of the numpy backend == central differences of its forward."""
    outs, grads = support.run(cell, problem, "numpy", reverse=reverse, **opts)
    dy, dh, dc = support.cotangents(cell, outs["y"], outs["h_n"], outs.get("c_n"))
    names = [name for name in problem if name != "lengths"]
    assert {support.GRAD_OF[n] for n in names} <= set(grads), f"missing gradients: {sorted(grads)}"
    for name in names:
        fd = support.finite_difference(cell, problem, "numpy", dy, dh, dc, name, reverse=reverse, **opts)
        support.assert_close(grads[support.GRAD_OF[name]], fd, *support.FD_TOL, f"{cell} d{name} vs FD")


def check_without_bias_or_state(cell, T, B, I, H, seed, **opts):
    """No biases and no initial state: gradients match central differences and no db_* (or dw_hr) appears."""
    problem = support.random_problem(cell, T, B, I, H, bias=False, init_state=False, seed=seed)
    check_finite_differences(cell, problem, **opts)
    assert not {"db_ih", "db_hh", "dw_hr"} & set(support.run(cell, problem, "numpy", **opts)[1])
