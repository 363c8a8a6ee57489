"""cpu_compiled: a forward run as one compiled call gives the general path's bits, for every cell and variant, with
and without biases, initial states, lengths, reverse and a tape (and the backward from its tape), on one thread
and on the threads (split loops, threaded GEMMs and packs), on each way of making the input projection; and it is
taken exactly where plan() says. The same for a backward run as one compiled call (grads_plan())."""
import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gatecore
from gatecore import config, cpu_common, cpu_compiled, cpu_packed
from gatecore.gru import cpu as gru_cpu
from gatecore.lstm import cpu as lstm_cpu
from gatecore.rnn import cpu as rnn_cpu
from tests import cpu_checks

CASES = [("lstm", {}), ("gru", {"linear_before_reset": True}), ("gru", {"linear_before_reset": False}),
         ("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"})]
MODULES = {"lstm": lstm_cpu, "gru": gru_cpu, "rnn": rnn_cpu}
G = {"lstm": 4, "gru": 3, "rnn": 1}
THREADS = cpu_checks.PATHS["threads"]       # every shape split over the threads, GEMMs in blocks of 3 rows


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


def _run(cell, kw, arrays, reverse, knobs=None):
    """Forward without a tape, forward with one and every gradient from it, as one flat list, with config `knobs`
    set; and the plans of the forwards that ran as one compiled call, and of the compiled backward: (its loop's
    plan, its input gradients' plan) for each."""
    fwd, bwd = getattr(gatecore, cell + "_forward"), getattr(gatecore, cell + "_backward")
    module = MODULES[cell]
    plans = {"forward": [], "backward": [], "grads": []}

    def counting(direction, compiled, plan_at):
        def call(*args):
            plans[direction].append(args[plan_at])
            return compiled(*args)
        return call
    with pytest.MonkeyPatch.context() as mp:
        for knob, value in (knobs or {}).items():
            mp.setattr(config, knob, value)
        mp.setattr(module, "_compiled_forward", counting("forward", module._compiled_forward, -2))
        mp.setattr(module, "_compiled_backward", counting("backward", module._compiled_backward, -1))
        mp.setattr(cpu_compiled, "input_grads", counting("grads", cpu_compiled.input_grads, -1))
        outs = list(fwd(**arrays, reverse=reverse, **kw))
        *taped, tape = fwd(**arrays, reverse=reverse, return_tape=True, **kw)
        dy = np.random.default_rng(7).standard_normal(outs[0].shape).astype(outs[0].dtype)
        grads = bwd(tape, dy)
    assert len(plans["backward"]) == len(plans["grads"])
    plans["backward"] = list(zip(plans["backward"], plans.pop("grads")))
    return outs + taped + [grads[k] for k in sorted(grads)], plans


def _general(cell, kw, arrays, reverse, knobs=None):
    return _run(cell, kw, arrays, reverse, dict(knobs or {}, CPU_COMPILED_MAX_BYTES=0))[0]


def _assert_same_bits(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell, kw", CASES)
@pytest.mark.parametrize("path", ["default", "threads"])
@given(T=st.integers(1, 12), B=st.integers(1, 10), I=st.integers(1, 9), H=st.integers(1, 9),
       dtype=st.sampled_from([np.float32, np.float64]), bias=st.booleans(), state=st.booleans(),
       lengths=st.booleans(), reverse=st.booleans(), seed=st.integers(0, 1000))
def test_compiled_forward_gives_the_bits_of_the_general_path(cell, kw, path, T, B, I, H, dtype, bias, state, lengths,
                                                             reverse, seed):
    """Both forwards and every gradient bitwise equal, both forwards compiled; with the default knobs (small shapes:
    one thread) and with every piece on the threads (cpu_checks.PATHS["threads"])."""
    knobs = THREADS if path == "threads" else None
    arrays = _arrays(cell, T, B, I, H, dtype, seed, bias, state, lengths)
    got, plans = _run(cell, kw, arrays, reverse, knobs)
    assert (len(plans["forward"]), len(plans["backward"])) == (2, 1)
    _assert_same_bits(got, _general(cell, kw, arrays, reverse, knobs))


# (how the projection is made, T, B, I, H, knobs): cpu_compiled.plan's six ways
PROJECTIONS = [
    (cpu_compiled.IN_LOOP, 1, 1, 6, 8, {}),
    (cpu_compiled.IN_LOOP, 16, 1, 6, 32, {"CPU_PARALLEL_MIN_WEIGHTS": 0}),          # each thread its units' rows
    (cpu_compiled.FEW_ROWS, 2, 2, 6, 8, {}),
    (cpu_compiled.FEW_ROWS, 8, 2, 6, 32, {"CPU_GEMM_PARALLEL_MIN_WORK": 0}),        # threaded product
    (cpu_compiled.PACKED, 40, 2, 6, 8, {}),                                        # a row block of rows
    (cpu_compiled.PACKED, 40, 2, 6, 32, {"CPU_GEMM_PARALLEL_MIN_WORK": 0, "CPU_PACK_PARALLEL_MIN_BYTES": 0}),
    (cpu_compiled.OWNED, 8, 2, 6, None, {"CPU_GEMM_PARALLEL_MIN_WORK": 0, "CPU_ROW_BLOCK": 3}),
    (cpu_compiled.FED, 70, 1, 8, 8, {"CPU_FEED_MIN_WORK": 0}),
    (cpu_compiled.FED, 24, 3, 8, 8, {"CPU_FEED_MIN_WORK": 0, "CPU_FEED_ROWS": 5}),
]


@pytest.mark.parametrize("cell, kw", CASES)
@pytest.mark.parametrize("how, T, B, I, H, knobs", PROJECTIONS)
def test_each_way_of_making_the_projection(cell, kw, how, T, B, I, H, knobs):
    """A short single sequence (made at the loop's first step, on one thread or by each thread for its units),
    the few-rows product (x^T packed), W_ih^T packed (from a row block
    of rows up; the pack and the product threaded), packed by the threads that read it, and fed by a second thread
    as the loop runs: plan() picks it, and compiled == general bit for bit, float32 and float64, lengths and
    reverse. (The threaded ways need two Numba threads.)"""
    if how in (cpu_compiled.OWNED, cpu_compiled.FED) and numba.get_num_threads() < 2:
        pytest.skip("needs two Numba threads")
    if how == cpu_compiled.OWNED:           # G*H an even number of panels in float32 and float64 (_owned_panels)
        H = {"lstm": 32, "gru": 128, "rnn": 128}[cell]
    for dtype in (np.float32, np.float64):
        for lengths, reverse in ((False, False), (True, False), (False, True)):
            arrays = _arrays(cell, T, B, I, H, dtype, seed=T + B, lengths=lengths and B > 1)
            got, plans = _run(cell, kw, arrays, reverse, knobs)
            assert [p[3][0] for p in plans["forward"]] == [how] * 2, plans
            _assert_same_bits(got, _general(cell, kw, arrays, reverse, knobs))


@pytest.mark.parametrize("cell, kw", [("lstm", {}), ("gru", {"linear_before_reset": True})])
@pytest.mark.parametrize("T, B, knobs, how", [
    (16, 1, {}, cpu_compiled.IN_LOOP),           # a short single sequence: on W_ih's rows
    (8, 2, {}, cpu_compiled.PACKED),             # few rows on one thread: on W_ih^T's kept panels
    (8, 2, {"CPU_GEMM_PARALLEL_MIN_WORK": 0}, cpu_compiled.FEW_ROWS),    # on the threads, whole vectors: x^T packed
    (40, 2, {}, cpu_compiled.PACKED),            # on W_ih^T's kept panels
    (70, 1, {"CPU_FEED_MIN_WORK": 0}, cpu_compiled.FED)])
def test_prepacked_weights(cell, kw, T, B, knobs, how):
    """Prepacked weights run compiled on their kept panels (W_hh's always where the loop packs; W_ih's where the
    product reads them, fed or not: cpu_common.matmul_way) and give the plain weights' bits."""
    if how in (cpu_compiled.FED, cpu_compiled.FEW_ROWS) and numba.get_num_threads() < 2:
        pytest.skip("nothing is fed, and no product runs on the threads, with one Numba thread")
    arrays = _arrays(cell, T, B, 8, 8, np.float32, seed=3)
    want, _ = _run(cell, kw, arrays, False, knobs)
    packed = dict(arrays, w_ih=gatecore.prepack(arrays["w_ih"]), w_hh=gatecore.prepack(arrays["w_hh"]))
    got, plans = _run(cell, kw, packed, False, knobs)
    assert [p[3][0] for p in plans["forward"]] == [how] * 2
    kept_hh = cpu_common.packs(arrays["w_hh"], T, B)                                  # W_hh's kept panels
    assert all(p[1] == 0 and (p[2].size > 0) == kept_hh for p in plans["forward"])
    if how not in (cpu_compiled.FEW_ROWS, cpu_compiled.IN_LOOP):
        assert all(p[3][2].size > 0 for p in plans["forward"])                                     # W_ih's kept panels
    _assert_same_bits(got, want)


# (T, B, I, H, knobs, the ways of dx, dW_ih, dW_hh): the input gradients of a compiled backward on each of
# cpu_common.matmul's ways
FAN_OUT = {"CPU_GEMM_PARALLEL_MIN_WORK": 0, "CPU_PACK_PARALLEL_MIN_BYTES": 0}       # products and packs threaded
BACKWARD_WAYS = [
    (2, 1, 40, 8, {}, (cpu_common.FEW_ROWS, cpu_common.FEW_ROWS, cpu_common.PACKED)),   # 2 rows; G*H rows < I
    (2, 1, 40, 8, FAN_OUT, (cpu_common.FEW_ROWS, cpu_common.FEW_ROWS, cpu_common.PACKED)),
    (40, 2, 6, 8, {}, (cpu_common.PACKED,) * 3),
    (40, 2, 6, 8, FAN_OUT, (cpu_common.PACKED,) * 3),
]


@pytest.mark.parametrize("cell, kw", CASES)
@pytest.mark.parametrize("T, B, I, H, knobs, ways", BACKWARD_WAYS)
def test_each_way_of_making_the_input_gradients(cell, kw, T, B, I, H, knobs, ways):
    """dx, dW_ih and dW_hh of a compiled backward on packed rows of da (few rows) or on packed panels, on one
    thread or threaded (the products and the packs): grads_plan() picks the way, and compiled == general bit for
    bit, float32 and float64, lengths and reverse."""
    threads = numba.get_num_threads() > 1
    for dtype in (np.float32, np.float64):
        for lengths, reverse in ((False, False), (True, False), (False, True)):
            arrays = _arrays(cell, T, B, I, H, dtype, seed=T + I, lengths=lengths and B > 1)
            got, plans = _run(cell, kw, arrays, reverse, knobs)
            ((_, grads),) = plans["backward"]
            dx, _, (in_place, (dw_ih, dw_hh), _), *_ = grads
            assert in_place and (dx[0], dw_ih[0], dw_hh[0]) == ways
            if knobs and threads:
                assert dx[1] and dw_ih[1] and dw_hh[1]                  # the products on the threads
                if ways[0] == cpu_common.PACKED:
                    assert dx[3] > 0 and dw_ih[3] > 0                   # W_ih and x packed on the threads
            _assert_same_bits(got, _general(cell, kw, arrays, reverse, knobs))


@pytest.mark.parametrize("cell, kw", CASES)
@pytest.mark.parametrize("knobs", [{}, FAN_OUT])
def test_weight_gradients_in_chunks(cell, kw, knobs):
    """Where weight_grads transposes da^T in chunks (x wider than a panel, a row block of rows or more), so does
    the compiled backward (the GRU's dW_hn too): config.CPU_GRAD_CHUNK_BYTES 1 makes chunks of KC steps and a
    shorter last one, each product added into the last; the transposes and products threaded (FAN_OUT) or not.
    Same bits as the general path, float32 and float64, with lengths."""
    for dtype in (np.float32, np.float64):
        arrays = _arrays(cell, 3, 50, 72, 72, dtype, seed=2, lengths=True)
        chunked = dict(knobs, CPU_GRAD_CHUNK_BYTES=1)
        got, plans = _run(cell, kw, arrays, False, chunked)
        ((_, grads),) = plans["backward"]
        for in_place, _, (steps, *_) in (grads[2], grads[4]):             # dW_ih and dW_hh; dW_hn
            assert not in_place and steps == cpu_packed.KC
        if knobs and numba.get_num_threads() > 1:
            _, _, (_, transposes_threaded, full, last) = grads[2]
            assert transposes_threaded and all(way[1] for way in full + last)
        _assert_same_bits(got, _general(cell, kw, arrays, False, chunked))


def test_compiled_backward_limit():
    """Forward and backward run from Python from config.CPU_COMPILED_MAX_BYTES of pre-activations (and of da) up,
    as one compiled call each below it; the backward also from Python where the arrays it would allocate take
    more than config.CPU_COMPILED_BACKWARD_MAX_BYTES (here grads_plan's sum: 1360 float32 elements for the LSTM;
    1152 for the GRU, whose dn and h_in count too)."""
    arrays = _arrays("lstm", 3, 2, 8, 8, np.float32, seed=1)
    nbytes = 3 * 2 * 4 * 8 * 4
    for limit, calls in ((nbytes, 0), (nbytes + 1, 1)):
        _, plans = _run("lstm", {}, arrays, False, {"CPU_COMPILED_MAX_BYTES": limit})
        assert (len(plans["forward"]), len(plans["backward"])) == (2 * calls, calls)
    allocated = (6 * 32 + 6 * 8 + 2 * 32 * 16 + 6 * 16) * 4
    for limit, calls in ((allocated - 1, 0), (allocated, 1)):
        _, plans = _run("lstm", {}, arrays, False, {"CPU_COMPILED_BACKWARD_MAX_BYTES": limit})
        assert (len(plans["forward"]), len(plans["backward"])) == (2, calls)
    arrays = _arrays("gru", 3, 2, 8, 8, np.float32, seed=1)
    allocated = (6 * 24 + 6 * 8 + 2 * 24 * 16 + 6 * 16 + 6 * 16) * 4
    for limit, calls in ((allocated - 1, 0), (allocated, 1)):
        _, plans = _run("gru", {"linear_before_reset": True}, arrays, False,
                        {"CPU_COMPILED_BACKWARD_MAX_BYTES": limit})
        assert (len(plans["forward"]), len(plans["backward"])) == (2, calls)


def _plan(T, B, I, H, G=4, lengths=None, reverse=False):
    x = np.zeros((T, B, I), np.float32)
    w_ih, w_hh = np.zeros((G * H, I), np.float32), np.zeros((G * H, H), np.float32)
    return cpu_compiled.plan(x, w_ih, w_hh, G, H, lengths, reverse)


def test_plan_follows_the_general_path(monkeypatch):
    """None (the general path) from config.CPU_COMPILED_MAX_BYTES of pre-activations and above
    config.CPU_CHUNK_MIN_BYTES (time chunks); else step_split's split and panels()' W_hh panels (packed in the
    call: hh - 1 threads, 0 for this one alone), with the thresholds read at each call."""
    limit = config.CPU_COMPILED_MAX_BYTES // (4 * 64 * 4)          # steps of B=1, H=64 at the limit
    assert _plan(limit - 1, 1, 8, 64) is not None and _plan(limit, 1, 8, 64) is None
    monkeypatch.setattr(config, "CPU_CHUNK_MIN_BYTES", 1024)
    assert _plan(16, 1, 8, 64) is None
    monkeypatch.undo()
    for T, B, H in ((1, 1, 8), (16, 1, 64), (40, 1, 64), (16, 16, 64), (16, 1, 256), (128, 1, 256)):
        split, hh, P_hh, _ = _plan(T, B, H, H)
        w_hh = np.zeros((4 * H, H), np.float32)
        P = cpu_common.panels(w_hh, T, B)
        assert (hh > 0, P_hh.size) == (P.size > 0, 0)
        assert split == cpu_common.step_split(B, 4, H, H, panel=cpu_common.panel_units(P), itemsize=4)
    monkeypatch.setattr(config, "CPU_PACK_PARALLEL_MIN_BYTES", 0)
    assert _plan(16, 16, 64, 64)[1] == (1 + numba.get_num_threads() if numba.get_num_threads() > 1 else 1)
    with cpu_common.on_this_thread():
        split, hh, _, projection = _plan(16, 16, 64, 64)
    assert (split, hh, projection[1][1], projection[1][3]) == (1, 1, False, 0)   # the product, the pack


def test_plans_are_kept_per_shape_and_setting(monkeypatch):
    """plan() and grads_plan() are made once per shape and kept (_PLANS), and made again under another setting: a
    knob set (config.version), another thread count, inside on_this_thread(). Plans of prepacked weights, and of
    reverse sequences of given lengths, are made at each call (they depend on the weights' panels, the lengths'
    values)."""
    kept = _plan(16, 16, 64, 64)
    assert _plan(16, 16, 64, 64) is kept and _plan(16, 8, 64, 64) is not kept
    monkeypatch.setattr(config, "CPU_FEED_ROWS", config.CPU_FEED_ROWS)
    assert _plan(16, 16, 64, 64) is not kept and _plan(16, 16, 64, 64) == kept
    monkeypatch.setattr(config, "CPU_COMPILED_MAX_BYTES", 0)
    assert _plan(16, 16, 64, 64) is None
    monkeypatch.undo()
    assert _plan(16, 16, 64, 64) == kept
    threads = numba.get_num_threads()
    if threads > 1:
        assert kept[0] != 1
        with cpu_common.on_this_thread():
            assert _plan(16, 16, 64, 64)[0] == 1
        numba.set_num_threads(1)
        try:
            assert _plan(16, 16, 64, 64)[0] == 1
        finally:
            numba.set_num_threads(threads)
        assert _plan(16, 16, 64, 64) is _plan(16, 16, 64, 64) == kept
    # fed or not by the lengths' values: a reverse sequence shorter than T is not fed
    monkeypatch.setattr(config, "CPU_FEED_MIN_WORK", 0)
    if threads > 1:
        full, short = (_plan(70, 1, 16, 8, lengths=np.array([n]), reverse=True) for n in (70, 69))
        assert (full[3][0], short[3][0]) == (cpu_compiled.FED, cpu_compiled.PACKED)
    x, w = np.zeros((16, 1, 8), np.float32), np.zeros((32, 8), np.float32)
    packed = gatecore.prepack(w)
    assert cpu_compiled.plan(x, w, packed, 4, 8, None, False) is not cpu_compiled.plan(x, w, packed, 4, 8, None, False)
    gates, hp = np.zeros((16, 1, 32), np.float32), np.zeros((16, 1, 8), np.float32)
    kept = cpu_compiled.grads_plan(gates, x, w, hp, 32)
    assert cpu_compiled.grads_plan(gates, x, w, hp, 32) is kept
    assert cpu_compiled.grads_plan(gates, x, w, hp, 24, 8) is not kept
    monkeypatch.setattr(config, "CPU_COMPILED_BACKWARD_MAX_BYTES", 0)
    assert cpu_compiled.grads_plan(gates, x, w, hp, 32) is None
    monkeypatch.undo()
    assert cpu_compiled.grads_plan(gates, x, packed, hp, 32) is not cpu_compiled.grads_plan(gates, x, packed, hp, 32)


@pytest.mark.parametrize("cell, kw", [("lstm", {}), ("gru", {"linear_before_reset": True}), ("rnn", {})])
def test_plans_on_this_thread(cell, kw):
    """Inside cpu_common.on_this_thread (a bidirectional layer's concurrent directions) neither compiled call
    plans a parallel region, where the same shape's plans have them outside it (every threshold at 0): no
    threaded loop, product, pack, transpose or sum. Same bits."""
    if numba.get_num_threads() < 2:
        pytest.skip("needs two Numba threads")
    knobs = dict(THREADS, CPU_PACK_PARALLEL_MIN_BYTES=0)
    arrays = _arrays(cell, 3, 8, 72, 72, np.float32, seed=4)

    def threaded(plans):
        (forward, _), ((loop, grads),) = plans["forward"], plans["backward"]
        dx, _, (_, dw, (_, transposes, full, last)), sums, (_, n_dw, (_, n_transposes, n_full, n_last)), n_sums = grads
        ways = (forward[3][1], dx) + dw + full + last + n_dw + n_full + n_last
        return (forward[0] != 1, forward[1] > 1, loop[0] != 1, any(way[1] or way[3] for way in ways),
                transposes or n_transposes, sums or n_sums)
    outside, plans = _run(cell, kw, arrays, False, knobs)
    assert all(threaded(plans)[:-1])                    # (db: 24 rows, under a task's SUM_ROWS)
    with cpu_common.on_this_thread():
        inside, plans = _run(cell, kw, arrays, False, knobs)
    assert not any(threaded(plans))
    _assert_same_bits(inside, outside)


@pytest.mark.parametrize("cell, kw", [("lstm", {}), ("gru", {"linear_before_reset": False})])
@pytest.mark.parametrize("T, B, knobs", [(1, 1, {}), (16, 1, {}), (40, 2, {}), (70, 1, {"CPU_FEED_MIN_WORK": 0})])
def test_read_only_inputs(cell, kw, T, B, knobs):
    """Read-only arrays (a memory map, a frozen buffer) compile to their own types: the compiled call takes them
    on each way of making the projection (one row, few rows, W_ih^T packed, fed) and gives the bits of writable
    copies through the general path."""
    arrays = _arrays(cell, T, B, 6, 8, np.float32, seed=5)
    frozen = {}
    for name, a in arrays.items():
        frozen[name] = a.copy()
        frozen[name].flags.writeable = False
    got, plans = _run(cell, kw, frozen, False, knobs)
    assert (len(plans["forward"]), len(plans["backward"])) == (2, 1)
    _assert_same_bits(got, _general(cell, kw, arrays, False, knobs))
