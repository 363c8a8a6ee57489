"""gatecore: LSTM, GRU and RNN kernels for NumPy users — Numba CPU and CUDA backends, a C reference core.

The public surface is API.md: kernels (§1), backends (§2), layers and cells (§3), ONNX operators (§4); beyond it,
prepack() (weights packed once for many cpu calls: gatecore.prepacked) and release_memory() (the cpu backend's
pooled memory: gatecore.cpu_pool).
"""
from . import config  # noqa: F401
from . import onnx
from .api import gru_backward, gru_forward, lstm_backward, lstm_forward, rnn_backward, rnn_forward
from .backends import BackendUnavailable, backends
from .cells import GRUCell, LSTMCell, RNNCell
from .cpu_pool import release as release_memory
from .prepacked import PackedWeights, prepack
from .layers import GRU, LSTM, RNN
from .tape import Tape

__version__ = "0.1.0"

__all__ = [
    "lstm_forward", "lstm_backward", "gru_forward", "gru_backward", "rnn_forward", "rnn_backward",
    "backends", "BackendUnavailable", "Tape",
    "LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell", "release_memory", "prepack",
    "PackedWeights",
]
