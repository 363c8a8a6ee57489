"""Checks shared by tests/{lstm,gru,rnn}/test_cpu.py: the cpu backend against the numpy reference and the C
core (forward and backward, tolerances support.TOL: float32 results against float64 references) on each of
its three code paths, bitwise determinism across runs, across NUMBA_NUM_THREADS=1 and 2 and between kernels
compiled in the process and kernels loaded from Numba's cache, and odd input.

The cpu kernels pick a path from the shape: the step on one thread, or its hidden units split over threads;
the GEMMs around the loop (input projection, dx, dW) on the calling thread, or split over threads in blocks of
rows. PATHS sets the config knobs so that tiny test shapes take each of them: "serial" = one thread;
"threads" = a forward step's batch rows over the threads from 4 rows per thread up (B >= 8 on 2 threads; its
hidden units below that),
blocks of 3 rows of the GEMMs over the threads, packed W_hh for single sequences too. Batch sizes
above 4 exercise both the 4 x 4 and the 8 x 1 blocks of cpu_dots.products (single-step calls) and
every row count of cpu_packed's blocks.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatecore import config
from tests import support

PATHS = {"serial": {"CPU_PARALLEL_MIN_WORK": 1 << 62, "CPU_GEMM_PARALLEL_MIN_WORK": 1 << 62,
                    "CPU_ROW_SPLIT_MIN_WORK": 1 << 62, "CPU_PACKED_MIN_STEPS": 32},
         "threads": {"CPU_PARALLEL_MIN_WORK": 0, "CPU_GEMM_PARALLEL_MIN_WORK": 0, "CPU_ROW_SPLIT_MIN_WORK": 0,
                     "CPU_PACKED_MIN_STEPS": 2, "CPU_ROW_BLOCK": 3}}
PATH_NAMES = list(PATHS)


def use_path(monkeypatch, path):
    """Make every shape take `path` (config knobs)."""
    for knob, value in PATHS[path].items():
        monkeypatch.setattr(config, knob, value)


def check_against_references(cell, problem, reverse, opts):
    """cpu == numpy (always) and == c (when built) on `problem`: outputs and every gradient."""
    dtype = problem["x"].dtype
    outs, grads = support.run(cell, problem, "cpu", reverse=reverse, **opts)
    dy, dh, dc = support.cotangents(cell, outs["y"], outs["h_n"], outs.get("c_n"))
    refs = ["numpy"] + (["c"] if support.available("c") else [])
    for ref in refs:
        ref_outs, ref_grads = support.run(cell, support.as64(problem), ref, *map(_as64, (dy, dh, dc)),
                                          reverse=reverse, **opts)
        support.assert_results_close(outs, ref_outs, dtype, f"{cell} cpu vs {ref}: ")
        support.assert_results_close(grads, ref_grads, dtype, f"{cell} cpu vs {ref}: ")


def check_single_sequence_on_whole_panels(cell, opts):
    """A single sequence long enough to pack W_hh (config.CPU_PACKED_MIN_STEPS) whose gate rows fill several
    panels, so that each step's row takes two or four panels at once (cpu_packed.packed_rows), against the
    references, forward and backward, float32 and float64, both directions. Weights in [-0.1, 0.1]: at the
    default 0.5 an H=128 RNN is chaotic over 33 steps, and float32 rounding alone (either product) leaves the
    tolerance."""
    from gatecore import cpu_common, cpu_packed
    T, H = config.CPU_PACKED_MIN_STEPS + 1, 128 if cell == "rnn" else 64
    for dtype in (np.float32, np.float64):
        problem = support.random_problem(cell, T, 1, 3, H, dtype, seed=11, scale=0.1)
        P = cpu_common.panels(problem["w_hh"], T, 1)
        assert P.shape[0] >= 2 and P.shape[2] == cpu_packed.PANEL_BYTES // P.itemsize, "not the packed path"
        for reverse in (False, True):
            check_against_references(cell, problem, reverse, opts)


def check_single_sequence_split_on_panels(cell, opts, monkeypatch):
    """A single sequence whose W_hh takes config.CPU_PACKED_MIN_WEIGHT_BYTES or more (lowered here) and too many
    weights for one thread (CPU_PARALLEL_MIN_WEIGHTS, lowered): its loop reads packed panels, its hidden units
    split over the threads where there are two, each thread a range of units in each gate (not whole rows of
    panels), against the references, forward and backward, float32 and float64, both directions."""
    from gatecore import cpu_common
    monkeypatch.setattr(config, "CPU_PACKED_MIN_WEIGHT_BYTES", 1)
    monkeypatch.setattr(config, "CPU_PARALLEL_MIN_WEIGHTS", 1)
    T, H = config.CPU_PACKED_MIN_STEPS + 1, 160            # two and a half panels of float32 a gate
    G = support.GATES[cell]
    for dtype in (np.float32, np.float64):
        problem = support.random_problem(cell, T, 1, 3, H, dtype, seed=17, scale=0.1)
        P = cpu_common.panels(problem["w_hh"], T, 1)
        assert P.shape[0] >= 2, "not the packed path"
        split = cpu_common.step_split(1, G, H, H, panel=cpu_common.panel_units(P), itemsize=P.itemsize)
        assert split > 1 or not cpu_common.threads_free(), "not split by units"
        for reverse in (False, True):
            check_against_references(cell, problem, reverse, opts)


def check_zigzag(cell, opts):
    """Recurrent weights of config.CPU_ZIGZAG_MIN_BYTES or more, so that the forward's odd steps walk them down
    (cpu_common.zigzag), forward and backward: a single sequence (W_hh's rows, split over the threads by units)
    and B=3 with random lengths (packed panels), both directions, float32 and float64, against the references.
    H is not a multiple of a panel or a chunk, so the walk's first and last pieces are partial."""
    from gatecore import cpu_common
    G = support.GATES[cell]
    for dtype in (np.float32, np.float64):
        itemsize = np.dtype(dtype).itemsize
        H = int(np.ceil(np.sqrt(config.CPU_ZIGZAG_MIN_BYTES / (G * itemsize)))) + 3
        for B, lengths in ((1, None), (3, "random")):
            problem = support.random_problem(cell, 4, B, 5, H, dtype, seed=13, scale=0.1, lengths=lengths)
            w_hh = problem["w_hh"]
            assert cpu_common.zigzag(w_hh, cpu_common.none(w_hh.dtype, 3), 1), "the weights do not zigzag"
            for reverse in (False, True):
                check_against_references(cell, problem, reverse, opts)


def _as64(a):
    return None if a is None else a.astype(np.float64)


def problems(cell):
    """Hypothesis strategy: (problem, reverse) with tiny random shapes, dtypes, lengths, options."""
    @st.composite
    def draw(data):
        T, B, I, H = (data(st.integers(1, hi)) for hi in (5, 10, 4, 6))     # B >= 8: rows split over 2 threads
        proj = data(st.integers(0, H - 1)) if cell == "lstm" and H > 1 else 0
        problem = support.random_problem(
            cell, T, B, I, H, data(st.sampled_from([np.float32, np.float64])), bias=data(st.booleans()),
            init_state=data(st.booleans()), lengths=data(st.sampled_from([None, "random"])), proj=proj,
            seed=data(st.integers(0, 2**16)))
        return problem, data(st.booleans())
    return draw()


def property_test(cell, opts):
    """A test function: cpu against the references on hypothesis-drawn problems, on the path given."""
    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(case=problems(cell))
    def test(monkeypatch, path, case):
        use_path(monkeypatch, path)
        problem, reverse = case
        check_against_references(cell, problem, reverse, opts)
    return test


def fingerprint(cell, opts, problem, reverse):
    """Every output and gradient of one forward+backward on cpu, as exact hex bytes."""
    outs, grads = support.run(cell, problem, "cpu", reverse=reverse, **opts)
    return {k: np.ascontiguousarray(v).tobytes().hex() for k, v in sorted({**outs, **grads}.items())}


def determinism_problem(cell, dtype, B=6, H=9):
    """A problem big enough that the threaded path splits its units (B = 6) or its batch rows (B = 9) over two
    threads; B = 1 takes the single-sequence path (products on W_hh's rows, unless "threads" packs it). With
    H = 9 an LSTM has a projection; H = 64 fills whole vectors of the pointwise loops (no projection)."""
    proj = 4 if cell == "lstm" and H == 9 else 0
    return support.random_problem(cell, 4, B, 5, H, dtype, lengths="random", proj=proj, seed=5)


def fingerprints_here():
    """{variant/path/dtype: fingerprint} for every cell variant, path and dtype, in this process."""
    found = {}
    for (cell, opts), vid in zip(support.VARIANTS, support.VARIANT_IDS):
        for path, knobs in PATHS.items():
            for knob, value in knobs.items():
                setattr(config, knob, value)
            for dtype in (np.float32, np.float64):
                for B, H in ((1, 9), (6, 9), (9, 9), (1, 64), (9, 64)):
                    problem = determinism_problem(cell, dtype, B, H)
                    found[f"{vid}/{path}/{np.dtype(dtype)}/B={B}/H={H}"] = fingerprint(cell, opts, problem, True)
    return found


def _fresh_process(**env):
    """A fresh process computing fingerprints_here() with these environment variables set (result: _fingerprints)."""
    code = "import json; from tests.cpu_checks import fingerprints_here as f; print(json.dumps(f()))"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, **env), cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _fingerprints(process):
    out, err = process.communicate(timeout=1200)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def fingerprints_in_fresh_process(**env):
    """fingerprints_here() computed in a fresh process, with these environment variables set."""
    return _fingerprints(_fresh_process(**env))


_compiling = {}         # the process that compiles every kernel into a new cache: start_compiling()


def start_compiling():
    """Start the first process of fingerprints_compiled_and_cached() (the one that compiles every kernel into a new
    NUMBA_CACHE_DIR) now, in the background: conftest calls this once such tests are collected, so that its cold
    compile, minutes on one core of a 2-core machine, runs beside the rest of the suite instead of holding it up."""
    if not _compiling:
        cache = tempfile.mkdtemp(prefix="gatecore-numba-cache-")
        _compiling.update(cache=cache, process=_fresh_process(NUMBA_CACHE_DIR=cache, NUMBA_NUM_THREADS="2"))


def stop_compiling():
    """End the background process if it still runs (a session stopped early) and remove its cache."""
    if _compiling:
        _compiling["process"].kill()
        _compiling["process"].communicate()
        shutil.rmtree(_compiling["cache"], ignore_errors=True)
        _compiling.clear()


@functools.lru_cache(maxsize=None)
def fingerprints_compiled_and_cached():
    """fingerprints_here() in three fresh processes sharing one new NUMBA_CACHE_DIR: the first compiles every kernel
    and writes the cache on two Numba threads (every path: on one thread the GEMMs never take their threaded
    kernel; started early by start_compiling() where conftest could), the next two load every kernel from it,
    with two threads and with one: one compile serves both checks. Asserts that the loads wrote nothing new to the
    cache, i.e. that nothing was compiled again."""
    start_compiling()
    cache = _compiling["cache"]

    def written():
        """{.nbc path: its mtime}: a kernel compiled again adds a file or, for a signature already there,
        rewrites one."""
        return {os.path.join(d, n): os.stat(os.path.join(d, n)).st_mtime_ns
                for d, _, names in os.walk(cache) for n in names if n.endswith(".nbc")}
    try:
        compiled = _fingerprints(_compiling["process"])
        before = written()
        assert before, "nothing cached"
        cached = {threads: fingerprints_in_fresh_process(NUMBA_CACHE_DIR=cache, NUMBA_NUM_THREADS=str(threads))
                  for threads in (2, 1)}
        after = written()
    finally:
        stop_compiling()
    again = sorted(path for path, mtime in after.items() if before.get(path) != mtime)
    assert not again, f"compiled again instead of loaded: {again[:5]}"
    return {"compiled": compiled, "cached 1 thread": cached[1], "cached 2 threads": cached[2]}


def _assert_same_fingerprints(vid, a, b, what):
    keys = [k for k in a if k.startswith(vid + "/")]
    assert keys, f"no fingerprints for {vid}"
    for key in keys:
        for name in a[key]:
            assert a[key][name] == b[key][name], f"{key} {name}: {what} differ"


def check_same_bits_across_threads(vid):
    """One and two Numba threads give bitwise identical outputs and gradients for variant `vid`."""
    runs = fingerprints_compiled_and_cached()
    _assert_same_fingerprints(vid, runs["cached 1 thread"], runs["cached 2 threads"], "1 and 2 threads")


def check_same_bits_compiled_and_cached(vid):
    """Kernels compiled in this process and kernels loaded from Numba's on-disk cache give bitwise identical
    results for variant `vid` (with FMA contraction allowed, an LSTM's did not: config.FASTMATH)."""
    runs = fingerprints_compiled_and_cached()
    _assert_same_fingerprints(vid, runs["compiled"], runs["cached 2 threads"], "compiled and cached kernels")


def check_same_bits_across_runs(cell, opts, monkeypatch):
    """Two runs in one process give bitwise identical results on every path."""
    for path in PATHS:
        use_path(monkeypatch, path)
        problem = determinism_problem(cell, np.float32)
        assert fingerprint(cell, opts, problem, False) == fingerprint(cell, opts, problem, False), path


def check_nan_stays_in_its_row(cell, opts, monkeypatch):
    """A NaN in one batch row's input makes that row NaN and leaves the other rows exactly as without it."""
    for path in PATHS:
        use_path(monkeypatch, path)
        problem = support.random_problem(cell, 3, 3, 2, 4, seed=9)
        y, h_n, _ = support.forward(cell, problem, "cpu", **opts)
        problem["x"][1, 1, 0] = np.nan
        y_nan, h_n_nan, _ = support.forward(cell, problem, "cpu", **opts)
        assert np.isnan(y_nan[1:, 1]).all() and np.isnan(h_n_nan[1]).all(), path
        np.testing.assert_array_equal(y_nan[:, [0, 2]], y[:, [0, 2]])
        np.testing.assert_array_equal(h_n_nan[[0, 2]], h_n[[0, 2]])
