"""cpu_small: a small forward run as one compiled call gives the general path's bits, for every cell and variant,
with and without biases, initial states, lengths, reverse and a tape (and the backward from its tape), and is
taken exactly where the general path would stay on the calling thread."""
import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gatecore
from gatecore import config, cpu_common, cpu_small
from gatecore.gru import cpu as gru_cpu
from gatecore.lstm import cpu as lstm_cpu
from gatecore.rnn import cpu as rnn_cpu

CASES = [("lstm", {}), ("gru", {"linear_before_reset": True}), ("gru", {"linear_before_reset": False}),
         ("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"})]
MODULES = {"lstm": lstm_cpu, "gru": gru_cpu, "rnn": rnn_cpu}
G = {"lstm": 4, "gru": 3, "rnn": 1}


def _arrays(cell, T, B, I, H, dtype, seed, bias=True, state=True, lengths=False):
    rng = np.random.default_rng(seed)
    a = {"x": rng.standard_normal((T, B, I)).astype(dtype),
         "w_ih": rng.uniform(-.5, .5, (G[cell] * H, I)).astype(dtype),
         "w_hh": rng.uniform(-.5, .5, (G[cell] * H, H)).astype(dtype)}
    if bias:
        a["b_ih"], a["b_hh"] = (rng.uniform(-.3, .3, G[cell] * H).astype(dtype) for _ in range(2))
    if state:
        a["h0"] = rng.standard_normal((B, H)).astype(dtype)
        if cell == "lstm":
            a["c0"] = rng.standard_normal((B, H)).astype(dtype)
    if lengths:
        a["lengths"] = rng.integers(0, T + 1, B)
    return a


def _run(cell, kw, arrays, reverse):
    """Forward without a tape, forward with one and every gradient from it, as one flat list; and how many of
    the forwards ran as one compiled call."""
    fwd, bwd = getattr(gatecore, cell + "_forward"), getattr(gatecore, cell + "_backward")
    module = MODULES[cell]
    small = module._small_forward
    calls = []

    def counting(*args):
        calls.append(1)
        return small(*args)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(module, "_small_forward", counting)
        outs = list(fwd(**arrays, reverse=reverse, **kw))
        *taped, tape = fwd(**arrays, reverse=reverse, return_tape=True, **kw)
    dy = np.random.default_rng(7).standard_normal(outs[0].shape).astype(outs[0].dtype)
    grads = bwd(tape, dy)
    return outs + taped + [grads[k] for k in sorted(grads)], len(calls)


def _general(cell, kw, arrays, reverse):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "CPU_SMALL_MAX_BYTES", 0)
        return _run(cell, kw, arrays, reverse)


def _assert_same_bits(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell, kw", CASES)
@given(T=st.integers(1, 12), B=st.integers(1, 5), I=st.integers(1, 9), H=st.integers(1, 9),
       dtype=st.sampled_from([np.float32, np.float64]), bias=st.booleans(), state=st.booleans(),
       lengths=st.booleans(), reverse=st.booleans(), seed=st.integers(0, 1000))
def test_small_forward_gives_the_bits_of_the_general_path(cell, kw, T, B, I, H, dtype, bias, state, lengths,
                                                          reverse, seed):
    """Both forwards and every gradient bitwise equal; the small path taken for both forwards (hypothesis-drawn
    shapes well under config.CPU_SMALL_MAX_BYTES, and under every threshold of a parallel region)."""
    arrays = _arrays(cell, T, B, I, H, dtype, seed, bias, state, lengths)
    got, small_calls = _run(cell, kw, arrays, reverse)
    want, general_small_calls = _general(cell, kw, arrays, reverse)
    assert (small_calls, general_small_calls) == (2, 0)
    _assert_same_bits(got, want)


@pytest.mark.parametrize("cell, kw", CASES)
@pytest.mark.parametrize("T, B", [(1, 1), (2, 1), (40, 2), (33, 1)])
def test_each_projection_and_panel_path(cell, kw, T, B):
    """The one-row call (T = B = 1: the projection made inside the step), the few-rows product (x^T packed),
    from a row block of rows up W_ih^T packed (T*B = 80), and W_hh on packed panels (a single sequence of
    config.CPU_PACKED_MIN_STEPS steps and more): small == general, bit for bit, float32 and float64."""
    for dtype in (np.float32, np.float64):
        arrays = _arrays(cell, T, B, 6, 8, dtype, seed=T + B)
        got, calls = _run(cell, kw, arrays, False)
        want, _ = _general(cell, kw, arrays, False)
        assert calls == 2
        _assert_same_bits(got, want)
    assert (T * B >= config.CPU_ROW_BLOCK) == (T == 40)
    assert (cpu_common.panels(arrays["w_hh"], T, B).size > 0) == (T >= config.CPU_PACKED_MIN_STEPS)


@pytest.mark.parametrize("cell, kw", [("lstm", {}), ("gru", {"linear_before_reset": True})])
def test_prepacked_weights_on_the_small_path(cell, kw):
    """Prepacked weights (few rows: their W_ih panels are not read) run small and give the plain weights' bits;
    with a row block of rows or more, prepacked W_ih goes the general path, which reads its kept panels."""
    for T in (16, 40):
        arrays = _arrays(cell, T, 2 if T == 40 else 1, 8, 8, np.float32, seed=3)
        want, _ = _run(cell, kw, arrays, False)
        packed = dict(arrays, w_ih=gatecore.prepack(arrays["w_ih"]), w_hh=gatecore.prepack(arrays["w_hh"]))
        got, calls = _run(cell, kw, packed, False)
        assert calls == (2 if T == 16 else 0)
        _assert_same_bits(got, want)


def _takes(T, B, I, H, G=4, split=1, lengths=None, reverse=False, w_ih=None):
    x = np.zeros((T, B, I), np.float32)
    w_ih = np.zeros((G * H, I), np.float32) if w_ih is None else w_ih
    return cpu_small.takes(x, w_ih, H, split, lengths, reverse)


def test_takes_where_the_general_path_stays_on_this_thread(monkeypatch):
    """Small and on one thread: taken. Not taken: the loop split, pre-activations at config.CPU_SMALL_MAX_BYTES,
    more than config.CPU_CHUNK_MIN_BYTES (time chunks), a fed loop, a projection big enough for the threads (its
    product, or W_ih's pack), prepacked W_ih read through its panels. On one thread (on_this_thread(), or one
    Numba thread) the thread thresholds do not apply."""
    assert _takes(16, 1, 64, 64)
    assert not _takes(16, 1, 64, 64, split=2)
    assert not _takes(16, 1, 64, 64, split=-2)
    limit = config.CPU_SMALL_MAX_BYTES // (4 * 64 * 4)             # steps of B=1 at the limit
    assert _takes(limit - 1, 1, 8, 64) and not _takes(limit, 1, 8, 64)
    monkeypatch.setattr(config, "CPU_CHUNK_MIN_BYTES", 1024)
    assert not _takes(16, 1, 8, 64)
    monkeypatch.undo()
    prepacked = gatecore.prepack(np.zeros((32, 8), np.float32))
    assert _takes(16, 1, 8, 8, w_ih=prepacked) and not _takes(80, 1, 8, 8, w_ih=prepacked)
    if numba.get_num_threads() < 2:
        return
    monkeypatch.setattr(config, "CPU_FEED_MIN_WORK", 0)
    assert not _takes(80, 1, 8, 8) and _takes(80, 1, 8, 8, reverse=True, lengths=np.array([80]) - 1)
    monkeypatch.undo()
    monkeypatch.setattr(config, "CPU_GEMM_PARALLEL_MIN_WORK", 16 * 256 * 64)
    assert not _takes(16, 1, 64, 64) and _takes(15, 1, 64, 64)
    with cpu_common.on_this_thread():
        assert _takes(16, 1, 64, 64)
    monkeypatch.undo()
    monkeypatch.setattr(config, "CPU_PACK_PARALLEL_MIN_BYTES", 256 * 8 * 4)
    assert not _takes(80, 1, 8, 64) and _takes(80, 1, 7, 64) and _takes(16, 1, 8, 64)      # (16 rows: x^T packed)
