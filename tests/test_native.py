"""Backend "c" (the C core through gatecore.native) and the cffi layer called directly.

Against: central finite differences (float64, support.FD_TOL), torch.nn (float64, support.TOL), the numpy
reference backend (float64, support.TOL) and its own float64 results for float32 (support.TOL float32).
The C entry points are called directly with bad arguments (NULLs, dimensions, lengths, overflowing sizes, small
buffers, unknown options): each must return its status code and gc_strerror a message, never crash.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import support
from tests.reference_checks import torch, torch_run

pytestmark = pytest.mark.skipif(not support.available("c"), reason="the C extension gatecore._native is not built")
if support.available("c"):
    from gatecore import native
    from gatecore._native import ffi, lib

CASES = [(cell, opts, proj) for cell, opts in support.VARIANTS for proj in ([0, 2] if cell == "lstm" else [0])]
CASE_IDS = [f"{vid}-proj{proj}" if cell == "lstm" else vid
            for (cell, opts), vid in zip(support.VARIANTS, support.VARIANT_IDS)
            for proj in ([0, 2] if cell == "lstm" else [0])]


def _problem(cell, proj, seed, T=4, B=3, I=2, H=3, dtype=np.float64, **kw):
    return support.random_problem(cell, T, B, I, H, dtype, proj=proj, seed=seed, **kw)


@pytest.mark.parametrize("cell,opts,proj", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("reverse", [False, True])
def test_gradients_match_finite_differences(cell, opts, proj, reverse):
    problem = _problem(cell, proj, seed=3, T=3, B=3, I=2, H=3, lengths="random")
    outs, grads = support.run(cell, problem, "c", reverse=reverse, **opts)
    dy, dh, dc = support.cotangents(cell, outs["y"], outs["h_n"], outs.get("c_n"))
    for name in [n for n in problem if n != "lengths"]:
        fd = support.finite_difference(cell, problem, "c", dy, dh, dc, name, reverse=reverse, **opts)
        support.assert_close(grads[support.GRAD_OF[name]], fd, *support.FD_TOL, f"{cell} d{name} vs FD")


@pytest.mark.skipif(torch is None, reason="torch is not installed")
@pytest.mark.parametrize("cell,opts,proj", [c for c in CASES if c[1] != {"linear_before_reset": False}],
                         ids=[i for i in CASE_IDS if i != "gru-orig"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, "random"])
def test_matches_torch(cell, opts, proj, reverse, lengths):
    problem = _problem(cell, proj, seed=5, lengths=lengths)
    outs, grads = support.run(cell, problem, "c", reverse=reverse, **opts)
    dy, dh, dc = support.cotangents(cell, outs["y"], outs["h_n"], outs.get("c_n"))
    ref_outs, ref_grads = torch_run(cell, problem, dy, dh, dc, reverse, **opts)
    support.assert_results_close(outs, ref_outs, np.float64, f"{cell} c vs torch: ")
    support.assert_results_close(grads, ref_grads, np.float64, f"{cell} c vs torch: ")


@pytest.mark.parametrize("cell,opts,proj", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, "random", "zeros"])
@pytest.mark.parametrize("bias,init_state", [(True, True), (False, False)])
def test_matches_numpy_reference(cell, opts, proj, reverse, lengths, bias, init_state):
    lens = [0, 0, 0] if lengths == "zeros" else lengths
    problem = _problem(cell, proj, seed=7, lengths=lens, bias=bias, init_state=init_state)
    outs, grads = support.run(cell, problem, "c", reverse=reverse, **opts)
    dy, dh, dc = support.cotangents(cell, outs["y"], outs["h_n"], outs.get("c_n"))
    ref_outs, ref_grads = support.run(cell, problem, "numpy", dy, dh, dc, reverse=reverse, **opts)
    support.assert_results_close(outs, ref_outs, np.float64, f"{cell} c vs numpy: ")
    support.assert_results_close(grads, ref_grads, np.float64, f"{cell} c vs numpy: ")
    if lengths == "zeros":
        assert not outs["y"].any()
        assert not grads["dx"].any()
        assert not grads["dw_ih"].any()


@pytest.mark.parametrize("cell,opts,proj", CASES, ids=CASE_IDS)
def test_float32_matches_float64(cell, opts, proj):
    problem = _problem(cell, proj, seed=9, dtype=np.float32, lengths="random")
    outs, grads = support.run(cell, problem, "c", reverse=True, **opts)
    dy, dh, dc = support.cotangents(cell, outs["y"], outs["h_n"], outs.get("c_n"))
    as64 = [None if a is None else a.astype(np.float64) for a in (dy, dh, dc)]
    ref_outs, ref_grads = support.run(cell, support.as64(problem), "c", *as64, reverse=True, **opts)
    support.assert_results_close(outs, ref_outs, np.float32, f"{cell} float32: ")
    support.assert_results_close(grads, ref_grads, np.float32, f"{cell} float32: ")



@pytest.mark.parametrize("cell,opts,proj", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, [4, 2, 0], [0, 0, 0]])
def test_no_output_reads_uninitialised_memory(monkeypatch, cell, opts, proj, reverse, lengths):
    """Every buffer gatecore.native allocates (outputs, reserve, workspace) starts as NaN: any element read
    before it is written shows up as NaN every time. Regression: padded steps left the LSTM reserve's m rows
    unwritten and dw_hr = dh_t^T m turned 0 * garbage into an intermittent NaN."""
    problem = _problem(cell, proj, seed=11, lengths=lengths)
    ref_outs, _ = support.run(cell, problem, "numpy", reverse=reverse, **opts)
    empty = native._Call.empty

    def poisoned(self, *shape):
        a, p = empty(self, *shape)
        a.fill(np.nan)
        return a, p

    monkeypatch.setattr(native._Call, "empty", poisoned)
    dy, dh, dc = support.cotangents(cell, ref_outs["y"], ref_outs["h_n"], ref_outs.get("c_n"))
    outs, grads = support.run(cell, problem, "c", dy, dh, dc, reverse=reverse, **opts)
    ref_grads = support.run(cell, problem, "numpy", dy, dh, dc, reverse=reverse, **opts)[1]
    for name, a in {**outs, **grads}.items():
        assert not np.isnan(a).any(), f"{cell} {name}: NaN read from an unwritten buffer"
    support.assert_results_close(outs, ref_outs, np.float64, f"{cell} poisoned c vs numpy: ")
    support.assert_results_close(grads, ref_grads, np.float64, f"{cell} poisoned c vs numpy: ")

def test_nan_stays_in_its_batch_row():
    problem = _problem("lstm", 0, seed=4, lengths=[0, 4, 3])
    problem["x"][1, 1, 0] = np.nan
    y, h_n, c_n = support.forward("lstm", problem, "c")
    assert np.isnan(h_n[1]).all() and np.isnan(c_n[1]).all()
    clean = np.arange(3) != 1
    assert np.isfinite(y[:, clean]).all() and np.isfinite(h_n[clean]).all()


@given(T=st.integers(1, 4), B=st.integers(1, 3), I=st.integers(1, 3), H=st.integers(1, 4),
       case=st.sampled_from(CASES), reverse=st.booleans(), data=st.data())
def test_random_shapes_match_numpy_reference(T, B, I, H, case, reverse, data):
    cell, opts, proj = case
    proj = min(proj, H - 1)
    lengths = data.draw(st.none() | st.lists(st.integers(0, T), min_size=B, max_size=B))
    problem = _problem(cell, proj, seed=T * B + H, T=T, B=B, I=I, H=H, lengths=lengths)
    outs, grads = support.run(cell, problem, "c", reverse=reverse, **opts)
    dy, dh, dc = support.cotangents(cell, outs["y"], outs["h_n"], outs.get("c_n"))
    ref_outs, ref_grads = support.run(cell, problem, "numpy", dy, dh, dc, reverse=reverse, **opts)
    support.assert_results_close(outs, ref_outs, np.float64, f"{cell} c vs numpy: ")
    support.assert_results_close(grads, ref_grads, np.float64, f"{cell} c vs numpy: ")


# ------------------------------------------------------------------------ the cffi layer, called directly
HEADER = (Path(__file__).resolve().parent.parent / "native" / "gatecore.h").read_text()
# parameter names of every kernel, read from the header's prototypes
PARAMS = {name: re.findall(r"(\w+)(?:,|$)", re.sub(r"\s+", " ", args).strip())
          for name, args in re.findall(r"int (gc_\w+_(?:forward|backward)_f64)\(([^)]*)\);", HEADER)}
OPTIONAL = {"b_ih", "b_hh", "h0", "c0", "lengths", "dh_n", "dc_n", "db_ih", "db_hh"}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


class Kernel:
    """Valid arguments, by name, for one C kernel on small dims; `call(**changes)` runs it with some replaced."""

    def __init__(self, cell, direction, T=3, B=2, I=2, H=3, P=0):
        self.name = f"gc_{cell}_{direction}_f64"
        self.cell, self.direction = cell, direction
        G, R = GATES[cell], P or H
        counts = ffi.new("int64_t[2]")
        dims = (T, B, I, H, P) if cell == "lstm" else (T, B, I, H)
        assert getattr(lib, f"gc_{cell}_sizes")(*dims, counts, counts + 1) == lib.GC_OK
        sizes = {"x": T * B * I, "w_ih": G * H * I, "w_hh": G * H * R, "b_ih": G * H, "b_hh": G * H,
                 "w_hr": P * H, "h0": B * R, "c0": B * H, "y": T * B * R, "h_n": B * R, "c_n": B * H,
                 "reserve": counts[0], "workspace": counts[1], "dy": T * B * R, "dh_n": B * R, "dc_n": B * H}
        sizes.update({"d" + k: sizes[k] for k in ("x", "w_ih", "w_hh", "b_ih", "b_hh", "w_hr")})
        sizes.update(dh0=B * R, dc0=B * H)
        rng = np.random.default_rng(0)
        self.arrays = {k: rng.uniform(-0.5, 0.5, max(n, 1)) for k, n in sizes.items()}
        self.arrays["lengths"] = np.array([T, 0][:B] + [1] * (B - 2), dtype=np.int64)
        self.args = dict(T=T, B=B, I=I, H=H, P=P, reverse=0, linear_before_reset=1, nonlinearity=lib.GC_TANH,
                         reserve_count=int(counts[0]), workspace_count=int(counts[1]))
        for k, a in self.arrays.items():
            self.args[k] = ffi.cast("int64_t *" if k == "lengths" else "double *", a.ctypes.data)
        self.params = PARAMS[self.name]
        self.pointers = [p for p in self.params if p in self.arrays]
        if direction == "backward":
            forward = Kernel(cell, "forward", T, B, I, H, P)
            forward.arrays = self.arrays
            forward.args.update({k: v for k, v in self.args.items() if k in forward.params})
            assert forward.call() == lib.GC_OK

    def call(self, **changes):
        args = {**self.args, **changes}
        return getattr(lib, self.name)(*(args[p] for p in self.params))


KERNELS = [(cell, d, P) for cell in ("lstm", "gru", "rnn") for d in ("forward", "backward")
           for P in ([0, 2] if cell == "lstm" else [0])]


def test_header_prototypes_were_read():
    assert len(PARAMS) == 6 and all(p[:4] == ["T", "B", "I", "H"] for p in PARAMS.values())


@pytest.mark.parametrize("cell,direction,P", KERNELS)
def test_null_pointers(cell, direction, P):
    k = Kernel(cell, direction, P=P)
    assert k.call() == lib.GC_OK
    for p in k.pointers:
        required = p not in OPTIONAL and (P > 0 or p not in ("w_hr", "dw_hr"))
        assert k.call(**{p: ffi.NULL}) == (lib.GC_ERR_NULL if required else lib.GC_OK), p


@pytest.mark.parametrize("cell,direction,P", KERNELS)
def test_bad_dims_lengths_options_and_buffers(cell, direction, P):
    k = Kernel(cell, direction, P=P)
    for dim in ("T", "B", "I", "H"):
        for bad in (0, -1, -(2 ** 63)):
            assert k.call(**{dim: bad}) == lib.GC_ERR_DIM, (dim, bad)
    if cell == "lstm":
        assert k.call(P=-1) == lib.GC_ERR_DIM
        assert k.call(P=3) == lib.GC_ERR_DIM
    for huge in ({"T": 2 ** 62}, {"B": 2 ** 40, "H": 2 ** 40}, {"T": 2 ** 31, "B": 2 ** 31, "I": 2 ** 31},
                 {"H": 2 ** 62, "I": 1}):
        assert k.call(**huge) == lib.GC_ERR_OVERFLOW, huge
    for bad in (-1, 4):
        lengths = np.array([1, bad], dtype=np.int64)
        assert k.call(lengths=ffi.cast("int64_t *", lengths.ctypes.data)) == lib.GC_ERR_LENGTHS, bad
    assert k.call(reverse=2) == lib.GC_ERR_OPTION
    assert k.call(reverse=-1) == lib.GC_ERR_OPTION
    if cell == "gru":
        assert k.call(linear_before_reset=2) == lib.GC_ERR_OPTION
    if cell == "rnn":
        assert k.call(nonlinearity=7) == lib.GC_ERR_OPTION
    assert k.call(reserve_count=k.args["reserve_count"] - 1) == lib.GC_ERR_RESERVE
    assert k.call(reserve_count=-1) == lib.GC_ERR_RESERVE
    if direction == "backward":
        assert k.call(workspace_count=k.args["workspace_count"] - 1) == lib.GC_ERR_WORKSPACE
    assert k.call() == lib.GC_OK


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_sizes_reject_bad_input(cell):
    out = ffi.new("int64_t[2]")
    sizes = getattr(lib, f"gc_{cell}_sizes")
    extra = (0,) if cell == "lstm" else ()
    assert sizes(2, 3, 4, 5, *extra, out, out + 1) == lib.GC_OK and out[0] > 0 and out[1] > 0
    assert sizes(2, 3, 4, 5, *extra, ffi.NULL, out + 1) == lib.GC_ERR_NULL
    assert sizes(2, 3, 4, 5, *extra, out, ffi.NULL) == lib.GC_ERR_NULL
    assert sizes(0, 3, 4, 5, *extra, out, out + 1) == lib.GC_ERR_DIM
    assert sizes(2 ** 62, 2, 4, 5, *extra, out, out + 1) == lib.GC_ERR_OVERFLOW
    assert sizes(2 ** 21, 2 ** 21, 2 ** 21, 1, *extra, out, out + 1) == lib.GC_ERR_OVERFLOW


def test_every_status_has_its_own_message():
    codes = [getattr(lib, n) for n in dir(lib) if n.startswith("GC_ERR_")] + [lib.GC_OK]
    messages = {ffi.string(lib.gc_strerror(c)).decode() for c in codes}
    assert len(messages) == len(codes) == 8
    unknown = ffi.string(lib.gc_strerror(12345)).decode()
    assert "unknown" in unknown and unknown not in messages
    assert ffi.string(lib.gc_strerror(-1)).decode() == unknown


def test_status_codes_become_the_exceptions_of_the_api():
    native.check(lib.GC_OK, "f")
    with pytest.raises(ValueError, match=r"gc_x: lengths\[b\] must satisfy"):
        native.check(lib.GC_ERR_LENGTHS, "gc_x")
    with pytest.raises(TypeError, match="NULL"):
        native.check(lib.GC_ERR_NULL, "gc_x")
    with pytest.raises(ValueError, match="unknown gatecore status"):
        native.check(99, "gc_x")
