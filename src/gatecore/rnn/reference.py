"""Backend "numpy" for the Elman RNN: the readable oracle, one loop over steps, the equations verbatim.

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        h_t = act(a_t),   act = tanh or relu

Shapes: x [T, B, I], w_ih [H, I], w_hh [H, H], b_ih/b_hh [H] or None, h0 [B, H] or None (zeros),
lengths int64 [B] or None (all T), y [T, B, H], h_n [B, H]. Everything is computed in x's dtype.

Packed sequences (API.md §1): the loop runs over *steps* k = 0..T-1. Step k of batch row b reads time
t_of[k, b] (k forward; lengths[b]-1-k with reverse=True, so each sequence is read from its own last real step)
and is real iff active[k, b] (k < lengths[b]). A padding step leaves the state unchanged and writes y = 0.
Inputs are gathered into step order once (`to_steps`) and outputs scattered back (`from_steps`).

The tape holds the state buffer h [T+1, B, H] in step order with h[0] = h0 (post-activation: tanh' = 1 - h²,
relu' = [h > 0]), x in step order and the masks; backward forms dx, dw_ih, dw_hh, db after its loop.

The packed-sequence helpers here (`step_order`, `to_steps`, `from_steps`, `project_inputs`, `input_grads`,
`drop_bias`) are shared by the LSTM and GRU references.
"""
from __future__ import annotations

import numpy as np


# ---------------------------------------------------------------------------- packed-sequence helpers
def step_order(T, B, lengths, reverse):
    """(t_of [T, B], active [T, B]): step k of row b reads time t_of[k, b]; it is real iff active[k, b]."""
    k = np.arange(T)[:, None]
    n = np.full(B, T, dtype=np.int64) if lengths is None else lengths
    active = k < n
    t_of = np.where(active, n - 1 - k, k) if reverse else np.broadcast_to(k, (T, B))
    return t_of, active


def to_steps(a, t_of):
    """a [T, B, ...] in time order -> step order."""
    return a[t_of, np.arange(a.shape[1])]


def from_steps(a_steps, t_of):
    """a_steps [T, B, ...] in step order -> time order (t_of is a permutation of 0..T-1 in every column)."""
    a = np.empty_like(a_steps)
    a[t_of, np.arange(a_steps.shape[1])] = a_steps
    return a


def project_inputs(x, w_ih, b_ih, t_of):
    """x in step order and its projection W_ih x + b_ih for all T*B rows at once: (xs [T,B,I], xp [T,B,GH])."""
    xs = to_steps(x, t_of)
    xp = xs @ w_ih.T
    if b_ih is not None:
        xp += b_ih
    return xs, xp


def input_grads(dxp, xs, w_ih, t_of):
    """From dxp [T, B, GH] = ∂L/∂(W_ih x_t + b_ih) in step order: (dx [T,B,I] in time order, dw_ih, db_ih)."""
    GH = dxp.shape[2]
    dx = from_steps(dxp @ w_ih, t_of)
    dw_ih = dxp.reshape(-1, GH).T @ xs.reshape(-1, xs.shape[2])
    return dx, dw_ih, dxp.reshape(-1, GH).sum(axis=0)


def drop_bias(grads, has_bias):
    """grads without db_ih/db_hh when the forward had no bias (the contract returns them only with biases)."""
    if not has_bias:
        del grads["db_ih"], grads["db_hh"]
    return grads


# ------------------------------------------------------------------------------------------------ RNN
def _act(a, nonlinearity):
    return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)      # maximum keeps NaN, as relu does


def forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, nonlinearity, need_tape):
    """RNN forward (contract in gatecore.backends): returns (y, h_n, saved or None)."""
    T, B, _ = x.shape
    H = w_hh.shape[0]
    t_of, active = step_order(T, B, lengths, reverse)
    xs, xp = project_inputs(x, w_ih, b_ih, t_of)
    h = np.empty((T + 1, B, H), dtype=x.dtype)
    h[0] = 0 if h0 is None else h0
    y = np.zeros((T, B, H), dtype=x.dtype)
    for k in range(T):
        a = xp[k] + h[k] @ w_hh.T
        if b_hh is not None:
            a += b_hh
        h_t = _act(a, nonlinearity)
        real = active[k][:, None]
        h[k + 1] = np.where(real, h_t, h[k])
        y[k] = np.where(real, h_t, 0)
    saved = None
    if need_tape:
        saved = {"xs": xs, "w_ih": w_ih, "w_hh": w_hh, "h": h, "t_of": t_of, "active": active,
                 "nonlinearity": nonlinearity, "has_bias": b_ih is not None}
    return from_steps(y, t_of), h[T].copy(), saved


def backward(saved, dy, dh_n):
    """RNN backward through time: returns {dx, dh0, dw_ih, dw_hh[, db_ih, db_hh]}."""
    h, w_hh, t_of, active = saved["h"], saved["w_hh"], saved["t_of"], saved["active"]
    T = h.shape[0] - 1
    dys = to_steps(dy, t_of)
    da = np.zeros_like(h[1:])
    dh_next = dh_n.copy()
    for k in range(T - 1, -1, -1):
        real = active[k][:, None]
        dh = dh_next + np.where(real, dys[k], 0)
        h_t = h[k + 1]
        if saved["nonlinearity"] == "tanh":
            da_t = dh * (1 - h_t * h_t)
        else:
            da_t = np.where(h_t > 0, dh, 0)
        da[k] = np.where(real, da_t, 0)
        dh_next = np.where(real, da[k] @ w_hh, dh)
    dx, dw_ih, db_ih = input_grads(da, saved["xs"], saved["w_ih"], t_of)
    H = w_hh.shape[0]
    dw_hh = da.reshape(-1, H).T @ h[:-1].reshape(-1, H)
    grads = {"dx": dx, "dh0": dh_next, "dw_ih": dw_ih, "dw_hh": dw_hh, "db_ih": db_ih, "db_hh": db_ih.copy()}
    return drop_bias(grads, saved["has_bias"])
