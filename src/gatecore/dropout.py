"""Inverted dropout between stacked recurrent layers (training only), as PyTorch's `dropout=` argument.

For the input u of layer k >= 1 (the concatenated output of layer k-1, shape [T, B, D*H_out]):

    mask = bernoulli(1 - p) / (1 - p)       (all zeros when p = 1)
    forward:   u_dropped = u * mask
    backward:  du = du_dropped * mask

The mask is drawn once per forward_train call and kept on the tape, so backward applies the very same mask.
"""
from __future__ import annotations

import numbers

import numpy as np


def check_p(p) -> float:
    """The dropout probability as a float in [0, 1], else TypeError/ValueError naming `dropout`."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"dropout must be a number in [0, 1], got {type(p).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout must be in [0, 1], got {p}")
    return float(p)


class Dropout:
    """Draws inverted-dropout masks from its own generator (reproducible when seeded)."""

    def __init__(self, p: float, rng: np.random.Generator):
        self.p = p
        self.rng = rng

    def mask(self, shape, dtype) -> np.ndarray:
        """A [*shape] array of 0 and 1/(1-p) in `dtype`."""
        keep = 1.0 - self.p
        if keep == 0.0:
            return np.zeros(shape, dtype)
        kept = self.rng.random(shape) < keep
        return kept.astype(dtype) * np.asarray(1.0 / keep, dtype)
