"""gc.LSTMCell / GRUCell / RNNCell against torch.nn.LSTMCell / GRUCell / RNNCell (float64, rtol 1e-10,
atol 1e-12), against the one-layer layer (a loop of cells equals one layer call), and argument checks."""
from __future__ import annotations

import numpy as np
import pytest

import gatecore as gc

from .support import TOL, assert_close
from .test_layers import BACKENDS

torch = pytest.importorskip("torch")

F64 = np.float64
B, I, H, STEPS = 3, 3, 4, 5
RTOL, ATOL = TOL[np.dtype(F64)]

KINDS = {
    "lstm": (gc.LSTMCell, torch.nn.LSTMCell, gc.LSTM, {}),
    "gru": (gc.GRUCell, torch.nn.GRUCell, gc.GRU, {}),
    "rnn-tanh": (gc.RNNCell, torch.nn.RNNCell, gc.RNN, {"nonlinearity": "tanh"}),
    "rnn-relu": (gc.RNNCell, torch.nn.RNNCell, gc.RNN, {"nonlinearity": "relu"}),
}


def make(kind, backend="numpy", dtype=F64, seed=0, bias=True):
    cls, _, _, opts = KINDS[kind]
    return cls(I, H, bias=bias, dtype=dtype, backend=backend, seed=seed, **opts)


def to_torch(kind, cell):
    _, tcls, _, opts = KINDS[kind]
    module = tcls(I, H, bias=cell.bias, dtype=torch.float64, **opts)
    module.load_state_dict({k: torch.from_numpy(np.array(v, F64)) for k, v in cell.state_dict().items()})
    return module


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", list(KINDS))
def test_decoding_loop_matches_torch(kind, bias, backend):
    """STEPS steps, each input depending on the last output; the first step starts from no state."""
    cell = make(kind, backend, bias=bias)
    module = to_torch(kind, cell)
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((B, I))
    feedback = rng.uniform(-1, 1, (H, I))
    state, tstate = None, None
    x = x0
    for step in range(STEPS):
        if kind == "lstm":
            state = cell(x, state)
            h = state[0]
        else:
            state = h = cell(x, state)
        with torch.no_grad():
            tstate = module(torch.from_numpy(x), tstate)
        refs = tstate if kind == "lstm" else (tstate,)
        gots = state if kind == "lstm" else (state,)
        for name, got, ref in zip(("h", "c"), gots, refs):
            assert_close(got, ref.numpy(), RTOL, ATOL, f"step {step} {name}")
        x = np.tanh(h @ feedback)


@pytest.mark.parametrize("kind", list(KINDS))
def test_cell_loop_equals_layer(kind):
    """Unrolling a cell over T steps gives the one-layer layer's y and final state (same weights)."""
    cell = make(kind, seed=3)
    _, _, layer_cls, opts = KINDS[kind]
    layer = layer_cls(I, H, dtype=F64, backend="numpy", **opts)
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((STEPS, B, I))
    state = None
    hs = []
    for t in range(STEPS):
        state = cell(x[t], state)
        hs.append(state[0] if kind == "lstm" else state)
    y, final = layer(x)
    assert_close(np.stack(hs), y, RTOL, ATOL, "h per step")
    if kind == "lstm":
        assert_close(state[1], final[1][0], RTOL, ATOL, "c")


def test_float32_default_and_state_dict_round_trip():
    cell = gc.LSTMCell(I, H, backend="numpy", seed=4)
    sd = cell.state_dict()
    assert list(sd) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert all(v.dtype == np.float32 for v in sd.values())
    assert np.all(np.abs(sd["weight_hh"]) <= 1 / np.sqrt(H))
    x = np.random.default_rng(0).standard_normal((B, I)).astype(np.float32)
    h, c = cell(x)
    assert h.dtype == c.dtype == np.float32 and h.shape == (B, H)
    module = torch.nn.LSTMCell(I, H)
    cell.load_state_dict(module.state_dict())                # torch CPU tensors load through np.asarray
    with torch.no_grad():
        ref_h, ref_c = module(torch.from_numpy(x))
    rtol, atol = TOL[np.dtype(np.float32)]
    assert_close(cell(x)[0], ref_h.numpy(), rtol, atol, "h")
    same = gc.LSTMCell(I, H, backend="numpy", seed=4).state_dict()
    assert all(np.array_equal(same[k], sd[k]) for k in sd)


def test_non_contiguous_input_gives_the_same_result():
    cell = make("gru")
    x = np.asfortranarray(np.random.default_rng(0).standard_normal((B, I)))
    h0 = np.random.default_rng(1).standard_normal((H, B)).T
    assert_close(cell(x, h0), cell(np.ascontiguousarray(x), np.ascontiguousarray(h0)), RTOL, ATOL, "h")


def test_bad_arguments_name_the_argument():
    cell = make("lstm")
    x = np.zeros((B, I))
    with pytest.raises(ValueError, match="x must"):
        cell(np.zeros((B, I + 1)))
    with pytest.raises(TypeError, match="x must"):
        cell(x.astype(np.float32))
    with pytest.raises(TypeError, match="x must"):
        cell("x")
    with pytest.raises(ValueError, match="c must"):
        cell(x, (np.zeros((B, H)), np.zeros((B + 1, H))))
    with pytest.raises(TypeError, match="state"):
        cell(x, np.zeros((B, H)))
    with pytest.raises(ValueError, match="weight_hh"):
        cell.load_state_dict({**cell.state_dict(), "weight_hh": np.zeros((4 * H, H + 1))})
    with pytest.raises(ValueError, match="nonlinearity"):
        gc.RNNCell(I, H, nonlinearity="gelu")
    with pytest.raises(ValueError, match="backend"):
        gc.GRUCell(I, H, backend="gpu")
    cell(x)
    with pytest.raises(ValueError, match="x must"):
        cell(np.zeros((B, I + 1)))                         # checked after a shape has been cached too
