"""gc.prepack: prepacked weights give bitwise the results of the plain arrays on every cell, variant and path of
the cpu backend (forward and backward), their packings are made once, they cannot be changed, and everything
else (views, arithmetic, other backends, pickling) sees an ordinary array."""
import pickle

import numpy as np
import pytest

import gatecore as gc
from gatecore import config, cpu_common
from tests import support

CASES = [("lstm", {}), ("gru", {"linear_before_reset": True}), ("gru", {"linear_before_reset": False}),
         ("rnn", {"nonlinearity": "relu"})]
# (T, B): one row (the step computes W_ih x inside), a single sequence on W_hh's rows and on panels (32 steps),
# few rows (the projection packs x^T when W_ih is not prepacked), and 72 rows (a whole row block)
SHAPES = [(1, 1), (6, 1), (33, 1), (4, 3), (9, 8)]


def weights_of(problem):
    return [k for k in ("w_ih", "w_hh", "w_hr") if k in problem]


def run(cell, problem, opts, reverse, backend="cpu"):
    *out, tape = support.forward(cell, problem, backend, return_tape=True, reverse=reverse, **opts)
    out = [o for o in out if o is not None]
    dy, dh, dc = support.cotangents(cell, out[0], out[1], out[2] if cell == "lstm" else None)
    grads = support.backward(cell, tape, dy, dh, dc)
    return out, grads


def assert_same_bits(a, b):
    (out_a, grads_a), (out_b, grads_b) = a, b
    for x, y in zip(out_a, out_b):
        np.testing.assert_array_equal(x, y)
    assert grads_a.keys() == grads_b.keys()
    for k in grads_a:
        assert type(grads_a[k]) is np.ndarray
        np.testing.assert_array_equal(grads_a[k], grads_b[k], err_msg=k)


@pytest.mark.parametrize("cell, opts", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T, B", SHAPES)
def test_same_bits_as_plain_weights(cell, opts, dtype, T, B):
    problem = support.random_problem(cell, T, B, 11, 20, dtype, lengths="random" if B > 1 else None, seed=T + B)
    packed = dict(problem, **{k: gc.prepack(problem[k]) for k in weights_of(problem)})
    for reverse in (False, True):
        plain = run(cell, problem, opts, reverse)
        assert_same_bits(run(cell, packed, opts, reverse), plain)
        assert_same_bits(run(cell, packed, opts, reverse), plain)        # from the kept packings


@pytest.mark.parametrize("T, B", [(5, 1), (40, 1), (7, 6)])
def test_lstm_projection_prepacked(T, B):
    problem = support.random_problem("lstm", T, B, 9, 24, np.float32, lengths="random" if B > 1 else None,
                                     proj=7, seed=3)
    packed = dict(problem, **{k: gc.prepack(problem[k]) for k in weights_of(problem)})
    assert_same_bits(run("lstm", packed, {}, False), run("lstm", problem, {}, False))


def test_packings_are_made_once(monkeypatch):
    problem = support.random_problem("lstm", 8, 8, 10, 12, np.float32, seed=1)       # 64 rows: not few_rows
    packed = dict(problem, w_ih=gc.prepack(problem["w_ih"]), w_hh=gc.prepack(problem["w_hh"]))
    run("lstm", packed, {}, False)
    kept = {k: dict(packed[k]._packings) for k in ("w_ih", "w_hh")}
    assert set(kept["w_ih"]) == {"w.T", ("w", 0, None)} and set(kept["w_hh"]) == {"w.T", ("w", 0, None)}
    made = []
    original = cpu_common.pack
    monkeypatch.setattr(cpu_common, "pack", lambda m: made.append(m.shape) or original(m))
    weight_shapes = {problem[k].shape for k in kept} | {problem[k].T.shape for k in kept}
    for compiled_max in (config.CPU_COMPILED_MAX_BYTES, 0):     # the forward as one compiled call, and not
        monkeypatch.setattr(config, "CPU_COMPILED_MAX_BYTES", compiled_max)
        run("lstm", packed, {}, False)
        assert all(packed[k]._packings[key] is kept[k][key] for k in kept for key in kept[k])
        assert not weight_shapes & set(made)      # only the per-call operands were packed (x for dW)
    run("lstm", problem, {}, False)
    assert weight_shapes <= set(made)              # while plain weights are packed at every call (the general
    # path's forward packs them with pack(); the compiled call packs them inside, test_cpu_compiled)


def test_prepacked_weights_cannot_change():
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    p = gc.prepack(w)
    w[0, 0] = 99                                   # a copy: the original stays the caller's
    assert p[0, 0] == 0
    with pytest.raises(ValueError):
        p[0, 0] = 1
    with pytest.raises(ValueError):
        p.flags.writeable = True
    with pytest.raises(ValueError):
        p[:, 1:].fill(0)


def test_views_and_arithmetic_are_ordinary_arrays():
    problem = support.random_problem("gru", 5, 3, 6, 8, np.float64, seed=2)
    p = gc.prepack(problem["w_hh"])
    assert type(p * 2) is np.ndarray and type(p + p) is np.ndarray and type(np.tanh(p)) is np.ndarray
    assert not gc.prepacked.is_prepacked(p[:]) and not gc.prepacked.is_prepacked(p.T)
    np.testing.assert_array_equal(p.T.T, problem["w_hh"])
    via_view = dict(problem, w_hh=p.T.T)           # a view of a prepacked array: an ordinary read-only array
    assert_same_bits(run("gru", via_view, {}, False), run("gru", problem, {}, False))
    assert p._packings == {}                       # a view's call kept nothing with p


@pytest.mark.parametrize("backend", ["numpy", "c"])
def test_other_backends_read_prepacked_weights_as_arrays(backend):
    if not support.available(backend):
        pytest.skip(f"{backend} backend not available here")
    problem = support.random_problem("lstm", 4, 3, 5, 6, np.float64, lengths="random", proj=4, seed=5)
    packed = dict(problem, **{k: gc.prepack(problem[k]) for k in weights_of(problem)})
    assert_same_bits(run("lstm", packed, {}, True, backend), run("lstm", problem, {}, True, backend))
    assert all(packed[k]._packings == {} for k in weights_of(problem))


def test_bad_input():
    with pytest.raises(TypeError, match="w must be float32 or float64"):
        gc.prepack(np.ones((3, 4), np.int64))
    with pytest.raises(ValueError, match="2-D"):
        gc.prepack(np.ones(4, np.float32))
    p = gc.prepack(np.ones((8, 2), np.float32))
    x = np.ones((2, 1, 2), np.float64)
    with pytest.raises(TypeError, match="share one dtype"):
        gc.lstm_forward(x, p, np.ones((8, 2), np.float64))
    with pytest.raises(TypeError, match="w_hh must be float32 or float64"):
        gc.lstm_forward(x.astype(np.float32), p, p.view(np.int32))
    with pytest.raises(ValueError, match="w_hh must have shape"):
        gc.lstm_forward(x.astype(np.float32), p, gc.prepack(np.ones((8, 3), np.float32)))


def test_pickle_keeps_them_prepacked():
    p = gc.prepack(np.random.default_rng(0).standard_normal((6, 3)))
    q = pickle.loads(pickle.dumps(p))
    assert gc.prepacked.is_prepacked(q) and not q.flags.writeable
    np.testing.assert_array_equal(q, p)
