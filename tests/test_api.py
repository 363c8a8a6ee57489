"""API.md §5 on the numpy, c and cpu backends (each skipped with the reason while it cannot run here).

Bad input raises ValueError (shapes, lengths, option values, sizes that overflow) or TypeError (dtypes,
integer, bool and complex data, non-arrays, a foreign tape) whose message names the argument. Merely unusual
input is accepted: non-contiguous and Fortran-ordered arrays and lengths given as a list give bitwise the same
results as their plain forms; NaN and Inf in one batch row reach only that row's outputs and input gradients.
"""
import math
import re
import time

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

from tests import support
from tests.test_backends import require

BACKENDS = ["numpy", "c", "cpu"]
CELLS = ["lstm", "gru", "rnn"]
T, B, I, H = 3, 2, 2, 3


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def problem_for(cell, backend, dtype=np.float64, **kw):
    require(backend, cell)
    return support.random_problem(cell, T, B, I, H, dtype, **kw)


def raises_naming(exc, name):
    return pytest.raises(exc, match=rf"\b{re.escape(name)}\b")


def _wrong_shapes(cell):
    """(cell, argument, a wrong shape for it) with T, B, I, H = 3, 2, 2, 3."""
    G = support.GATES[cell]
    cases = [("x", (T, B)), ("x", (T, B, I, 1)), ("x", (0, B, I)), ("x", (T, 0, I)),
             ("w_ih", (G * H, I + 1)), ("w_ih", (0, I)), ("w_ih", (G * H,)),
             ("w_hh", (G * H, H + 1)), ("w_hh", (G * H - 1, H)), ("b_ih", (G * H + 1,)), ("b_hh", (G * H, 1)),
             ("h0", (B + 1, H)), ("h0", (B, H - 1)), ("h0", (H,))]
    if G > 1:
        cases.append(("w_ih", (G * H + 1, I)))
    if cell == "lstm":
        cases += [("c0", (B, H + 1)), ("c0", (B + 1, H)), ("w_hr", (2, H + 1)), ("w_hr", (H, H))]
    return [(cell, name, shape) for name, shape in cases]


WRONG_SHAPES = [case for cell in CELLS for case in _wrong_shapes(cell)]


@pytest.mark.parametrize("cell,name,shape", WRONG_SHAPES)
def test_wrong_shape_is_a_value_error_naming_the_argument(backend, cell, name, shape):
    problem = problem_for(cell, backend)
    problem[name] = np.zeros(shape)
    with raises_naming(ValueError, name):
        support.forward(cell, problem, backend)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("given", ["b_ih", "b_hh"])
def test_one_bias_without_the_other_is_a_value_error(backend, cell, given):
    problem = problem_for(cell, backend)
    del problem["b_hh" if given == "b_ih" else "b_ih"]
    with raises_naming(ValueError, given):
        support.forward(cell, problem, backend)


def _arguments(cell):
    return ["x", "w_ih", "w_hh", "b_ih", "b_hh", "h0"] + (["c0"] if cell == "lstm" else [])


@pytest.mark.parametrize("cell", CELLS)
def test_mixed_float_dtypes_are_a_type_error_naming_the_argument(backend, cell):
    for name in _arguments(cell)[1:]:
        problem = problem_for(cell, backend)
        problem[name] = problem[name].astype(np.float32)
        with raises_naming(TypeError, name):
            support.forward(cell, problem, backend)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.complex128, np.float16, object])
def test_non_float_arrays_are_a_type_error_naming_the_argument(backend, cell, dtype):
    for name in _arguments(cell):
        problem = problem_for(cell, backend)
        problem[name] = problem[name].astype(dtype)
        with raises_naming(TypeError, name):
            support.forward(cell, problem, backend)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("value", [None, "abc", 3.0, [[[0.5] * I] * B] * T])
def test_non_arrays_are_a_type_error_naming_the_argument(backend, cell, value):
    for name in ["x", "w_ih", "w_hh"] if value is None else _arguments(cell):
        problem = problem_for(cell, backend)
        problem[name] = value
        with raises_naming(TypeError, name):
            support.forward(cell, problem, backend)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("lengths,exc", [
    ([0, T + 1], ValueError), ([-1, T], ValueError), ([T] * (B + 1), ValueError), ([T], ValueError),
    ([[T, T]], ValueError), ([1.0, 2.0], TypeError), ([True, False], TypeError), ("abc", TypeError),
    (3, TypeError)])
def test_bad_lengths_name_lengths(backend, cell, lengths, exc):
    problem = problem_for(cell, backend)
    problem["lengths"] = np.asarray(lengths) if isinstance(lengths, list) else lengths
    with raises_naming(exc, "lengths"):
        support.forward(cell, problem, backend)


@pytest.mark.parametrize("cell,option,value,exc", [
    ("rnn", "nonlinearity", "sigmoid", ValueError), ("rnn", "nonlinearity", None, ValueError),
    ("gru", "linear_before_reset", "yes", TypeError), ("lstm", "reverse", "yes", TypeError),
    ("gru", "reverse", None, TypeError)])
def test_bad_option_values_name_the_option(backend, cell, option, value, exc):
    problem = problem_for(cell, backend)
    with raises_naming(exc, option):
        support.forward(cell, problem, backend, **{option: value})


def _huge(shape, dtype=np.float32):
    """A zero-stride view of one element with a huge shape (no memory behind it)."""
    return as_strided(np.zeros(1, dtype), shape=shape, strides=(0,) * len(shape))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("which", ["x", "w_hh"])
def test_overflowing_sizes_are_a_value_error_quickly(backend, cell, which):
    problem = problem_for(cell, backend, np.float32, bias=False, init_state=False)
    G = support.GATES[cell]
    if which == "x":                       # T * B * G*H >= 2**60
        problem["x"] = _huge((2**28, 2**28, 1))
        problem["w_ih"] = np.zeros((G * 16, 1), np.float32)
        problem["w_hh"] = np.zeros((G * 16, 16), np.float32)
    else:                                  # G*H * H >= 2**60, each array under numpy's own size limit
        big = math.isqrt(2**60 // G) + 1
        problem["w_ih"] = _huge((G * big, I))
        problem["w_hh"] = _huge((G * big, big))
    start = time.perf_counter()
    with pytest.raises(ValueError, match="overflow"):
        support.forward(cell, problem, backend)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("cell", CELLS)
def test_tape_misuse(backend, cell):
    problem = problem_for(cell, backend)
    y, h_n, c_n, tape = support.forward(cell, problem, backend, return_tape=True)
    dy, dh, dc = support.cotangents(cell, y, h_n, c_n)
    for not_a_tape in [None, "tape", {"saved": tape.saved}, tape.saved]:
        with raises_naming(TypeError, "tape"):
            support.backward(cell, not_a_tape, dy, dh, dc)
    other = "gru" if cell != "gru" else "lstm"
    _, _, _, foreign = support.forward(other, problem_for(other, backend), backend, return_tape=True)
    with raises_naming(ValueError, "tape"):
        support.backward(cell, foreign, dy, dh, dc)


@pytest.mark.parametrize("cell", CELLS)
def test_bad_upstream_gradients_name_the_argument(backend, cell):
    problem = problem_for(cell, backend)
    y, h_n, c_n, tape = support.forward(cell, problem, backend, return_tape=True)
    dy, dh, dc = support.cotangents(cell, y, h_n, c_n)
    given = {"dy": dy, "dh_n": dh, "dc_n": dc}
    names = ["dy", "dh_n"] + (["dc_n"] if cell == "lstm" else [])
    for name in names:
        for bad, exc in [(given[name][..., :-1], ValueError), (given[name][None], ValueError),
                         (given[name].astype(np.float32), TypeError), (given[name].astype(int), TypeError),
                         ("abc", TypeError)]:
            args = dict(given, **{name: bad})
            with raises_naming(exc, name):
                support.backward(cell, tape, args["dy"], args["dh_n"], args["dc_n"])


def _layouts(a):
    """a as a strided (every other element of a larger array) and as a Fortran-ordered array."""
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    wide[..., ::2] = a
    return {"strided": wide[..., ::2], "fortran": np.asfortranarray(a)}


@pytest.mark.parametrize("cell,opts", support.VARIANTS, ids=support.VARIANT_IDS)
@pytest.mark.parametrize("layout", ["strided", "fortran"])
def test_non_contiguous_and_fortran_inputs_give_identical_results(backend, cell, opts, layout):
    problem = problem_for(cell, backend, lengths="random")
    odd = {k: (_layouts(v)[layout] if k != "lengths" else list(v)) for k, v in problem.items()}
    assert not odd["x"].flags.c_contiguous
    ref = support.run(cell, problem, backend, **opts)
    got = support.run(cell, odd, backend, **opts)
    for ref_part, got_part in zip(ref, got):
        for k in ref_part:
            np.testing.assert_array_equal(got_part[k], ref_part[k], err_msg=f"{layout} {k}")


@pytest.mark.parametrize("cell,opts", support.VARIANTS, ids=support.VARIANT_IDS)
@pytest.mark.parametrize("where,value", [("x", np.nan), ("x", np.inf), ("h0", np.nan), ("h0", -np.inf)])
def test_nan_and_inf_stay_in_their_batch_row(backend, cell, opts, where, value):
    require(backend, cell)
    problem = support.random_problem(cell, 4, 3, I, H, seed=9)
    ref_outs, ref_grads = support.run(cell, problem, backend, **opts)
    bad_row, step = 1, 1
    problem[where][(step, bad_row, 0) if where == "x" else (bad_row, 0)] = value
    with np.errstate(all="ignore"):
        outs, grads = support.run(cell, problem, backend, **opts)
    others = [0, 2]
    for k in ref_outs:
        batch_axis = 1 if k == "y" else 0
        np.testing.assert_array_equal(np.take(outs[k], others, batch_axis), np.take(ref_outs[k], others,
                                                                                     batch_axis), err_msg=k)
    for k in ("dx", "dh0", "dc0"):
        if k in ref_grads:
            batch_axis = 1 if k == "dx" else 0
            np.testing.assert_array_equal(np.take(grads[k], others, batch_axis),
                                          np.take(ref_grads[k], others, batch_axis), err_msg=k)
    first = step if where == "x" else 0
    if np.isnan(value):
        assert np.isnan(outs["y"][first:, bad_row]).all(), "NaN did not propagate through its row"
    else:
        assert not np.array_equal(outs["y"][first:, bad_row], ref_outs["y"][first:, bad_row])


_VARIANTS = ["f64", "shape", "rows", "fortran", "list", "int", "view", "none"]


def _variant(a, how):
    """a as one of _VARIANTS makes it: another dtype, shape or layout, not an ndarray, or None."""
    if how == "f64":
        return a.astype(np.float64 if a.dtype == np.float32 else np.float32)
    if how == "shape":
        return np.ascontiguousarray(a[..., :-1]) if a.shape[-1] > 1 else np.concatenate([a, a], -1)
    if how == "rows":
        return np.ascontiguousarray(a[:-1]) if a.shape[0] > 1 else np.concatenate([a, a])
    if how == "fortran":
        return np.asfortranarray(a) if a.ndim > 1 else a[::-1].copy()[::-1]
    if how == "list":
        return a.tolist()
    if how == "int":
        return a.astype(np.int32)
    if how == "view":
        return a.view(type("Sub", (np.ndarray,), {}))
    return None


def _odd_calls(cell, dtype):
    """(what changed, arguments) for _common: a plain call, each argument changed each way (_VARIANTS), and
    calls that only a whole check tells apart: gate rows not a multiple of G with W_hh to match, one bias alone,
    lengths, reverse given as other than a bool."""
    G = support.GATES[cell]
    p = support.random_problem(cell, T, B, I, H, dtype)
    names = ["x", "w_ih", "w_hh", "b_ih", "b_hh", "h0"] + (["c0"] if cell == "lstm" else [])
    plain = {n: p[n] for n in names}
    yield "plain", plain
    for name in names:
        for how in _VARIANTS:
            yield f"{name} {how}", {**plain, name: _variant(p[name], how)}
    if G > 1:
        w_ih = np.zeros((G * H + 1, I), dtype)
        yield "rows not a multiple of G", {**plain, "w_ih": w_ih, "w_hh": np.zeros((G * H + 1, H), dtype),
                                           "b_ih": None, "b_hh": None}
    yield "b_ih alone", {**plain, "b_hh": None}
    yield "no biases", {**plain, "b_ih": None, "b_hh": None}
    yield "no states", {**plain, "h0": None, "c0": None}
    for reverse in (True, np.bool_(True), 1, "yes"):
        yield f"reverse {reverse!r}", {**plain, "reverse": reverse}
    yield "lengths", {**plain, "lengths": [T, T - 1]}
    yield "lengths full", {**plain, "lengths": np.array([T, T])}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", CELLS)
def test_the_short_path_of_validation_returns_what_the_full_path_returns(cell, dtype, monkeypatch):
    """api._plain takes a well-formed call's arguments in one pass: wherever it does, the full checks (_plain
    declining) give the same result, the same objects; wherever the full checks raise or convert, it declines;
    and it takes the plain call, with or without biases and states, reverse or not."""
    from gatecore import api
    taken = []
    for what, a in _odd_calls(cell, dtype):
        call = (cell, a["x"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"], a["h0"], a.get("c0"),
                a.get("lengths"), a.get("reverse", False))
        short = api._plain(*call, "cpu", None)
        with monkeypatch.context() as m:
            m.setattr(api, "_plain", lambda *args: None)
            try:
                full = api._common(*call, None)
            except (TypeError, ValueError):
                assert short is None, what
                continue
        if short is not None:
            taken.append(what)
            assert len(short) == len(full), what
            for s, f in zip(short, full):
                assert s is f if isinstance(s, np.ndarray) or isinstance(f, np.ndarray) else \
                    type(s) is type(f) and s == f, what
    assert {"plain", "no biases", "no states", "reverse True", "x rows"} <= set(taken), taken
