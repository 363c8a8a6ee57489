"""Scalar activations shared by every cell's pointwise math (compiled for CPU and GPU by the backends)."""
import math


def sigmoid(a):
    """σ(a) = 1 / (1 + e^-a); saturates to 0 or 1 without overflow warnings in compiled code."""
    return 1.0 / (1.0 + math.exp(-a))


def dsigmoid(s):
    """σ'(a) written from the output s = σ(a)."""
    return s * (1.0 - s)


def dtanh(t):
    """tanh'(a) written from the output t = tanh(a)."""
    return 1.0 - t * t
