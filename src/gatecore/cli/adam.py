"""Adam (Kingma & Ba 2015) and gradient-norm clipping over a dict of NumPy parameters, updated in place.

    g ← g · min(1, max_norm / ‖g‖)        (‖g‖ the norm over all parameters together)
    m ← β1 m + (1 - β1) g      v ← β2 v + (1 - β2) g²
    p ← p - lr · m̂ / (√v̂ + ε)   with m̂ = m / (1 - β1^t), v̂ = v / (1 - β2^t)
"""
from __future__ import annotations

import math

import numpy as np


def clip_grad_norm(grads: dict, max_norm: float) -> float:
    """Scale every gradient in place so their global norm is at most max_norm; returns the norm before."""
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
    if norm > max_norm:
        scale = max_norm / norm
        for g in grads.values():
            g *= scale
    return norm


class Adam:
    """Adam over `params` ({name: array}); step(grads) with grads named like params."""

    def __init__(self, params: dict, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = params
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}

    def step(self, grads: dict):
        self.t += 1
        lr_t = self.lr * math.sqrt(1.0 - self.beta2 ** self.t) / (1.0 - self.beta1 ** self.t)
        for k, p in self.params.items():
            g = grads[k]
            m, v = self.m[k], self.v[k]
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * g * g
            p -= (lr_t * m / (np.sqrt(v) + self.eps)).astype(p.dtype)
