"""Elman RNN pointwise math, written once and compiled for CPU and GPU.

    h_t = act(a),  a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,  act = tanh (RELU=False) or relu (RELU=True)
"""
import math

from ..activations import dtanh

GATES = 1
TANH, RELU = 0, 1                # the activation codes kernels take


def step(a, act):
    """Forward: act(a) for activation code act."""
    if act == RELU:
        return 0.0 if a <= 0.0 else a         # a NaN stays NaN, as in PyTorch
    return math.tanh(a)


def step_grad(h, dh, act):
    """Backward from the output h = act(a): ∂L/∂a."""
    if act == RELU:
        return dh if h > 0.0 else 0.0
    return dh * dtanh(h)
