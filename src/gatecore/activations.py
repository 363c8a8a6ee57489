"""Scalar activations shared by every cell's pointwise math (compiled for CPU and GPU by the backends), and σ over
NumPy arrays for the plain-NumPy references (expit)."""
import math

import numpy as np


def sigmoid(a):
    """σ(a) = 1 / (1 + e^-a); saturates to 0 or 1 without overflow warnings in compiled code."""
    return 1.0 / (1.0 + math.exp(-a))


def dsigmoid(s):
    """σ'(a) written from the output s = σ(a)."""
    return s * (1.0 - s)


def dtanh(t):
    """tanh'(a) written from the output t = tanh(a)."""
    return 1.0 - t * t


def expit(a):
    """σ(a) over a NumPy array, in a's dtype: 1 / (1 + e^-a) for a >= 0, e^a / (1 + e^a) below, so e^-|a| <= 1 never
    overflows and neither branch cancels (scipy.special.expit's values to a few ulp, without importing SciPy)."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, e.dtype.type(1), e) / (1.0 + e)      # a scalar of e's dtype: float32 stays float32
