"""The FLOP count every benchmark reports, in one place.

A recurrent layer's work is its two matrix products per step; the pointwise gate math is O(T*B*G*H) and left out:

    forward            2 * T * B * G*H * (I + H)      (x_t @ w_ih.T and h_{t-1} @ w_hh.T, a multiply-add = 2)
    backward           2 * forward                    (dx and dw_ih from x's product; dh and dw_hh from h's)
    forward+backward   3 * forward

G = 4 (LSTM), 3 (GRU), 1 (RNN). GFLOP/s = flops / seconds / 1e9.
"""
from __future__ import annotations

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def flops(cell: str, T: int, B: int, I: int, H: int, backward: bool = False) -> int:
    """Floating-point operations of one forward (or forward+backward when `backward`) call."""
    forward = 2 * T * B * GATES[cell] * H * (I + H)
    return 3 * forward if backward else forward
