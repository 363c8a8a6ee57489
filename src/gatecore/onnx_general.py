"""The general, exact NumPy path of the ONNX LSTM, GRU and RNN operators (one direction per call).

gatecore.onnx sends here whatever its fast kernels do not cover: activations other than the defaults, `clip`,
peepholes and `input_forget`. Everything is in ONNX's own gate order; `c(a)` below is `clip(a, -clip, clip)`
when a clip is given and the identity otherwise, applied to the input of every activation (as ONNX Runtime).

    LSTM (gates i, o, f, c; activations f, g, h; peepholes P = [p_i, p_o, p_f]):
        i = f(c(Xt W_i^T + Wb_i + H R_i^T + Rb_i + p_i * C_prev))
        f = 1 - i                                                       if input_forget
          = f(c(Xt W_f^T + Wb_f + H R_f^T + Rb_f + p_f * C_prev))        otherwise
        g = g(c(Xt W_c^T + Wb_c + H R_c^T + Rb_c))
        C = f * C_prev + i * g
        o = f(c(Xt W_o^T + Wb_o + H R_o^T + Rb_o + p_o * C))
        H = o * h(C)                                        (C itself is not clipped, as ONNX Runtime)
    GRU (gates z, r, h; activations f, g):
        z = f(c(Xt W_z^T + Wb_z + H R_z^T + Rb_z))      r = f(c(Xt W_r^T + Wb_r + H R_r^T + Rb_r))
        n = g(c(Xt W_h^T + Wb_h + (r * H) R_h^T + Rb_h))       linear_before_reset = 0
          = g(c(Xt W_h^T + Wb_h + r * (H R_h^T + Rb_h)))       linear_before_reset != 0
        H = (1 - z) * n + z * H_prev
    RNN (activation f):  H = f(c(Xt W^T + Wb + H R^T + Rb))

Arguments of the forward functions (one direction, time-major, one float dtype):
    x [T, B, I], w [G*H, I], r [G*H, H], wb, rb [G*H] (zeros when ONNX's B is absent), h0, c0 [B, H],
    p [3H] or None, lengths int [B] or None (every sequence full), reverse a bool, acts the direction's
    activation callables (from `activations`), clip a float or None.
They return y [T, B, H] (0 at t >= lengths[b]), h_n [B, H] (and c_n [B, H]): the state after each sequence's
last real step (h0/c0 for a length of 0; gatecore.onnx then writes 0 there, as ONNX Runtime).
With reverse, sequence b is read from step lengths[b]-1 back to 0.
"""
from __future__ import annotations

import numpy as np

from .activations import expit


def _affine(x, alpha, beta):
    return alpha * x + beta


def _leaky_relu(x, alpha, beta):
    return np.where(x >= 0, x, alpha * x)


def _thresholded_relu(x, alpha, beta):
    return np.where(x > alpha, x, 0.0).astype(x.dtype)


def _scaled_tanh(x, alpha, beta):
    return alpha * np.tanh(beta * x)


def _hard_sigmoid(x, alpha, beta):
    return np.clip(alpha * x + beta, 0.0, 1.0)


def _elu(x, alpha, beta):
    return np.where(x >= 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _softsign(x, alpha, beta):
    return x / (1 + np.abs(x))


def _softplus(x, alpha, beta):
    return np.logaddexp(x.dtype.type(0), x)


def _relu(x, alpha, beta):
    return np.maximum(x, x.dtype.type(0))


def _tanh(x, alpha, beta):
    return np.tanh(x)


def _sigmoid(x, alpha, beta):
    return expit(x)


# lower-case name -> (function(x, alpha, beta), default alpha, default beta); a default of None means the
# activation takes no such parameter. The defaults are ONNX Runtime's: a missing value is 0, except
# LeakyRelu's alpha 0.01, HardSigmoid's 0.2 and 0.5 and Elu's 1 (the defaults of the ONNX operators).
ACTIVATIONS = {
    "relu": (_relu, None, None),
    "tanh": (_tanh, None, None),
    "sigmoid": (_sigmoid, None, None),
    "affine": (_affine, 0.0, 0.0),
    "leakyrelu": (_leaky_relu, 0.01, None),
    "thresholdedrelu": (_thresholded_relu, 0.0, None),
    "scaledtanh": (_scaled_tanh, 0.0, 0.0),
    "hardsigmoid": (_hard_sigmoid, 0.2, 0.5),
    "elu": (_elu, 1.0, None),
    "softsign": (_softsign, None, None),
    "softplus": (_softplus, None, None),
}


def activation(name: str, alpha, beta, dtype):
    """The callable act(x) of activation `name` (a key of ACTIVATIONS) with its alpha and beta bound."""
    fn = ACTIVATIONS[name][0]
    a = dtype.type(0 if alpha is None else alpha)
    b = dtype.type(0 if beta is None else beta)
    return lambda x: fn(x, a, b)


def _clipper(clip):
    if clip is None:
        return lambda a: a
    return lambda a: np.clip(a, -clip, clip)


def _scan(step, xw, state0, lengths, reverse):
    """Run `step(xw_t, state) -> state` over time with ONNX's sequence_lens and direction semantics.

    xw [T, B, G*H] (the input projection), state0 a tuple of [B, H] arrays whose first is h.
    Returns y [T, B, H] and the final state tuple.
    """
    T, B = xw.shape[:2]
    lens = np.full(B, T, dtype=np.int64) if lengths is None else np.asarray(lengths, dtype=np.int64)
    steps = np.arange(T)[:, None]
    if reverse:
        order = np.where(steps < lens, lens - 1 - steps, steps)      # [T, B]: the time index of step s
    else:
        order = np.broadcast_to(steps, (T, B))
    rows = np.arange(B)
    xs = xw[order, rows]
    y = np.zeros(xw.shape[:2] + state0[0].shape[1:], dtype=xw.dtype)
    state = state0
    for s in range(T):
        active = (s < lens)[:, None]
        if not active.any():
            break
        new = step(xs[s], state)
        state = tuple(np.where(active, n, old) for n, old in zip(new, state))
        y[order[s], rows] = np.where(active, new[0], 0)
    return y, state


def lstm_forward(x, w, r, wb, rb, h0, c0, p, lengths, reverse, acts, clip, input_forget):
    """One direction of ONNX LSTM; acts = (f, g, h). Returns y, h_n, c_n."""
    f_act, g_act, h_act = acts
    c = _clipper(clip)
    H = r.shape[1]
    p_i, p_o, p_f = (None, None, None) if p is None else (p[:H], p[H:2 * H], p[2 * H:])
    xw = x @ w.T + (wb + rb)

    def step(xw_t, state):
        h_prev, c_prev = state
        a = xw_t + h_prev @ r.T
        a_i, a_o, a_f, a_c = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        if p is not None:
            a_i = a_i + p_i * c_prev
            a_f = a_f + p_f * c_prev
        i = f_act(c(a_i))
        f = 1 - i if input_forget else f_act(c(a_f))
        g = g_act(c(a_c))
        c_t = f * c_prev + i * g
        if p is not None:
            a_o = a_o + p_o * c_t
        o = f_act(c(a_o))
        return o * h_act(c_t), c_t

    y, (h_n, c_n) = _scan(step, xw, (h0, c0), lengths, reverse)
    return y, h_n, c_n


def gru_forward(x, w, r, wb, rb, h0, lengths, reverse, acts, clip, linear_before_reset):
    """One direction of ONNX GRU; acts = (f, g). Returns y, h_n."""
    f_act, g_act = acts
    c = _clipper(clip)
    H = r.shape[1]
    r_zr, r_h = r[:2 * H], r[2 * H:]
    rb_zr, rb_h = rb[:2 * H], rb[2 * H:]
    xw = x @ w.T + wb

    def step(xw_t, state):
        (h_prev,) = state
        a_zr = xw_t[:, :2 * H] + h_prev @ r_zr.T + rb_zr
        z = f_act(c(a_zr[:, :H]))
        reset = f_act(c(a_zr[:, H:]))
        if linear_before_reset:
            a_h = xw_t[:, 2 * H:] + reset * (h_prev @ r_h.T + rb_h)
        else:
            a_h = xw_t[:, 2 * H:] + (reset * h_prev) @ r_h.T + rb_h
        n = g_act(c(a_h))
        return ((1 - z) * n + z * h_prev,)

    y, (h_n,) = _scan(step, xw, (h0,), lengths, reverse)
    return y, h_n


def rnn_forward(x, w, r, wb, rb, h0, lengths, reverse, acts, clip):
    """One direction of ONNX RNN; acts = (f,). Returns y, h_n."""
    (f_act,) = acts
    c = _clipper(clip)
    xw = x @ w.T + (wb + rb)

    def step(xw_t, state):
        return (f_act(c(xw_t + state[0] @ r.T)),)

    y, (h_n,) = _scan(step, xw, (h0,), lengths, reverse)
    return y, h_n
