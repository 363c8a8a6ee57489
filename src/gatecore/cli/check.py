"""`gatecore check`: every available backend against the references on random problems, forward and backward.

References: the NumPy backend in float64 (the readable oracle). The NumPy backend itself is held against
central finite differences of L = <dy, y> + <dh, h_n> (+ <dc, c_n>) in float64. Each backend is run in every
dtype it offers, on every cell variant, with biases, initial states and ragged `lengths`, in both directions.

Tolerances, |got - ref| <= atol + rtol*|ref| elementwise:
    float64 against float64 references          rtol 1e-10, atol 1e-12
    float32 against float64 references          rtol 1e-4,  atol 1e-5   (looser than the tests' 1e-5: a
                                                                        user's GPU may contract to FMA)
    float64 analytic gradients against central differences (eps 1e-6)   rtol 1e-6,  atol 1e-8
The reported error is the worst max(|got - ref| / (atol + rtol*|ref|)) over all outputs and gradients:
a backend passes when it is <= 1.
"""
from __future__ import annotations

import numpy as np

import gatecore as gc
from gatecore.backends import DTYPES

TOLERANCE = {"float64": (1e-10, 1e-12), "float32": (1e-4, 1e-5)}
FD_TOLERANCE = (1e-6, 1e-8)
FD_EPS = 1e-6
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
VARIANTS = [("lstm", {}), ("gru", {"linear_before_reset": True}), ("gru", {"linear_before_reset": False}),
            ("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"})]
FORWARD = {"lstm": gc.lstm_forward, "gru": gc.gru_forward, "rnn": gc.rnn_forward}
BACKWARD = {"lstm": gc.lstm_backward, "gru": gc.gru_backward, "rnn": gc.rnn_backward}


def problem(cell, T, B, I, H, rng):
    """Forward keyword arguments (float64): x, weights, biases, initial state and ragged lengths (0 and T)."""
    G = GATES[cell]

    def u(*shape):
        return rng.uniform(-0.5, 0.5, size=shape)

    p = {"x": rng.standard_normal((T, B, I)), "w_ih": u(G * H, I), "w_hh": u(G * H, H), "b_ih": u(G * H),
         "b_hh": u(G * H), "h0": u(B, H)}
    if cell == "lstm":
        p["c0"] = u(B, H)
    lengths = rng.integers(0, T + 1, size=B)
    lengths[0], lengths[-1] = 0, T
    p["lengths"] = lengths
    return p


def run(cell, p, backend, opts, cotangent):
    """({outputs}, {gradients}) of forward + backward on `backend` with upstream gradients `cotangent`."""
    out = FORWARD[cell](**p, backend=backend, return_tape=True, **opts)
    names = ("y", "h_n", "c_n") if cell == "lstm" else ("y", "h_n")
    outs = dict(zip(names, (np.asarray(a) for a in out[:-1])))
    grads = BACKWARD[cell](out[-1], *(cotangent[n].astype(p["x"].dtype) for n in names))
    return outs, {k: np.asarray(v) for k, v in grads.items()}


def scaled_error(got, ref, rtol, atol) -> float:
    """max |got - ref| / (atol + rtol*|ref|); inf on a shape mismatch or a NaN that the reference lacks."""
    got, ref = np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape or (np.isnan(got) != np.isnan(ref)).any():
        return float("inf")
    finite = ~np.isnan(ref)
    if not finite.any():
        return 0.0
    return float(np.max(np.abs(got - ref)[finite] / (atol + rtol * np.abs(ref[finite]))))


def worst(got: dict, ref: dict, rtol, atol):
    """(worst scaled error, the name where it occurs) over the arrays of two dicts with the same keys."""
    if set(got) != set(ref):
        return float("inf"), f"keys {sorted(got)} != {sorted(ref)}"
    errors = {k: scaled_error(got[k], ref[k], rtol, atol) for k in ref}
    name = max(errors, key=errors.get)
    return errors[name], name


def finite_differences(cell, p, opts, cotangent):
    """Central differences of L = sum over outputs of <cotangent, output> for every input of `p` (numpy, f64)."""
    def loss():
        outs, _ = run(cell, p, "numpy", opts, cotangent)
        return sum(float(np.sum(cotangent[k] * v)) for k, v in outs.items())

    grads = {}
    for name in [k for k in p if k != "lengths"]:
        a, g = p[name], np.zeros_like(p[name])
        for idx in np.ndindex(a.shape):
            orig = a[idx]
            a[idx] = orig + FD_EPS
            up = loss()
            a[idx] = orig - FD_EPS
            g[idx] = (up - loss()) / (2 * FD_EPS)
            a[idx] = orig
        grads["d" + name] = g
    return grads


def check_backend(backend, seed=0):
    """[(cell variant, dtype, direction, worst scaled error, where)] for `backend` on small random problems."""
    rows = []
    for cell, opts in VARIANTS:
        variant = cell + "".join(f" {v}" if isinstance(v, str) else f" lbr={v}" for v in opts.values())
        for reverse in (False, True):
            rng = np.random.default_rng(seed)
            T, B, I, H = (3, 2, 2, 2) if backend == "numpy" else (7, 4, 5, 6)
            p = problem(cell, T, B, I, H, rng)
            cot = _cotangents(cell, T, B, H, rng)
            ref_outs, ref_grads = run(cell, p, "numpy", dict(opts, reverse=reverse), cot)
            direction = "reverse" if reverse else "forward"
            if backend == "numpy":
                fd = finite_differences(cell, p, dict(opts, reverse=reverse), cot)
                err, where = worst(ref_grads, fd, *FD_TOLERANCE)
                rows.append((variant, "float64 vs FD", direction, err, where))
                continue
            for dtype in DTYPES[backend]:
                q = {k: (v.astype(dtype) if k != "lengths" else v) for k, v in p.items()}
                try:
                    got_outs, got_grads = run(cell, q, backend, dict(opts, reverse=reverse), cot)
                    e1, w1 = worst(got_outs, ref_outs, *TOLERANCE[dtype])
                    e2, w2 = worst(got_grads, ref_grads, *TOLERANCE[dtype])
                    err, where = (e1, w1) if e1 >= e2 else (e2, w2)
                except Exception as e:  # a crash is a failure to report, not a reason to stop checking
                    err, where = float("inf"), f"{type(e).__name__}: {e}"
                rows.append((variant, dtype, direction, err, where))
    return rows


def _cotangents(cell, T, B, H, rng):
    c = {"y": rng.standard_normal((T, B, H)), "h_n": rng.standard_normal((B, H))}
    if cell == "lstm":
        c["c_n"] = rng.standard_normal((B, H))
    return c


def run_check(args) -> int:
    """The `gatecore check` command: a pass/fail table; 0 only if every available backend passes."""
    status = gc.backends()
    failed = []
    print(f"{'backend':<8} {'result':<6} {'worst error':>12}  where")
    for backend, ok in status.items():
        if ok is not True:
            print(f"{backend:<8} {'skip':<6} {'':>12}  unavailable: {ok}")
            continue
        rows = check_backend(backend, seed=args.seed)
        err = max(r[3] for r in rows)
        bad = [r for r in rows if not r[3] <= 1.0]
        where = max(rows, key=lambda r: r[3])
        print(f"{backend:<8} {'FAIL' if bad else 'pass':<6} {err:>12.3g}  "
              f"{where[0]}, {where[1]}, {where[2]}: {where[4]}")
        for r in bad:
            print(f"{'':<8} {'':<6} {r[3]:>12.3g}  FAIL {r[0]}, {r[1]}, {r[2]}: {r[4]}")
        if bad:
            failed.append(backend)
    print("(error = max |got - ref| / (atol + rtol*|ref|); pass when <= 1)")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print("all available backends pass")
    return 0
