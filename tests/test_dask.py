"""gatecore.dask on a LocalCluster (2 worker processes, loopback) against the single-process layer calls.

Exactness: a time-chunked run carries the state exactly, and blocks equal the whole call bitwise where the
kernels compute each row of a GEMM independently of how many rows it has. NumPy's OpenBLAS does (the input
projection has T_chunk * B_block rows) except for a single row, and the cpu kernels' GEMMs (one fixed sum of
fused multiply-adds per output, gatecore.cpu_packed: the input projection and the recurrent product) do
whenever a block has at least 2 steps and 2 sequences (a single step or a single sequence reads the unpacked
weights, bitwise different). So: numpy float64 blocks are bitwise here, cpu blocks are bitwise with blocks of
>= 2 steps and >= 2 sequences (checked, with I, H large enough to vectorise), and close to support.TOL otherwise.
Gradients are summed in a different order than one whole-batch GEMM: support.TOL, and bitwise identical from
run to run.
"""
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import dask
import dask.array as da
import numpy as np
import pytest
from distributed import Client, LocalCluster

import gatecore as gc
import gatecore.dask as gcd
from tests import support

ROOT = Path(__file__).resolve().parents[1]
CPU_CELLS = [c for c in ("lstm", "gru", "rnn") if importlib.util.find_spec(f"gatecore.{c}.cpu")]
LAYERS = {"lstm": gc.LSTM, "gru": gc.GRU, "rnn": gc.RNN}


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def problem(T, B, I, dtype, seed, *, batch_first=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I)).astype(dtype)
    lengths = rng.integers(0, T + 1, size=B)
    lengths[0], lengths[-1] = 0, T
    return x, lengths


def initial_state(layer, B, seed):
    rng = np.random.default_rng(seed)
    LD = layer.num_layers * layer.num_directions
    h0 = rng.uniform(-0.5, 0.5, (LD, B, layer.hidden_out)).astype(layer.dtype)
    if isinstance(layer, gc.LSTM):
        return h0, rng.uniform(-0.5, 0.5, (LD, B, layer.hidden_size)).astype(layer.dtype)
    return h0


def parts(state):
    return list(state) if isinstance(state, tuple) else [state]


def check(got, ref, exact, what):
    if exact:
        np.testing.assert_array_equal(got, ref, err_msg=f"{what}: not bitwise equal")
    else:
        support.assert_close(got, ref, *support.TOL[ref.dtype], what=what)


def compare(layer, x, xd, state, lengths, exact):
    """Run gcd.forward on xd and layer(x) on one process; check y and every state component."""
    y_ref, s_ref = layer(x, state, lengths)
    y, s = gcd.forward(layer, xd, state, lengths)
    y, s = dask.compute(y, s)
    check(y, y_ref, exact, "y")
    for i, (a, b) in enumerate(zip(parts(s), parts(s_ref))):
        check(a, b, exact, f"state[{i}]")


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_blocks_along_batch_and_time_equal_the_single_process_call(client, cell):
    layer = LAYERS[cell](3, 4, num_layers=2, dtype=np.float64, backend="numpy", seed=5)
    x, lengths = problem(9, 7, 3, np.float64, seed=1)
    state = initial_state(layer, 7, seed=2)
    compare(layer, x, da.from_array(x, chunks=(4, 3, 3)), state, lengths, exact=False)
    compare(layer, x, da.from_array(x, chunks=(2, 7, 3)), state, lengths, exact=True)
    compare(layer, x, da.from_array(x, chunks=(1, 7, 3)), None, None, exact=True)


@pytest.mark.parametrize("cell", CPU_CELLS)
def test_cpu_backend_blocks_are_close_to_the_whole_call_and_bitwise_equal_to_blockwise_calls(cell):
    """Kernel properties, so this runs in-process (one Numba compile, no workers)."""
    layer = LAYERS[cell](3, 4, num_layers=2, dtype=np.float32, backend="cpu", seed=5)
    x, lengths = problem(9, 7, 3, np.float32, seed=1)
    state = initial_state(layer, 7, seed=2)
    with dask.config.set(scheduler="sync"):
        compare(layer, x, da.from_array(x, chunks=(2, 7, 3)), state, lengths, exact=False)
        compare(layer, x, da.from_array(x, chunks=(4, 3, 3)), state, lengths, exact=False)
        y = gcd.forward(layer, da.from_array(x, chunks=(9, 3, 3)), state, lengths)[0].compute()
    rows = [slice(0, 3), slice(3, 6), slice(6, 7)]
    blockwise = [layer(x[:, r], tuple(s[:, r] for s in parts(state)) if cell == "lstm" else state[:, r],
                       lengths[r])[0] for r in rows]
    np.testing.assert_array_equal(y, np.concatenate(blockwise, axis=1))


@pytest.mark.parametrize("cell", CPU_CELLS)
def test_cpu_backend_blocks_of_2_or_more_steps_and_sequences_equal_the_whole_call_bitwise(cell, monkeypatch):
    """I, H = 20, 24: long enough to vectorise. Blocks of 5 to 15 rows and 10 to 40 steps, then of 2 to 6 rows and
    2 to 9 steps; on one thread and with the GEMMs and the steps split over the threads."""
    layer = LAYERS[cell](20, 24, num_layers=2, dtype=np.float32, backend="cpu", seed=5)
    with dask.config.set(scheduler="sync"):
        x, lengths = problem(40, 15, 20, np.float32, seed=1)
        state = initial_state(layer, 15, seed=2)
        for chunks in [(40, 5, 20), (20, 8, 20), (10, 15, 20)]:
            compare(layer, x, da.from_array(x, chunks=chunks), state, lengths, exact=True)
        x, lengths = problem(9, 11, 20, np.float32, seed=1)
        state = initial_state(layer, 11, seed=2)
        two_step_blocks = ((2, 2, 2, 3), (6, 5), (20,))
        two_row_blocks = ((9,), (2, 2, 2, 2, 3), (20,))
        for chunks in [(9, 4, 20), (3, 3, 20), two_step_blocks, two_row_blocks]:
            compare(layer, x, da.from_array(x, chunks=chunks), state, lengths, exact=True)
        monkeypatch.setattr(gc.config, "CPU_PARALLEL_MIN_WORK", 0)
        monkeypatch.setattr(gc.config, "CPU_GEMM_PARALLEL_MIN_WORK", 0)
        monkeypatch.setattr(gc.config, "CPU_ROW_BLOCK", 3)
        for chunks in [(9, 11, 20), (3, 4, 20), two_step_blocks]:
            compare(layer, x, da.from_array(x, chunks=chunks), state, lengths, exact=True)


def test_float32_batch_first_bidirectional_projection_with_dask_state_and_lengths(client):
    layer = gc.LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=True, proj_size=2,
                    dtype=np.float32, backend="numpy", seed=3)
    x, lengths = problem(6, 8, 3, np.float32, seed=4, batch_first=True)
    h0, c0 = initial_state(layer, 8, seed=6)
    xd = da.from_array(x, chunks=(3, 6, 3))
    state = (da.from_array(h0, chunks=(1, 3, 2)), da.from_array(c0, chunks=(4, 3, 5)))
    compare(layer, x, xd, state, da.from_array(lengths, chunks=3), exact=False)
    y, (h_n, c_n) = gcd.forward(layer, xd)
    assert y.shape == (8, 6, 4) and y.chunks == ((3, 3, 2), (6,), (4,))
    assert h_n.shape == (4, 8, 2) and c_n.shape == (4, 8, 5) and h_n.chunks[1] == (3, 3, 2)


def test_weights_are_scattered_to_every_worker_once_not_sent_per_task(client):
    layer = gc.GRU(3, 64, dtype=np.float64, backend="numpy", seed=1)
    weight_bytes = sum(a.nbytes for a in layer.state_dict().values())
    x = da.random.default_rng(0).standard_normal((4, 40, 3), chunks=(2, 2, 3))
    y, h_n = gcd.forward(layer, x)
    graph = dict(y.__dask_graph__())
    assert len(cloudpickle.dumps(graph)) < weight_bytes / 4
    layer_keys = [k for k, where in client.who_has().items() if str(k).startswith("GRU-")]
    assert len(layer_keys) == 1 and len(client.who_has()[layer_keys[0]]) == 2
    support.assert_close(h_n.compute(), layer(x.compute())[1], *support.TOL[np.dtype(np.float64)], what="h_n")


def sum_of_squares(y, state, target):
    """Loss sum(target * y) + sum(h_n^2) / 2 over the block: (loss, dy, dstate)."""
    h_n = parts(state)[0]
    dstate = h_n if not isinstance(state, tuple) else (h_n, None)
    return float(np.sum(target * y) + 0.5 * np.sum(h_n * h_n)), target, dstate


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_tree_summed_gradients_equal_the_whole_batch_and_repeat_bitwise(client, cell):
    layer = LAYERS[cell](3, 4, num_layers=2, bidirectional=True, dtype=np.float64, backend="numpy", seed=7)
    x, lengths = problem(5, 11, 3, np.float64, seed=8)
    state = initial_state(layer, 11, seed=9)
    target = np.random.default_rng(10).standard_normal((5, 11, 8))
    y, s, tape = layer.forward_train(x, state, lengths)
    loss_ref, dy, ds = sum_of_squares(y, s, target)
    ref = layer.backward(tape, dy, ds).params
    xd = da.from_array(x, chunks=(5, 3, 3))
    runs = [gcd.gradients(layer, xd, sum_of_squares, da.from_array(target, chunks=(5, 3, 8)), state, lengths)
            for _ in range(2)]
    (loss, grads), (loss2, grads2) = runs
    assert abs(loss - loss_ref) <= 1e-10 * abs(loss_ref) and loss == loss2
    assert grads.keys() == ref.keys()
    for k in ref:
        support.assert_close(grads[k], ref[k], *support.TOL[ref[k].dtype], what=k)
        np.testing.assert_array_equal(grads[k], grads2[k], err_msg=f"{k} differs between runs")


def test_example_trains_below_the_constant_baseline(client):
    example = __import__("runpy").run_path(str(ROOT / "examples" / "dask_train.py"), run_name="dask_example")
    baseline, losses = example["train"](client, steps=30, backend="numpy")
    assert losses[-1] < 0.5 * baseline < losses[0], (baseline, losses)


def test_chunkings_that_cannot_work_raise_before_computing():
    layer = gc.GRU(3, 4, dtype=np.float64, backend="numpy", seed=0)
    x, lengths = problem(6, 6, 3, np.float64, seed=0)
    with pytest.raises(ValueError, match="feature axis"):
        gcd.forward(layer, da.from_array(x, chunks=(6, 3, 2)))
    with pytest.raises(ValueError, match="lengths's batch chunks"):
        gcd.forward(layer, da.from_array(x, chunks=(6, 3, 3)), lengths=da.from_array(lengths, chunks=2))
    with pytest.raises(ValueError, match="h0's batch chunks"):
        gcd.forward(layer, da.from_array(x, chunks=(6, 3, 3)), da.from_array(np.zeros((1, 6, 4)), chunks=2))
    with pytest.raises(ValueError, match="lengths must satisfy"):
        gcd.forward(layer, da.from_array(x, chunks=(6, 3, 3)), lengths=lengths + 1)
    with pytest.raises(ValueError, match="bidirectional"):
        bi = gc.GRU(3, 4, bidirectional=True, dtype=np.float64, backend="numpy")
        gcd.forward(bi, da.from_array(x, chunks=(3, 3, 3)))
    with pytest.raises(ValueError, match="training needs"):
        gcd.gradients(layer, da.from_array(x, chunks=(3, 3, 3)), sum_of_squares)
    with pytest.raises(ValueError, match="x must be 3-D"):
        gcd.forward(layer, da.zeros((6, 6, 2), chunks=3))
    with pytest.raises(TypeError, match="dtype float64"):
        gcd.forward(layer, da.zeros((6, 6, 3), dtype=np.float32, chunks=3))
    with pytest.raises(TypeError, match="dask.array"):
        gcd.forward(layer, x)
    with pytest.raises(TypeError, match="integer"):
        gcd.forward(layer, da.from_array(x, chunks=(6, 3, 3)), lengths=lengths.astype(float))
    with dask.config.set(scheduler="sync"), pytest.raises(ValueError, match="lengths must satisfy"):
        bad = da.from_array(lengths + 1, chunks=3)
        gcd.forward(layer, da.from_array(x, chunks=(6, 3, 3)), lengths=bad)[0].compute()


def test_progress_comes_from_dask_diagnostics(capsys):
    from dask.diagnostics import ProgressBar
    layer = gc.RNN(2, 3, dtype=np.float64, backend="numpy", seed=0)
    x, _ = problem(4, 6, 2, np.float64, seed=0)
    with dask.config.set(scheduler="sync"), ProgressBar(out=sys.stdout):
        h_n = gcd.forward(layer, da.from_array(x, chunks=(2, 3, 2)))[1].compute()
    assert "100%" in capsys.readouterr().out
    support.assert_close(h_n, layer(x)[1], *support.TOL[np.dtype(np.float64)], what="h_n")


def test_import_gatecore_does_not_import_dask():
    code = "import sys, gatecore; assert 'dask' not in sys.modules, 'dask imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


class SlowGRU(gc.GRU):
    """A GRU whose forward takes a moment, so a worker can be killed while the job runs."""

    def forward(self, x, state=None, lengths=None):
        time.sleep(0.05)
        return super().forward(x, state, lengths)


def test_a_worker_killed_mid_job_is_replaced_and_the_result_is_still_exact(client):
    layer = SlowGRU(2, 3, dtype=np.float64, backend="numpy", seed=2)
    x, lengths = problem(40, 8, 2, np.float64, seed=3)
    y, h_n = gcd.forward(layer, da.from_array(x, chunks=(2, 4, 2)), lengths=lengths)
    future = client.compute(h_n)
    deadline = time.monotonic() + 30
    while not any(k for k, v in client.who_has().items() if "step" in str(k) and v):
        assert time.monotonic() < deadline, "no task finished"
        time.sleep(0.05)
    pid = next(iter(client.run(os.getpid).values()))
    os.kill(pid, signal.SIGKILL)
    result = future.result(timeout=120)
    assert not future.cancelled()
    np.testing.assert_array_equal(result, layer(x, None, lengths)[1])
    client.wait_for_workers(2, timeout=60)
    assert pid not in client.run(os.getpid).values()
