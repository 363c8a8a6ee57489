"""gc.LSTM / GRU / RNN against torch.nn.LSTM / GRU / RNN in float64: outputs, final states, every gradient.

Tolerances: float64 against torch's float64, rtol 1e-10 / atol 1e-12 (support.TOL); float32 layers against
the same layer in float64, rtol 1e-5 / atol 1e-5; dropout gradients against central differences, FD_TOL.
The full option matrix runs on the numpy backend; every backend whose kernels import runs a reduced one.
"""
from __future__ import annotations

import itertools

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gatecore as gc
from gatecore.backends import kernels

from .support import FD_TOL, TOL, assert_close

torch = pytest.importorskip("torch")
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

F64 = np.float64
T, B, I, H, P = 4, 3, 3, 4, 2
LENGTHS = np.array([T, 2, 1])                 # torch's pack_padded_sequence needs lengths >= 1

# (class, torch class, constructor options)
KINDS = {
    "lstm": (gc.LSTM, torch.nn.LSTM, {}),
    "lstm-proj": (gc.LSTM, torch.nn.LSTM, {"proj_size": P}),
    "gru": (gc.GRU, torch.nn.GRU, {}),
    "rnn-tanh": (gc.RNN, torch.nn.RNN, {"nonlinearity": "tanh"}),
    "rnn-relu": (gc.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
}


def _importable(backend):
    if gc.backends()[backend] is not True:
        return False
    try:
        for cell in ("lstm", "gru", "rnn"):
            kernels(cell, backend)
    except ImportError:
        return False
    return True


BACKENDS = ["numpy"] + [b for b in ("c", "cpu") if _importable(b)]


def make(kind, num_layers=1, bidirectional=False, batch_first=False, dtype=F64, backend="numpy", seed=0,
         **extra):
    cls, _, opts = KINDS[kind]
    return cls(I, H, num_layers, bidirectional=bidirectional, batch_first=batch_first, dtype=dtype,
               backend=backend, seed=seed, **opts, **extra)


def to_torch(kind, layer):
    """The torch module with the layer's configuration and weights (float64)."""
    _, tcls, opts = KINDS[kind]
    module = tcls(I, H, layer.num_layers, bias=layer.bias, bidirectional=layer.bidirectional,
                  batch_first=layer.batch_first, dtype=torch.float64, **opts)
    module.load_state_dict({k: torch.from_numpy(np.array(v, F64)) for k, v in layer.state_dict().items()})
    return module


def is_lstm(kind):
    return kind.startswith("lstm")


def problem(kind, layer, init_state, seed=1):
    """x, initial state (or None), and cotangents dy, dstate shaped like the outputs."""
    rng = np.random.default_rng(seed)
    LD, Ho = layer.num_layers * layer.num_directions, layer.hidden_out
    x = rng.standard_normal((B, T, I) if layer.batch_first else (T, B, I))
    h_shape, c_shape = (LD, B, Ho), (LD, B, H)
    state = None
    if init_state:
        state = (rng.uniform(-1, 1, h_shape), rng.uniform(-1, 1, c_shape)) if is_lstm(kind) else \
            rng.uniform(-1, 1, h_shape)
    y_shape = (B, T, layer.num_directions * Ho) if layer.batch_first else (T, B, layer.num_directions * Ho)
    dy = rng.standard_normal(y_shape)
    dstate = (rng.standard_normal(h_shape), rng.standard_normal(c_shape)) if is_lstm(kind) else \
        rng.standard_normal(h_shape)
    return x, state, dy, dstate


def torch_run(kind, layer, x, state, lengths, dy, dstate):
    """torch's y, final state, and the gradients of <dy, y> + <dstate, state_n> (dx, dstate, {name: grad})."""
    module = to_torch(kind, layer)
    xt = torch.tensor(x, requires_grad=True)
    st = None
    if state is not None:
        st = tuple(torch.tensor(s, requires_grad=True) for s in state) if is_lstm(kind) else \
            torch.tensor(state, requires_grad=True)
    inp = xt
    if lengths is not None:
        inp = pack_padded_sequence(xt, torch.tensor(lengths), batch_first=layer.batch_first,
                                   enforce_sorted=False)
    out, st_n = module(inp, st)
    if lengths is not None:
        out, _ = pad_packed_sequence(out, batch_first=layer.batch_first, total_length=T)
    finals = st_n if is_lstm(kind) else (st_n,)
    dfinals = dstate if is_lstm(kind) else (dstate,)
    loss = (out * torch.from_numpy(dy)).sum() + sum((s * torch.from_numpy(d)).sum() for s, d in
                                                     zip(finals, dfinals))
    loss.backward()
    dst = None
    if state is not None:
        dst = tuple(s.grad.numpy() for s in st) if is_lstm(kind) else st.grad.numpy()
    grads = {name: p.grad.numpy() for name, p in module.named_parameters()}
    return out.detach().numpy(), tuple(s.detach().numpy() for s in finals), xt.grad.numpy(), dst, grads


def check_against_torch(kind, layer, init_state, lengths):
    x, state, dy, dstate = problem(kind, layer, init_state)
    y_ref, finals_ref, dx_ref, dstate_ref, grads_ref = torch_run(kind, layer, x, state, lengths, dy, dstate)
    rtol, atol = TOL[np.dtype(F64)]
    y, st = layer(x, state, lengths=lengths)
    y_t, st_t, tape = layer.forward_train(x, state, lengths=lengths)
    finals = st if is_lstm(kind) else (st,)
    assert_close(y, y_ref, rtol, atol, "y")
    assert_close(y_t, y_ref, rtol, atol, "y (forward_train)")
    for name, got, ref in zip(("h_n", "c_n"), finals, finals_ref):
        assert_close(got, ref, rtol, atol, name)
    g = layer.backward(tape, dy, dstate)
    assert_close(g.dx, dx_ref, rtol, atol, "dx")
    assert set(g.params) == set(layer.state_dict()) == set(grads_ref)
    for name, ref in grads_ref.items():
        assert_close(g.params[name], ref, rtol, atol, name)
    if state is None:
        return
    dst = g.dstate if is_lstm(kind) else (g.dstate,)
    refs = dstate_ref if is_lstm(kind) else (dstate_ref,)
    for name, got, ref in zip(("dh0", "dc0"), dst, refs):
        assert_close(got, ref, rtol, atol, name)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("num_layers,bidirectional",
                         [(1, False), (1, True), (2, False), (2, True), (3, True)])
@pytest.mark.parametrize("batch_first,use_lengths,init_state",
                         [(False, False, False), (True, False, True), (False, True, True),
                          (True, True, False)])
def test_against_torch_numpy(kind, num_layers, bidirectional, batch_first, use_lengths, init_state):
    layer = make(kind, num_layers, bidirectional, batch_first)
    check_against_torch(kind, layer, init_state, LENGTHS if use_lengths else None)


@given(kind=st.sampled_from(list(KINDS)), num_layers=st.integers(1, 3), bidirectional=st.booleans(),
       batch_first=st.booleans(), bias=st.booleans(), init_state=st.booleans(), seed=st.integers(0, 2**16),
       lengths=st.none() | st.lists(st.integers(1, T), min_size=B, max_size=B))
def test_against_torch_drawn_options(kind, num_layers, bidirectional, batch_first, bias, init_state, seed,
                                     lengths):
    layer = make(kind, num_layers, bidirectional, batch_first, seed=seed, bias=bias)
    check_against_torch(kind, layer, init_state, None if lengths is None else np.array(lengths))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_against_torch_every_backend(backend, kind):
    layer = make(kind, 2, True, False, backend=backend)
    check_against_torch(kind, layer, True, LENGTHS)


def test_gru_original_variant_matches_kernel_stack():
    """linear_before_reset=False (no torch counterpart): a 2-layer stack equals two chained kernel calls."""
    layer = gc.GRU(I, H, 2, dtype=F64, backend="numpy", seed=3, linear_before_reset=False)
    x = np.random.default_rng(0).standard_normal((T, B, I))
    sd = layer.state_dict()
    u = x
    for k in range(2):
        u, _ = gc.gru_forward(u, sd[f"weight_ih_l{k}"], sd[f"weight_hh_l{k}"], sd[f"bias_ih_l{k}"],
                              sd[f"bias_hh_l{k}"], linear_before_reset=False, backend="numpy")
    y, h_n = layer(x)
    assert_close(y, u, *TOL[np.dtype(F64)], "y")
    assert_close(h_n[1], u[-1], *TOL[np.dtype(F64)], "h_n[1]")


@pytest.mark.parametrize("kind", ["lstm-proj", "gru"])
def test_float32_matches_float64(kind):
    layer64 = make(kind, 2, True)
    layer32 = make(kind, 2, True, dtype=np.float32)
    layer32.load_state_dict(layer64.state_dict())
    x, state, dy, dstate = problem(kind, layer64, True)
    cast = (lambda s: tuple(a.astype(np.float32) for a in s)) if is_lstm(kind) else \
        (lambda s: s.astype(np.float32))
    y64, _, tape64 = layer64.forward_train(x, state, lengths=LENGTHS)
    y32, _, tape32 = layer32.forward_train(x.astype(np.float32), cast(state), lengths=LENGTHS)
    assert y32.dtype == np.float32
    rtol, atol = TOL[np.dtype(np.float32)]
    assert_close(y32, y64, rtol, atol, "y")
    g64 = layer64.backward(tape64, dy, dstate)
    g32 = layer32.backward(tape32, dy.astype(np.float32), cast(dstate))
    assert_close(g32.dx, g64.dx, rtol, atol, "dx")
    for name in g64.params:
        assert g32.params[name].dtype == np.float32
        assert_close(g32.params[name], g64.params[name], rtol, atol, name)


def test_zero_length_keeps_initial_state_in_every_layer():
    layer = make("lstm", 2, True)
    x, state, _, _ = problem("lstm", layer, True)
    y, (h_n, c_n) = layer(x, state, lengths=np.array([T, 0, 2]))
    assert np.all(y[:, 1] == 0)
    assert np.array_equal(h_n[:, 1], state[0][:, 1]) and np.array_equal(c_n[:, 1], state[1][:, 1])


# ------------------------------------------------------------------------------------------ state_dict
@pytest.mark.parametrize("kind", list(KINDS))
def test_state_dict_names_shapes_and_round_trip_with_torch(kind):
    layer = make(kind, 2, True, seed=5)
    module = to_torch(kind, layer)
    ref = module.state_dict()
    sd = layer.state_dict()
    assert list(sd) == list(ref)
    assert all(sd[k].shape == tuple(ref[k].shape) for k in ref)
    _, tcls, opts = KINDS[kind]
    fresh = tcls(I, H, 2, bidirectional=True, dtype=torch.float64, **opts)
    other = make(kind, 2, True, seed=6)
    other.load_state_dict(fresh.state_dict())                     # torch tensors load directly
    for k, v in fresh.state_dict().items():
        assert np.array_equal(other.state_dict()[k], v.numpy())
    other.load_state_dict(sd)
    assert all(np.array_equal(other.state_dict()[k], sd[k]) for k in sd)


def test_init_is_seeded_and_within_pytorch_bound():
    a, b, c = (make("lstm-proj", 2, True, seed=s) for s in (7, 7, 8))
    bound = 1 / np.sqrt(H)
    for k, v in a.state_dict().items():
        assert np.array_equal(v, b.state_dict()[k])
        assert not np.array_equal(v, c.state_dict()[k])
        assert np.all(np.abs(v) <= bound) and v.std() > bound / 4
    assert gc.LSTM(I, H).state_dict()["weight_ih_l0"].dtype == np.float32


def test_load_state_dict_names_the_wrong_entry():
    layer = make("lstm-proj", 2)
    sd = layer.state_dict()
    missing = {k: v for k, v in sd.items() if k != "weight_hr_l1"}
    with pytest.raises(ValueError, match="weight_hr_l1"):
        layer.load_state_dict(missing)
    with pytest.raises(ValueError, match="bias_ih_l3"):
        layer.load_state_dict({**sd, "bias_ih_l3": sd["bias_ih_l0"]})
    with pytest.raises(ValueError, match="weight_hh_l1"):
        layer.load_state_dict({**sd, "weight_hh_l1": np.zeros((4 * H, H))})
    with pytest.raises(TypeError, match="weight_ih_l0"):
        layer.load_state_dict({**sd, "weight_ih_l0": np.zeros(sd["weight_ih_l0"].shape, np.int64)})
    before = layer.state_dict()
    with pytest.raises(ValueError):
        layer.load_state_dict({**sd, "weight_hh_l1": np.zeros((4 * H, H))})
    assert all(np.array_equal(before[k], layer.state_dict()[k]) for k in before)


# --------------------------------------------------------------------------------------------- dropout
def test_dropout_off_at_inference_and_masks_on_tape():
    p = 0.5
    plain = make("gru", 3, True, seed=2)
    drop = make("gru", 3, True, seed=2, dropout=p)
    x = np.random.default_rng(0).standard_normal((T, B, I))
    y_plain, h_plain = plain(x)
    y_drop, h_drop = drop(x)
    assert np.array_equal(y_plain, y_drop) and np.array_equal(h_plain, h_drop)
    y_train, _, tape = drop.forward_train(x)
    assert not np.allclose(y_train, y_plain)
    assert len(tape.masks) == 2
    for m in tape.masks:
        assert m.shape == (T, B, 2 * H)
        assert set(np.unique(m)) <= {0.0, 1 / (1 - p)} and 0 < np.count_nonzero(m) < m.size
    y_again, _, _ = make("gru", 3, True, seed=2, dropout=p).forward_train(x)
    assert np.array_equal(y_again, y_train)                          # seeded: reproducible masks


def test_dropout_one_cuts_the_lower_layers_off():
    drop = make("rnn-tanh", 2, seed=4, dropout=1.0)
    x = np.random.default_rng(0).standard_normal((T, B, I))
    y, h_n, tape = drop.forward_train(x)
    g = drop.backward(tape, np.ones_like(y))
    sd = drop.state_dict()
    y_top, _ = gc.rnn_forward(np.zeros((T, B, H)), sd["weight_ih_l1"], sd["weight_hh_l1"], sd["bias_ih_l1"],
                              sd["bias_hh_l1"], backend="numpy")
    assert_close(y, y_top, *TOL[np.dtype(F64)], "y")
    assert np.all(g.dx == 0) and np.all(g.params["weight_hh_l0"] == 0)


def test_dropout_gradients_match_finite_differences_with_the_same_mask():
    """A fresh layer with the same seed draws the same mask: the loss is a fixed function of x and weights."""
    seed, p = 9, 0.4
    layer = make("lstm-proj", 2, True, seed=seed, dropout=p)
    sd = layer.state_dict()
    x, state, dy, dstate = problem("lstm-proj", layer, True)
    _, _, tape = layer.forward_train(x, state, lengths=LENGTHS)
    assert 0 < np.count_nonzero(tape.masks[0]) < tape.masks[0].size
    g = layer.backward(tape, dy, dstate)

    def loss(x, sd):
        fresh = make("lstm-proj", 2, True, seed=seed, dropout=p)
        fresh.load_state_dict(sd)
        y, (h_n, c_n), _ = fresh.forward_train(x, state, lengths=LENGTHS)
        return float(np.sum(y * dy) + np.sum(h_n * dstate[0]) + np.sum(c_n * dstate[1]))

    eps, (rtol, atol) = 1e-6, FD_TOL
    for idx in itertools.islice(np.ndindex(x.shape), 0, None, 5):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        assert_close(g.dx[idx], (loss(xp, sd) - loss(xm, sd)) / (2 * eps), rtol, atol, f"dx{idx}")
    for name in ("weight_ih_l0", "weight_hr_l0_reverse", "bias_hh_l1"):
        for idx in itertools.islice(np.ndindex(sd[name].shape), 0, None, 3):
            up, down = dict(sd), dict(sd)
            up[name], down[name] = sd[name].copy(), sd[name].copy()
            up[name][idx] += eps
            down[name][idx] -= eps
            fd = (loss(x, up) - loss(x, down)) / (2 * eps)
            assert_close(g.params[name][idx], fd, rtol, atol, f"{name}{idx}")


# --------------------------------------------------------------------------------------- errors, misc
def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="proj_size"):
        gc.LSTM(I, H, proj_size=H)
    with pytest.raises(ValueError, match="dropout"):
        gc.GRU(I, H, 2, dropout=1.5)
    with pytest.raises(ValueError, match="nonlinearity"):
        gc.RNN(I, H, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="backend"):
        gc.LSTM(I, H, backend="tpu")
    with pytest.raises(TypeError, match="dtype"):
        gc.LSTM(I, H, dtype=np.int32)
    with pytest.raises(TypeError, match="hidden_size"):
        gc.GRU(I, 2.5)
    layer = make("lstm", 2, True)
    x = np.zeros((T, B, I))
    with pytest.raises(ValueError, match="x must"):
        layer(np.zeros((T, B, I + 1)))
    with pytest.raises(TypeError, match="x must"):
        layer(x.astype(np.float32))
    with pytest.raises(ValueError, match="h0"):
        layer(x, (np.zeros((2, B, H)), np.zeros((4, B, H))))
    with pytest.raises(TypeError, match="state"):
        layer(x, np.zeros((4, B, H)))
    with pytest.raises(ValueError, match="lengths"):
        layer(x, lengths=[T + 1, 1, 1])
    _, _, tape = layer.forward_train(x)
    with pytest.raises(ValueError, match="dy"):
        layer.backward(tape, np.zeros((T, B, H)))
    with pytest.raises(TypeError, match="tape"):
        make("lstm", 2, True).backward(tape, np.zeros((T, B, 2 * H)))


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="dropout"):
        gc.LSTM(I, H, 1, dropout=0.3)


def test_tape_size_and_inference_keeps_none():
    layer = make("lstm", 2, True, dropout=0.2)
    x = np.random.default_rng(0).standard_normal((T, B, I))
    _, _, tape = layer.forward_train(x)
    assert tape.nbytes >= sum(m.nbytes for m in tape.masks) + 2 * 2 * T * B * 4 * H * 8
    out = layer(x)
    assert len(out) == 2


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_concurrent_directions_give_the_same_result(monkeypatch, backend):
    """The threaded path for the two directions of a layer equals the sequential one: on numpy when listed in
    layers.CONCURRENT, on cpu where each direction's kernel stays on one thread (taken by default here)."""
    from gatecore import layers
    concurrent = layers._Recurrent._cpu_one_thread_each
    monkeypatch.setattr(layers._Recurrent, "_cpu_one_thread_each", lambda self, B: False)
    layer = make("lstm-proj", 2, True, dropout=0.3, seed=1, backend=backend)
    x, state, dy, dstate = problem("lstm-proj", layer, True)
    y, st, tape = layer.forward_train(x, state, lengths=LENGTHS)
    g = layer.backward(tape, dy, dstate)
    if backend == "numpy":
        monkeypatch.setattr(layers, "CONCURRENT", frozenset({"numpy"}))
    else:
        monkeypatch.setattr(layers._Recurrent, "_cpu_one_thread_each", concurrent)
        if numba.get_num_threads() > 1:
            assert layer._cpu_one_thread_each(B), "a tiny cpu layer should run its directions concurrently"
    again = make("lstm-proj", 2, True, dropout=0.3, seed=1, backend=backend)
    y2, st2, tape2 = again.forward_train(x, state, lengths=LENGTHS)
    g2 = again.backward(tape2, dy, dstate)
    assert np.array_equal(y, y2) and all(np.array_equal(a, b) for a, b in zip(st, st2))
    assert np.array_equal(g.dx, g2.dx)
    assert all(np.array_equal(g.params[k], g2.params[k]) for k in g.params)


def test_concurrent_cpu_directions_keep_their_gemms_on_their_threads(monkeypatch):
    """Directions that run at once (one Python thread each) must not both launch parallel regions: a layer whose
    steps are small but whose input projection and weight gradients would go parallel (T*B*4H*I above
    config.CPU_GEMM_PARALLEL_MIN_WORK) runs every GEMM serially, forward and backward, and gives the sequential
    result. On the general path, whose parallel launches are seen from Python (a compiled call's plans say the
    same: test_cpu_compiled.test_plans_on_this_thread)."""
    from gatecore import cpu_common, layers
    if numba.get_num_threads() < 2:
        pytest.skip("directions run concurrently only with 2 or more Numba threads")
    T, B, I, H = 64, 2, 600, 16
    assert T * B * 4 * H * I >= gc.config.CPU_GEMM_PARALLEL_MIN_WORK and cpu_common.one_thread_each(B, 4, H, H)
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    dy = np.random.default_rng(1).standard_normal((T, B, 2 * H)).astype(np.float32)
    sequential = gc.LSTM(I, H, bidirectional=True, dtype=np.float32, backend="cpu", seed=2)
    monkeypatch.setattr(layers._Recurrent, "_cpu_one_thread_each", lambda self, B: False)
    y, _, tape = sequential.forward_train(x)
    g = sequential.backward(tape, dy)
    monkeypatch.undo()
    monkeypatch.setattr(gc.config, "CPU_COMPILED_MAX_BYTES", 0)
    parallel_launches = []
    for name in ("_gemm_parallel", "_transpose_parallel"):
        launch = getattr(cpu_common, name)
        monkeypatch.setattr(cpu_common, name, lambda *a, launch=launch: parallel_launches.append(1) or launch(*a))
    concurrent = gc.LSTM(I, H, bidirectional=True, dtype=np.float32, backend="cpu", seed=2)
    y2, _, tape2 = concurrent.forward_train(x)
    g2 = concurrent.backward(tape2, dy)
    assert parallel_launches == []
    assert np.array_equal(y, y2) and np.array_equal(g.dx, g2.dx)
    assert all(np.array_equal(g.params[k], g2.params[k]) for k in g.params)
    cpu_common.gemm(x.reshape(T * B, I), cpu_common.pack(np.ones((I, 4 * H), np.float32)), 4 * H)
    assert parallel_launches == [1], "outside the concurrent directions the same GEMM does go parallel"


def test_on_this_thread_keeps_the_time_loops_on_one_thread():
    """Inside cpu_common.on_this_thread (the concurrent directions) no time loop splits, by rows or by units."""
    from gatecore import cpu_common
    if numba.get_num_threads() < 2:
        pytest.skip("nothing splits with one Numba thread")
    by_units, by_rows = (1, 4, 256, 256), (64, 4, 256, 256)
    assert cpu_common.step_split(*by_units) > 1 and cpu_common.step_split(*by_rows) < -1
    with cpu_common.on_this_thread():
        assert cpu_common.step_split(*by_units) == 1 and cpu_common.step_split(*by_rows) == 1
        assert cpu_common.step_split(*by_units, backward=True) == 1
    assert cpu_common.step_split(*by_units) > 1


@pytest.mark.parametrize("kind, opts", [("lstm", {"proj_size": 3}), ("gru", {"linear_before_reset": False}),
                                        ("rnn", {})])
def test_prepacked_layer_gives_the_same_bits(kind, opts):
    make = {"lstm": gc.LSTM, "gru": gc.GRU, "rnn": gc.RNN}[kind]
    plain = make(5, 6, num_layers=2, bidirectional=True, seed=3, **opts)
    packed = make(5, 6, num_layers=2, bidirectional=True, seed=3, **opts).prepack()
    x = np.random.default_rng(0).standard_normal((7, 4, 5)).astype(np.float32)
    lengths = [7, 3, 0, 5]

    def arrays(out):                                    # y and every state component
        y, state = out
        return [y, *(state if isinstance(state, tuple) else (state,))]
    for _ in range(2):                                  # the second call on the kept packings
        got, want = arrays(packed(x, lengths=lengths)), arrays(plain(x, lengths=lengths))
        assert len(got) == len(want)
        for u, v in zip(got, want):
            np.testing.assert_array_equal(u, v)
    y, _, tape = packed.forward_train(x, lengths=lengths)
    grads = packed.backward(tape, np.ones_like(y))
    y0, _, tape0 = plain.forward_train(x, lengths=lengths)
    grads0 = plain.backward(tape0, np.ones_like(y0))
    np.testing.assert_array_equal(y, y0)
    for name in grads0.params:
        np.testing.assert_array_equal(grads.params[name], grads0.params[name], err_msg=name)
    sd = packed.state_dict()
    weight = next(k for k in sd if k.startswith("weight_hh"))
    assert gc.prepacked.is_prepacked(sd[weight])
    with pytest.raises(ValueError):
        sd[weight][0, 0] = 1.0                          # read-only: an in-place update cannot go stale
    packed.load_state_dict(plain.state_dict())          # plain weights again
    assert all(type(v) is np.ndarray and v.flags.writeable for v in packed.state_dict().values())
