"""Every available backend held against the numpy reference, forward and backward, on hypothesis-drawn
problems.

float32 results are compared with the float64 reference on identical inputs (the float32 values upcast),
float64 results with the float64 reference, at support.TOL. A backend that is unavailable here, or whose
kernel module does not import yet, is skipped with the reason. The numpy backend itself is checked in float32
only (its float64 run is the reference). Also: gc.backends() and the bitwise determinism of each backend.
"""
import importlib
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gatecore as gc
from tests import support

registry = importlib.import_module("gatecore.backends")   # gc.backends is the function

PROJ_BACKENDS = ("numpy", "c", "cpu")
CASES = [(name, dtype) for name in registry.NAMES for dtype in registry.DTYPES[name]
         if (name, dtype) != ("numpy", "float64")]


def require(backend, cell):
    """Skip unless `backend` runs here and its `cell` kernels import."""
    why = registry.unavailable_reason(backend)
    if why is not None:
        pytest.skip(f"backend {backend!r} unavailable: {why}")
    try:
        registry.kernels(cell, backend)
    except ImportError as e:
        pytest.skip(f"backend {backend!r} has no {cell} kernels yet: {e}")


@st.composite
def problems(draw, cell, backend, dtype):
    """(problem, reverse): shapes T<=6, B<=4, I,H<=5; lengths None or drawn with 0 and T among them."""
    T, B = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    I, H = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    proj = 0
    if cell == "lstm" and backend in PROJ_BACKENDS and H >= 2 and draw(st.booleans()):
        proj = draw(st.integers(1, H - 1))
    lengths = draw(st.one_of(st.none(), st.lists(st.integers(0, T), min_size=B, max_size=B),
                             st.just("random")))
    problem = support.random_problem(cell, T, B, I, H, np.dtype(dtype), bias=draw(st.booleans()),
                                     init_state=draw(st.booleans()), lengths=lengths, proj=proj,
                                     seed=draw(st.integers(0, 2**16)))
    return problem, draw(st.booleans())


def _as64(arrays):
    return [None if a is None else a.astype(np.float64) for a in arrays]


def check_against_reference(backend, dtype, cell, opts, data):
    """One drawn problem on `backend` against the float64 numpy reference, forward and backward."""
    require(backend, cell)
    problem, reverse = data.draw(problems(cell, backend, dtype))
    outs, grads = support.run(cell, problem, backend, reverse=reverse, **opts)
    dy, dh, dc = support.cotangents(cell, outs["y"], outs["h_n"], outs.get("c_n"))
    ref_outs, ref_grads = support.run(cell, support.as64(problem), "numpy", *_as64([dy, dh, dc]),
                                      reverse=reverse, **opts)
    support.assert_results_close(outs, ref_outs, dtype, f"{backend} {cell} forward: ")
    support.assert_results_close(grads, ref_grads, dtype, f"{backend} {cell} backward: ")


@pytest.mark.parametrize("backend,dtype", [case for case in CASES if case[0] != "cuda"])
@pytest.mark.parametrize("cell,opts", support.VARIANTS, ids=support.VARIANT_IDS)
@given(data=st.data())
def test_matches_numpy_reference(backend, dtype, cell, opts, data):
    check_against_reference(backend, dtype, cell, opts, data)


@pytest.mark.parametrize("cell,opts", support.VARIANTS, ids=support.VARIANT_IDS)
@settings(max_examples=15 if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1" else 3)
@given(data=st.data())
def test_cuda_matches_numpy_reference(cell, opts, data):
    """As above for cuda; 3 examples per variant on the (slow) simulator, the profile's count on a GPU."""
    check_against_reference("cuda", "float32", cell, opts, data)


@pytest.mark.parametrize("backend,dtype", [(n, d) for n in registry.NAMES for d in registry.DTYPES[n]])
@pytest.mark.parametrize("cell,opts", support.VARIANTS, ids=support.VARIANT_IDS)
def test_deterministic(backend, dtype, cell, opts):
    """The same call twice gives identical bytes, forward and backward."""
    require(backend, cell)
    problem = support.random_problem(cell, 4, 3, 2, 3, np.dtype(dtype), lengths="random", seed=3)
    first = support.run(cell, problem, backend, reverse=True, **opts)
    second = support.run(cell, problem, backend, reverse=True, **opts)
    for got, again in zip(first, second):
        assert set(got) == set(again)
        for k in got:
            assert np.asarray(got[k]).tobytes() == np.asarray(again[k]).tobytes(), f"{backend} {cell} {k}"


def test_backends_lists_every_known_name():
    found = gc.backends()
    assert tuple(found) == registry.NAMES
    assert found["numpy"] is True
    for name, state in found.items():
        assert state is True or (isinstance(state, str) and state), f"{name}: {state!r}"


def test_unknown_backend_is_a_value_error():
    problem = support.random_problem("rnn", 2, 1, 1, 1)
    with pytest.raises(ValueError, match="backend"):
        gc.rnn_forward(**problem, backend="tpu")


def test_unusable_backend_says_why(monkeypatch):
    monkeypatch.setitem(registry._reasons, "cuda", "no CUDA GPU (patched by the test)")
    problem = support.random_problem("lstm", 2, 1, 1, 1, np.float32)
    with pytest.raises(gc.BackendUnavailable, match="cuda.*patched by the test"):
        gc.lstm_forward(**problem, backend="cuda")
    assert gc.backends()["cuda"] == "no CUDA GPU (patched by the test)"
    assert issubclass(gc.BackendUnavailable, RuntimeError)
