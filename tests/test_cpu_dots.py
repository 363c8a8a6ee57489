"""gatecore.cpu_dots on its own: products against a float64 matmul, bitwise the same wherever the ranges of
rows of w and of v are cut (so the 4 x 4, 1 x 4, 16 x 1, 8 x 1 and 1 x 1 blocks give each output the same
bits), and NaN confined to the rows of v that hold it."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatecore import cpu_dots

DTYPES = [np.float32, np.float64]
REL_TOL = {np.float32: 1e-5, np.float64: 1e-13}      # relative to max |v| * max |w| * K


def _cuts(n, draw):
    points = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    return list(zip([0] + points, points + [n]))


@settings(max_examples=40, deadline=None)
@given(dtype=st.sampled_from(DTYPES), B=st.integers(1, 11), K=st.integers(1, 300), N=st.integers(1, 70),
       data=st.data())
def test_products_match_float64_and_do_not_depend_on_cuts(dtype, B, K, N, data):
    rng = np.random.default_rng(B * 10**6 + K * 1000 + N)
    w = rng.standard_normal((N, K)).astype(dtype)
    v = rng.standard_normal((B, K)).astype(dtype)
    out = np.full((B, N), np.nan, dtype)
    cpu_dots.products(out, w, v, 0, N, 0, B)
    reference = v.astype(np.float64) @ w.T.astype(np.float64)
    scale = np.abs(v).max() * np.abs(w).max() * K
    assert np.abs(out - reference).max() <= REL_TOL[dtype] * scale

    cut = np.full((B, N), np.nan, dtype)
    for n0, n1 in _cuts(N, data.draw):
        for b0, b1 in _cuts(B, data.draw):
            cpu_dots.products(cut, w, v, n0, n1, b0, b1)
    assert np.array_equal(cut, out)
    one_by_one = np.full((B, N), np.nan, dtype)
    for b in range(B):
        for n in range(N):
            cpu_dots.products(one_by_one, w, v, n, n + 1, b, b + 1)
    assert np.array_equal(one_by_one, out)


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_stays_in_its_row_and_untouched_outputs_stay(dtype):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((20, 37)).astype(dtype)
    v = rng.standard_normal((6, 37)).astype(dtype)
    v[2, 30] = np.nan
    out = np.full((6, 20), 7.0, dtype)
    cpu_dots.products(out, w, v, 3, 17, 0, 6)
    assert np.isnan(out[2, 3:17]).all()
    assert np.isfinite(np.delete(out, 2, axis=0)).all()
    assert (out[:, :3] == 7).all() and (out[:, 17:] == 7).all()


def test_non_contiguous_arrays_are_refused_at_compile_time():
    w = np.ones((8, 8), np.float32)
    with pytest.raises(Exception, match="C-contiguous"):
        cpu_dots.products(np.zeros((8, 8), np.float32), w.T, w, 0, 8, 0, 8)
