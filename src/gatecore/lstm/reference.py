"""Backend "numpy" for the LSTM: the readable oracle, one loop over steps, the equations verbatim.

Gates i, f, g, o stacked in that order along the 4H axis (PyTorch's order):
    i = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)     f = σ(...)     g = tanh(...)     o = σ(...)
    c_t = f * c_{t-1} + i * g
    m_t = o * tanh(c_t)
    h_t = m_t,  or with a projection (PyTorch's proj_size)  h_t = W_hr m_t

Shapes: x [T, B, I], w_ih [4H, I], w_hh [4H, R], b_ih/b_hh [4H] or None, h0 [B, R] or None (zeros),
c0 [B, H] or None (zeros), w_hr [P, H] or None, lengths int64 [B] or None (all T); R = P with a projection,
else H. Outputs y [T, B, R], h_n [B, R], c_n [B, H]; everything is computed in x's dtype.

Packed sequences and reverse: the loop runs over steps in the order of gatecore.rnn.reference.step_order
(step k of row b reads time t_of[k, b] and is real iff active[k, b]); a padding step keeps (h, c) and writes 0.

The tape holds, in step order, the post-activation gates i, f, g, o [T, B, H] each, the state buffers
h [T+1, B, R] and c [T+1, B, H] with h[0] = h0, c[0] = c0, x in step order and the masks. Backward takes every
derivative from those outputs (σ' = s(1-s), tanh' = 1-t²) and forms dx, dw_ih, dw_hh, db (and dw_hr) after
its loop.
"""
from __future__ import annotations

import numpy as np

from ..activations import expit as sigmoid
from ..rnn.reference import drop_bias, from_steps, input_grads, project_inputs, step_order, to_steps


def forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse, w_hr, need_tape):
    """LSTM forward (contract in gatecore.backends): returns (y, h_n, c_n, saved or None)."""
    T, B, _ = x.shape
    H = w_ih.shape[0] // 4
    R = H if w_hr is None else w_hr.shape[0]
    t_of, active = step_order(T, B, lengths, reverse)
    xs, xp = project_inputs(x, w_ih, b_ih, t_of)
    h = np.empty((T + 1, B, R), dtype=x.dtype)
    c = np.empty((T + 1, B, H), dtype=x.dtype)
    h[0] = 0 if h0 is None else h0
    c[0] = 0 if c0 is None else c0
    i, f, g, o = (np.zeros((T, B, H), dtype=x.dtype) for _ in range(4))
    y = np.zeros((T, B, R), dtype=x.dtype)
    for k in range(T):
        a = xp[k] + h[k] @ w_hh.T
        if b_hh is not None:
            a += b_hh
        i[k] = sigmoid(a[:, 0 * H:1 * H])
        f[k] = sigmoid(a[:, 1 * H:2 * H])
        g[k] = np.tanh(a[:, 2 * H:3 * H])
        o[k] = sigmoid(a[:, 3 * H:4 * H])
        c_t = f[k] * c[k] + i[k] * g[k]
        m_t = o[k] * np.tanh(c_t)
        h_t = m_t if w_hr is None else m_t @ w_hr.T
        real = active[k][:, None]
        c[k + 1] = np.where(real, c_t, c[k])
        h[k + 1] = np.where(real, h_t, h[k])
        y[k] = np.where(real, h_t, 0)
    saved = None
    if need_tape:
        saved = {"xs": xs, "w_ih": w_ih, "w_hh": w_hh, "w_hr": w_hr, "i": i, "f": f, "g": g, "o": o,
                 "h": h, "c": c, "t_of": t_of, "active": active, "has_bias": b_ih is not None}
    return from_steps(y, t_of), h[T].copy(), c[T].copy(), saved


def backward(saved, dy, dh_n, dc_n):
    """LSTM backward through time: returns {dx, dh0, dc0, dw_ih, dw_hh[, db_ih, db_hh][, dw_hr]}."""
    i, f, g, o, h, c = (saved[k] for k in ("i", "f", "g", "o", "h", "c"))
    w_hh, w_hr, t_of, active = saved["w_hh"], saved["w_hr"], saved["t_of"], saved["active"]
    T, B, H = i.shape
    R = h.shape[2]
    dys = to_steps(dy, t_of)
    da = np.zeros((T, B, 4 * H), dtype=h.dtype)
    dh_real = np.zeros((T, B, R), dtype=h.dtype)      # ∂L/∂h_t at real steps: feeds dw_hr
    dh_next, dc_next = dh_n.copy(), dc_n.copy()
    for k in range(T - 1, -1, -1):
        real = active[k][:, None]
        dh = dh_next + np.where(real, dys[k], 0)
        dm = dh if w_hr is None else dh @ w_hr
        tc = np.tanh(c[k + 1])
        dc = dc_next + dm * o[k] * (1 - tc * tc)
        da_i = dc * g[k] * i[k] * (1 - i[k])
        da_f = dc * c[k] * f[k] * (1 - f[k])
        da_g = dc * i[k] * (1 - g[k] * g[k])
        da_o = dm * tc * o[k] * (1 - o[k])
        da[k] = np.where(real, np.concatenate([da_i, da_f, da_g, da_o], axis=1), 0)
        dh_real[k] = np.where(real, dh, 0)
        dh_next = np.where(real, da[k] @ w_hh, dh)
        dc_next = np.where(real, dc * f[k], dc_next)
    dx, dw_ih, db_ih = input_grads(da, saved["xs"], saved["w_ih"], t_of)
    dw_hh = da.reshape(-1, 4 * H).T @ h[:-1].reshape(-1, R)
    grads = {"dx": dx, "dh0": dh_next, "dc0": dc_next, "dw_ih": dw_ih, "dw_hh": dw_hh,
             "db_ih": db_ih, "db_hh": db_ih.copy()}
    if w_hr is not None:
        m = o * np.tanh(c[1:])
        grads["dw_hr"] = dh_real.reshape(-1, R).T @ m.reshape(-1, H)
    return drop_bias(grads, saved["has_bias"])
