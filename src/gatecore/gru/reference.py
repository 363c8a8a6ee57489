"""Backend "numpy" for the GRU: the readable oracle, one loop over steps, the equations verbatim.

Gates r, z, n stacked in that order along the 3H axis (PyTorch's order):
    r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)      z = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    linear_before_reset=True  (PyTorch, cuDNN):  n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))
    linear_before_reset=False (original, ONNX):  n = tanh(W_in x_t + b_in + W_hn (r * h_{t-1}) + b_hn)
    h_t = (1 - z) * n + z * h_{t-1}

Shapes: x [T, B, I], w_ih [3H, I], w_hh [3H, H], b_ih/b_hh [3H] or None, h0 [B, H] or None (zeros),
lengths int64 [B] or None (all T), y [T, B, H], h_n [B, H]. Everything is computed in x's dtype.

Packed sequences and reverse: the loop runs over steps in the order of gatecore.rnn.reference.step_order
(step k of row b reads time t_of[k, b] and is real iff active[k, b]); a padding step keeps h and writes 0.

The tape holds, in step order, the post-activation gates r, z, n [T, B, H] each, hn [T, B, H] (the recurrent
part of n's pre-activation, W_hn h_{t-1} + b_hn or W_hn (r * h_{t-1}) + b_hn), the state buffer h [T+1, B, H]
with h[0] = h0, x in step order and the masks. Backward takes every derivative from those outputs
(σ' = s(1-s), tanh' = 1-t²) and forms dx, dw_ih, dw_hh, db after its loop.
"""
from __future__ import annotations

import numpy as np

from ..activations import expit as sigmoid
from ..rnn.reference import drop_bias, from_steps, input_grads, project_inputs, step_order, to_steps


def _hidden_part(h, w, b):
    """W h + b for the rows w (b may be None)."""
    out = h @ w.T
    if b is not None:
        out += b
    return out


def forward(x, w_ih, w_hh, b_ih, b_hh, h0, lengths, reverse, linear_before_reset, need_tape):
    """GRU forward (contract in gatecore.backends): returns (y, h_n, saved or None)."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    t_of, active = step_order(T, B, lengths, reverse)
    xs, xp = project_inputs(x, w_ih, b_ih, t_of)
    x_r, x_z, x_n = xp[:, :, :H], xp[:, :, H:2 * H], xp[:, :, 2 * H:]
    w_hrz, w_hn = w_hh[:2 * H], w_hh[2 * H:]
    b_hrz, b_hn = (None, None) if b_hh is None else (b_hh[:2 * H], b_hh[2 * H:])
    h = np.empty((T + 1, B, H), dtype=x.dtype)
    h[0] = 0 if h0 is None else h0
    r, z, n, hn = (np.zeros((T, B, H), dtype=x.dtype) for _ in range(4))
    y = np.zeros((T, B, H), dtype=x.dtype)
    for k in range(T):
        h_prev = h[k]
        hrz = _hidden_part(h_prev, w_hrz, b_hrz)
        r[k] = sigmoid(x_r[k] + hrz[:, :H])
        z[k] = sigmoid(x_z[k] + hrz[:, H:])
        if linear_before_reset:
            hn[k] = _hidden_part(h_prev, w_hn, b_hn)
            n[k] = np.tanh(x_n[k] + r[k] * hn[k])
        else:
            hn[k] = _hidden_part(r[k] * h_prev, w_hn, b_hn)
            n[k] = np.tanh(x_n[k] + hn[k])
        h_t = (1 - z[k]) * n[k] + z[k] * h_prev
        real = active[k][:, None]
        h[k + 1] = np.where(real, h_t, h_prev)
        y[k] = np.where(real, h_t, 0)
    saved = None
    if need_tape:
        saved = {"xs": xs, "w_ih": w_ih, "w_hh": w_hh, "r": r, "z": z, "n": n, "hn": hn, "h": h,
                 "t_of": t_of, "active": active, "linear_before_reset": linear_before_reset,
                 "has_bias": b_ih is not None}
    return from_steps(y, t_of), h[T].copy(), saved


def backward(saved, dy, dh_n):
    """GRU backward through time: returns {dx, dh0, dw_ih, dw_hh[, db_ih, db_hh]}."""
    r, z, n, hn, h = (saved[k] for k in ("r", "z", "n", "hn", "h"))
    w_hh, t_of, active = saved["w_hh"], saved["t_of"], saved["active"]
    lbr = saved["linear_before_reset"]
    T, B, H = r.shape
    w_hrz, w_hn = w_hh[:2 * H], w_hh[2 * H:]
    dys = to_steps(dy, t_of)
    dxp = np.zeros((T, B, 3 * H), dtype=h.dtype)       # ∂L/∂(W_i* x_t + b_i*)
    dhp = np.zeros((T, B, 3 * H), dtype=h.dtype)       # ∂L/∂(W_h* h_{t-1} + b_h*), or of W_hn (r*h) + b_hn
    dh_next = dh_n.copy()
    for k in range(T - 1, -1, -1):
        real = active[k][:, None]
        h_prev = h[k]
        dh = dh_next + np.where(real, dys[k], 0)
        da_n = dh * (1 - z[k]) * (1 - n[k] * n[k])
        da_z = dh * (h_prev - n[k]) * z[k] * (1 - z[k])
        if lbr:
            dhn = da_n * r[k]
            da_r = da_n * hn[k] * r[k] * (1 - r[k])
            dh_prev = dh * z[k]
        else:
            dhn = da_n
            drh = da_n @ w_hn
            da_r = drh * h_prev * r[k] * (1 - r[k])
            dh_prev = dh * z[k] + drh * r[k]
        dxp[k] = np.where(real, np.concatenate([da_r, da_z, da_n], axis=1), 0)
        dhp[k] = np.where(real, np.concatenate([da_r, da_z, dhn], axis=1), 0)
        if lbr:
            dh_prev = dh_prev + dhp[k] @ w_hh
        else:
            dh_prev = dh_prev + dhp[k, :, :2 * H] @ w_hrz
        dh_next = np.where(real, dh_prev, dh)
    dx, dw_ih, db_ih = input_grads(dxp, saved["xs"], saved["w_ih"], t_of)
    h_prev_all = h[:-1].reshape(-1, H)
    dhp_rows = dhp.reshape(-1, 3 * H)
    if lbr:
        dw_hh = dhp_rows.T @ h_prev_all
    else:
        rh = (r * h[:-1]).reshape(-1, H)
        dw_hh = np.concatenate([dhp_rows[:, :2 * H].T @ h_prev_all, dhp_rows[:, 2 * H:].T @ rh])
    grads = {"dx": dx, "dh0": dh_next, "dw_ih": dw_ih, "dw_hh": dw_hh, "db_ih": db_ih,
             "db_hh": dhp_rows.sum(axis=0)}
    return drop_bias(grads, saved["has_bias"])
