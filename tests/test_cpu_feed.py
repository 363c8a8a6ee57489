"""cpu_feed: a time loop on one thread fed its input projection by a second thread gives the bits of the loop
after the whole projection, for every cell and variant, and never waits forever."""
import numba
import numpy as np
import pytest

import gatecore
from gatecore import config, cpu_common, cpu_feed
from gatecore.lstm import cpu as lstm_cpu

CASES = [("lstm", {}), ("lstm", {"proj": 5}), ("gru", {"linear_before_reset": True}),
         ("gru", {"linear_before_reset": False}), ("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"})]


@pytest.fixture
def two_threads():
    if numba.get_num_threads() < 2:
        pytest.skip("nothing is fed with one Numba thread")


@pytest.fixture(autouse=True)
def small_feeds(monkeypatch):
    """Small test shapes fed (their projections are under config.CPU_FEED_MIN_WORK), and those not fed on the
    general path too (the one compiled call of gatecore.cpu_compiled has no feed to count)."""
    monkeypatch.setattr(config, "CPU_FEED_MIN_WORK", 0)
    monkeypatch.setattr(config, "CPU_COMPILED_MAX_BYTES", 0)


def _arrays(cell, T, B, I, H, proj, dtype, seed):
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    R = proj or H
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, I)).astype(dtype)
    w_ih = rng.uniform(-.4, .4, (G * H, I)).astype(dtype)
    w_hh = rng.uniform(-.4, .4, (G * H, R)).astype(dtype)
    b_ih, b_hh = (rng.uniform(-.2, .2, G * H).astype(dtype) for _ in range(2))
    h0 = rng.standard_normal((B, R)).astype(dtype)
    w_hr = rng.uniform(-.4, .4, (proj, H)).astype(dtype) if proj else None
    dy = rng.standard_normal((T, B, R)).astype(dtype)
    return x, w_ih, w_hh, b_ih, b_hh, h0, w_hr, dy


def _run(cell, kw, arrays, lengths, reverse, prepacked=False):
    """Forward (y, h_n[, c_n]) and every gradient, as one flat list."""
    x, w_ih, w_hh, b_ih, b_hh, h0, w_hr, dy = arrays
    kw = dict(kw)
    proj = kw.pop("proj", None)
    if prepacked:
        w_ih, w_hh = gatecore.prepack(w_ih), gatecore.prepack(w_hh)
    fwd, bwd = getattr(gatecore, cell + "_forward"), getattr(gatecore, cell + "_backward")
    if cell == "lstm":
        kw["w_hr"] = w_hr if proj else None
    *outs, tape = fwd(x, w_ih, w_hh, b_ih, b_hh, h0, lengths=lengths, reverse=reverse, return_tape=True, **kw)
    grads = bwd(tape, dy)
    no_tape = fwd(x, w_ih, w_hh, b_ih, b_hh, h0, lengths=lengths, reverse=reverse, **kw)
    return list(outs) + list(no_tape) + [grads[k] for k in sorted(grads)]


def _fed_calls(monkeypatch):
    """Counts the forward loops that cpu_feed.inputs feeds."""
    calls = []
    inputs = cpu_feed.inputs

    def counting(*args):
        out = inputs(*args)
        calls.append(out[-1][5] > 0)
        return out
    monkeypatch.setattr(cpu_feed, "inputs", counting)
    return calls


@pytest.mark.parametrize("cell, kw", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T, B, I, lengths, reverse, rows", [
    (70, 1, 8, None, False, 8),
    (70, 1, 16, None, True, 5),                 # reverse over full sequences; tasks of 5 steps, the last of 4
    (24, 3, 8, [24, 9, 0], False, 8),           # sequences ending early, one empty; tasks of 2 steps
    (33, 2, 8, [33, 12], True, 8),              # reverse over different lengths: not fed, same results
])
def test_fed_loop_gives_the_bits_of_the_projection_made_first(two_threads, cell, kw, dtype, T, B, I, lengths, reverse,
                                                              rows, monkeypatch):
    """Every output and gradient (forward with and without a tape) bitwise equal, fed or not; the feed path is
    taken exactly where fed() says (H = 8: a loop on one thread)."""
    arrays = _arrays(cell, T, B, I, 8, kw.get("proj"), dtype, seed=T + B + I)
    lengths = None if lengths is None else np.array(lengths, np.int64)
    monkeypatch.setattr(config, "CPU_FEED_ROWS", 0)
    want = _run(cell, kw, arrays, lengths, reverse)
    monkeypatch.setattr(config, "CPU_FEED_ROWS", rows)
    calls = _fed_calls(monkeypatch)
    got = _run(cell, kw, arrays, lengths, reverse)
    fed = (lengths is None or not reverse) and I <= 2 * (kw.get("proj") or 8)
    assert calls and all(calls) == fed, calls
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell, kw", [("lstm", {}), ("gru", {"linear_before_reset": True})])
def test_fed_loop_on_prepacked_weights_reads_their_panels(two_threads, cell, kw, monkeypatch):
    """Prepacked W_ih: the feed reads its kept panels (no packing task) and gives the plain weights' bits."""
    arrays = _arrays(cell, 80, 1, 8, 8, None, np.float32, seed=1)
    want = _run(cell, kw, arrays, None, False)
    calls = _fed_calls(monkeypatch)
    got = _run(cell, kw, arrays, None, False, prepacked=True)
    assert calls and all(calls)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_fed_lstm_in_time_chunks_reads_the_callers_panels(two_threads, monkeypatch):
    """A forward without a tape in several chunks (time_chunks) packs W_ih^T once and feeds every chunk."""
    arrays = _arrays("lstm", 96, 1, 8, 8, None, np.float32, seed=2)
    x, w_ih, w_hh, b_ih, b_hh, h0, _, _ = arrays
    want = gatecore.lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0)
    monkeypatch.setattr(config, "CPU_CHUNK_MIN_BYTES", 0)
    monkeypatch.setattr(config, "CPU_CHUNK_BYTES", 64 * 32 * 4)     # 64 steps of B=1, 4H = 32, float32
    calls = _fed_calls(monkeypatch)
    got = gatecore.lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0)
    assert calls == [True, False]                   # 64 steps, then 32: fewer rows than a row block, not fed
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_two_chunks_run_one_after_the_other_on_one_thread_still_finish(monkeypatch):
    """With one Numba thread the region's chunks run in turn: the step chunk claims and runs every task itself
    (the feeding chunk then finds them done), so the loop neither waits forever nor changes a bit."""
    arrays = _arrays("lstm", 70, 1, 8, 8, None, np.float64, seed=3)
    x, w_ih, w_hh, b_ih, b_hh, h0, _, _ = arrays
    want = gatecore.lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0)
    saved = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        monkeypatch.setattr(cpu_common, "num_threads", lambda: 2)   # so fed() says yes on one thread
        calls = _fed_calls(monkeypatch)
        got = gatecore.lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0)
    finally:
        numba.set_num_threads(saved)
    assert calls == [True]
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_every_task_is_claimed_once_and_done(two_threads):
    """After a fed loop every task (the packing included) is claimed and marked done exactly once."""
    T, B, H = 70, 1, 8
    x, w_ih, w_hh, b_ih, b_hh, h0, _, _ = _arrays("lstm", T, B, H, H, None, np.float32, seed=4)
    lengths = cpu_common.full_lengths(None, T, B)
    gates, x1, w1, bias1, feed = cpu_feed.inputs(x, w_ih, b_ih + b_hh, None, False, 1, H, lengths, False)
    assert feed[5] == config.CPU_FEED_ROWS and feed[6]              # B = 1: a task per CPU_FEED_ROWS steps, packing
    cp, cs, hp = (np.empty((1, B, H), np.float32) for _ in range(3))
    hbuf = cpu_common.initial_state(h0, B, H, np.float32, False)
    c = np.zeros((B, H), np.float32)
    none2, none3 = cpu_common.none(np.float32, 2), cpu_common.none(np.float32, 3)
    lstm_cpu._forward_loop(gates, cp, cs, hp, np.empty((T, B, H), np.float32), hbuf, c, w_hh, none3, none2, none3,
                           lengths, False, 1, x1, w1, bias1, feed)
    tasks = feed[4]
    assert (tasks[0::16] == 1).all() and (tasks[8::16] == 1).all()
    assert tasks.shape[0] // 16 == 1 + -(-T // config.CPU_FEED_ROWS)
