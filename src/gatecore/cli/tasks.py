"""The demo's two long-dependency tasks (Hochreiter & Schmidhuber 1997) as time-major NumPy batches.

adding: x [T, B, 2]; channel 0 holds values drawn from U(0, 1), channel 1 a marker that is 1 at exactly two
    steps, one in each half of the sequence. The target [1, B, 1] is the sum of the two marked values, read
    from the last step; the loss is the mean squared error. A prediction counts as correct when it is within
    0.04 of the target (the original paper's criterion).
copy:   x [T, B, S + 2], one-hot over S symbols, a blank and a delimiter: `length` random symbols, blanks,
    the delimiter at step T - length - 1, then `length` blanks during which the net must repeat the symbols.
    The target [length, B] holds the symbols, read from the last `length` steps; the loss is the mean
    cross-entropy and a recalled symbol counts as correct when it is the most likely class.

Each task reads the recurrent outputs of its last `readout` steps through a linear head (`outputs` wide).
"""
from __future__ import annotations

import numpy as np

ADDING_TOLERANCE = 0.04


class Adding:
    """The adding problem; the best constant prediction (1.0) has MSE Var(u1 + u2) = 1/6."""

    name = "adding"
    inputs = 2
    outputs = 1
    readout = 1

    def batch(self, T, B, rng, dtype=np.float32):
        """(x [T, B, 2], target [1, B, 1]) for B fresh sequences of T >= 2 steps."""
        x = np.zeros((T, B, 2), dtype=dtype)
        x[:, :, 0] = rng.uniform(0.0, 1.0, size=(T, B))
        rows = np.arange(B)
        first = rng.integers(0, T // 2, size=B)
        second = rng.integers(T // 2, T, size=B)
        x[first, rows, 1] = 1.0
        x[second, rows, 1] = 1.0
        target = x[first, rows, 0] + x[second, rows, 0]
        return x, target.reshape(1, B, 1)

    def loss(self, out, target):
        """(mean squared error, its gradient wrt out, fraction within ADDING_TOLERANCE); out [1, B, 1]."""
        err = out - target
        grad = (2.0 / err.size) * err
        return float(np.mean(err * err)), grad.astype(out.dtype), float(np.mean(np.abs(err) < ADDING_TOLERANCE))

    def baseline(self, target):
        """MSE of the best constant prediction on these targets (their mean)."""
        return float(np.var(target))


class Copy:
    """The copy-memory task: `length` of `symbols` symbols to repeat after a delimiter."""

    name = "copy"

    def __init__(self, symbols=8, length=5):
        self.symbols = symbols
        self.length = length
        self.inputs = symbols + 2
        self.outputs = symbols
        self.readout = length

    def batch(self, T, B, rng, dtype=np.float32):
        """(x [T, B, symbols + 2], target [length, B] int) for B fresh sequences of T >= 2 * length + 1 steps."""
        S, K = self.symbols, self.length
        blank, delimiter = S, S + 1
        target = rng.integers(0, S, size=(K, B))
        x = np.zeros((T, B, S + 2), dtype=dtype)
        x[np.arange(K)[:, None], np.arange(B)[None, :], target] = 1.0
        x[K:, :, blank] = 1.0
        x[T - K - 1, :, blank] = 0.0
        x[T - K - 1, :, delimiter] = 1.0
        return x, target

    def loss(self, out, target):
        """(mean cross-entropy, its gradient wrt the logits out [K, B, S], fraction of symbols recalled)."""
        z = out - out.max(axis=-1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        picked = np.take_along_axis(logp, target[..., None], axis=-1)
        grad = np.exp(logp)
        np.put_along_axis(grad, target[..., None], np.take_along_axis(grad, target[..., None], axis=-1) - 1.0,
                          axis=-1)
        accuracy = float(np.mean(out.argmax(axis=-1) == target))
        return float(-picked.mean()), (grad / target.size).astype(out.dtype), accuracy

    def baseline(self, target):
        """Cross-entropy of the best constant prediction: the symbols' frequencies in these targets."""
        p = np.bincount(target.ravel(), minlength=self.symbols) / target.size
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())


def minimum_length(task) -> int:
    """The shortest sequence `task` is defined for."""
    return 2 if task.name == "adding" else 2 * task.length + 1
