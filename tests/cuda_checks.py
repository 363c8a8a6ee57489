"""Checks shared by tests/{lstm,gru,rnn}/test_cuda.py: backend "cuda" against the numpy reference.

They run on a real GPU or, without one, on Numba's CUDA simulator (tests/conftest.py sets
NUMBA_ENABLE_CUDASIM=1
when no NVIDIA device is present), on tiny shapes with few threads per block, so that a step spans several
blocks
on the per-step path and one block loops over many (unit, row) items on the persistent path (the simulator
runs
cooperative grids of one block only). float32 results are held against the float64 reference on the same
inputs
at support.TOL (rtol 1e-5, atol 1e-5).
"""
from __future__ import annotations

import numba
import numpy as np
import pytest

import gatecore as gc
from gatecore import config
from tests import support

needs_cuda = pytest.mark.skipif(not support.available("cuda"),
                                reason=f"backend 'cuda' unavailable: {gc.backends()['cuda']}")
PATHS = ["persistent", "per-step"]
on_real_gpu = pytest.mark.skipif(bool(numba.config.ENABLE_CUDASIM) or not support.available("cuda"),
                                 reason="needs a real GPU (the simulator runs one Python thread per CUDA thread)")


def use_path(monkeypatch, path, threads=4):
    """Few threads per block; the persistent kernel allowed or not."""
    monkeypatch.setattr(config, "CUDA_THREADS_PER_BLOCK", threads)
    monkeypatch.setattr(config, "CUDA_PERSISTENT", path == "persistent")


def last_path():
    from gatecore import cuda_common
    return cuda_common.last_path


def against_reference(cell, opts, path, reverse, shape=(3, 3, 2, 3), lengths="random", bias=True,
                      init_state=True, seed=2, scale=0.5):
    """Forward and backward on cuda vs the float64 numpy reference; returns the cuda (outputs, gradients)."""
    problem = support.random_problem(cell, *shape, np.float32, bias=bias, init_state=init_state,
                                     lengths=lengths, seed=seed, scale=scale)
    ref64 = support.as64(problem)
    y, h_n, c_n = support.forward(cell, ref64, "numpy", reverse=reverse, **opts)
    dy, dh, dc = support.cotangents(cell, y, h_n, c_n)
    f32 = [None if a is None else a.astype(np.float32) for a in (dy, dh, dc)]
    outs, grads = support.run(cell, problem, "cuda", *f32, reverse=reverse, **opts)
    assert last_path()[0] == path
    ref_outs, ref_grads = support.run(cell, ref64, "numpy", *(None if a is None else a.astype(np.float64)
                                                             for a in f32), reverse=reverse, **opts)
    support.assert_results_close(outs, ref_outs, np.float32, f"cuda {cell} {path} forward: ")
    support.assert_results_close(grads, ref_grads, np.float32, f"cuda {cell} {path} backward: ")
    return outs, grads


def device_in_device_out(cell, opts):
    """Device arrays in -> device arrays out (forward and backward), equal to the host call's results."""
    from numba import cuda

    from gatecore.cuda_common import is_device
    problem = support.random_problem(cell, 3, 2, 2, 3, np.float32, lengths=[1, 3], seed=5)
    host_outs, host_grads = support.run(cell, problem, "cuda", **opts)
    dy, dh, dc = support.cotangents(cell, host_outs["y"], host_outs["h_n"], host_outs.get("c_n"))
    host_outs, host_grads = support.run(cell, problem, "cuda", dy, dh, dc, **opts)
    on_device = {k: (v if k == "lengths" else cuda.to_device(v)) for k, v in problem.items()}
    dev = [None if a is None else cuda.to_device(a) for a in (dy, dh, dc)]
    dev_outs, dev_grads = support.run(cell, on_device, "cuda", *dev, **opts)
    for got, ref in ((dev_outs, host_outs), (dev_grads, host_grads)):
        assert set(got) == set(ref)
        for k in ref:
            assert is_device(got[k]), f"{k} is a {type(got[k]).__name__}, not a device array"
            assert got[k].shape == ref[k].shape, k
            np.testing.assert_array_equal(got[k].copy_to_host(), ref[k], err_msg=k)


def falls_back_when_weights_do_not_fit(cell, opts, monkeypatch):
    """A w_hh slice larger than the shared-memory budget takes the per-step path, with the same results."""
    use_path(monkeypatch, "persistent")
    problem = support.random_problem(cell, 2, 2, 2, 3, np.float32, seed=7)
    fits = support.forward(cell, problem, "cuda", **opts)
    assert last_path()[0] == "persistent"
    monkeypatch.setattr(config, "CUDA_SHARED_FLOATS", support.GATES[cell] * 3 - 1)
    spills = support.forward(cell, problem, "cuda", **opts)
    assert last_path()[0] == "per-step"
    for a, b in zip(fits, spills):
        if a is not None:
            support.assert_close(b, a, 1e-6, 1e-7, f"cuda {cell} per-step vs persistent")


def at_scale(cell, opts, path, monkeypatch, reverse):
    """Real GPU only: the default threads per block, H=160 units (the persistent kernel spreads them over many
    blocks that step together through the grid barrier; the per-step launch over several blocks), B=9 rows
    with random lengths, T=17, I=96; float32 against the float64 reference (against_reference), and the same
    bits on a second call. Weights in [-0.1, 0.1] keep the recurrence contracting, so float32 stays within
    support.TOL."""
    monkeypatch.setattr(config, "CUDA_PERSISTENT", path == "persistent")
    first = against_reference(cell, opts, path, reverse, shape=(17, 9, 96, 160), seed=11, scale=0.1)
    if path == "persistent":
        assert last_path()[1] > 1, f"the persistent kernel ran on {last_path()[1]} block(s): no grid barrier"
    again = against_reference(cell, opts, path, reverse, shape=(17, 9, 96, 160), seed=11, scale=0.1)
    for got, second in zip(first, again):
        for k in got:
            assert got[k].tobytes() == second[k].tobytes(), f"cuda {cell} {path}: {k} differs between two calls"
