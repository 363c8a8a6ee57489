"""LSTM pointwise math for one (batch row, hidden unit): written once, compiled for CPU and GPU.

Pre-activations a_* = W_i* x_t + b_i* + W_h* h_{t-1} + b_h*, gates stacked i, f, g, o along w_ih's rows:
    i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
    c_t = f * c_{t-1} + i * g
    m_t = o * tanh(c_t)          (h_t = m_t, or h_t = W_hr m_t with a projection)
Backends compile these plain functions with numba.njit(inline="always") and numba.cuda.jit(device=True) (step's
two halves with it: the CPU kernels run them as two loops, cpu.py).
"""
import math

from ..activations import dsigmoid, dtanh, sigmoid

GATES = 4
I, F, G, O = 0, 1, 2, 3          # gate blocks along the 4H axis


def step(a_i, a_f, a_g, a_o, c_prev):
    """Forward: returns (i, f, g, o, c, m) with m = o * tanh(c)."""
    i, f, g, o = gates(a_i, a_f, a_g, a_o)
    c, m = state(i, f, g, o, c_prev)
    return i, f, g, o, c, m


def gates(a_i, a_f, a_g, a_o):
    """The first half of step: (i, f, g, o) from the pre-activations."""
    return sigmoid(a_i), sigmoid(a_f), math.tanh(a_g), sigmoid(a_o)


def state(i, f, g, o, c_prev):
    """The second half of step: (c, m) = (f * c_prev + i * g, o * tanh(c))."""
    c = f * c_prev + i * g
    return c, o * math.tanh(c)


def step_grad(i, f, g, o, c_prev, c, dm, dc_next):
    """Backward from post-activation gates: dm = ∂L/∂m_t, dc_next = ∂L/∂c_t from step t+1.

    Returns (da_i, da_f, da_g, da_o, dc_prev): gradients of the four pre-activations and of c_{t-1}.
    """
    tc = math.tanh(c)
    dc = dc_next + dm * o * dtanh(tc)
    da_i = dc * g * dsigmoid(i)
    da_f = dc * c_prev * dsigmoid(f)
    da_g = dc * i * dtanh(g)
    da_o = dm * tc * dsigmoid(o)
    return da_i, da_f, da_g, da_o, dc * f
