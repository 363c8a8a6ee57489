"""The demo's model: one recurrent layer (gatecore's kernels) and a linear head on its last `readout` outputs.

    y, _ = cell(x)                      x [T, B, I] -> y [T, B, H]    (gc.<cell>_forward, tape kept)
    out  = y[T-K:] @ w_out.T + b_out    out [K, B, O]                (K = task.readout, O = task.outputs)
    dy[T-K:] = d_out @ w_out, 0 elsewhere; gc.<cell>_backward(tape, dy) gives the cell's gradients.

Parameters are PyTorch's initialisation, uniform(-1/sqrt(H), 1/sqrt(H)), with the LSTM forget-gate bias at 1
(Gers et al. 2000) so early training keeps memory.
"""
from __future__ import annotations

import numpy as np

import gatecore as gc

GATES = {"lstm": 4, "gru": 3}


class Model:
    """A `cell` ("lstm" or "gru") layer of width `hidden` reading `task.inputs`, with the task's linear head."""

    def __init__(self, cell, task, hidden, rng, backend=None, dtype=np.float32):
        G, H, I, O = GATES[cell], hidden, task.inputs, task.outputs
        k = 1.0 / np.sqrt(H)

        def u(*shape):
            return rng.uniform(-k, k, size=shape).astype(dtype)

        self.cell, self.task, self.backend = cell, task, backend
        self.params = {"w_ih": u(G * H, I), "w_hh": u(G * H, H), "b_ih": u(G * H), "b_hh": u(G * H),
                       "w_out": u(O, H), "b_out": np.zeros(O, dtype=dtype)}
        if cell == "lstm":
            self.params["b_ih"][H:2 * H] = 1.0
            self.params["b_hh"][H:2 * H] = 0.0

    def count(self) -> int:
        """Number of trainable parameters."""
        return int(sum(p.size for p in self.params.values()))

    def _recurrent(self, x, return_tape):
        p = self.params
        fn = gc.lstm_forward if self.cell == "lstm" else gc.gru_forward
        out = fn(x, p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"], backend=self.backend, return_tape=return_tape)
        return out[0], (out[-1] if return_tape else None)

    def predict(self, x):
        """The head's output [K, B, O] for inputs x [T, B, I] (forward only)."""
        y, _ = self._recurrent(x, False)
        return y[-self.task.readout:] @ self.params["w_out"].T + self.params["b_out"]

    def loss_and_grads(self, x, target):
        """(loss, accuracy, {name: gradient}) for one batch, through gatecore's forward and backward kernels."""
        K, p = self.task.readout, self.params
        y, tape = self._recurrent(x, True)
        features = y[-K:]
        out = features @ p["w_out"].T + p["b_out"]
        loss, d_out, accuracy = self.task.loss(out, target)
        dy = np.zeros_like(y)
        dy[-K:] = d_out @ p["w_out"]
        backward = gc.lstm_backward if self.cell == "lstm" else gc.gru_backward
        g = backward(tape, dy)
        O, H = p["w_out"].shape
        grads = {"w_ih": g["dw_ih"], "w_hh": g["dw_hh"], "b_ih": g["db_ih"], "b_hh": g["db_hh"],
                 "w_out": d_out.reshape(-1, O).T @ features.reshape(-1, H), "b_out": d_out.reshape(-1, O).sum(0)}
        return loss, accuracy, grads
