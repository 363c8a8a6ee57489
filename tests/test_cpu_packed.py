"""gatecore.cpu_packed on its own: the panel layout of pack() for W and W.T, and packed_products against a
float64 matmul, bitwise the same wherever the row, column and k ranges are cut (k at multiples of KC) and
whether v is C-contiguous or a transposed view, and at either vector width."""
import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatecore import cpu_packed

DTYPES = [np.float32, np.float64]
REL_TOL = {np.float32: 1e-5, np.float64: 1e-13}      # relative to max |v| * max |m| * K


def panels_reference(m):
    """P[p, k, j] = m[k, p * PW + j], zero past N."""
    K, N = m.shape
    PW = cpu_packed.PANEL_BYTES // m.itemsize
    P = np.zeros(((N + PW - 1) // PW, K, PW), m.dtype)
    for p in range(P.shape[0]):
        cols = m[:, p * PW:(p + 1) * PW]
        P[p, :, :cols.shape[1]] = cols
    return P


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("K, N", [(0, 5), (5, 0), (1, 1), (3, 31), (17, 64), (33, 65), (130, 200)])
def test_pack_layout_for_either_memory_order(dtype, K, N):
    m = np.random.default_rng(K * 1000 + N).standard_normal((K, N)).astype(dtype)
    expected = panels_reference(m)
    for layout in (m, np.asfortranarray(m)):
        P = cpu_packed.pack(layout)
        assert P.shape == expected.shape and P.dtype == m.dtype
        assert np.array_equal(P, expected)


def _cuts(n, draw):
    points = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    return list(zip([0] + points, points + [n]))


@settings(max_examples=30, deadline=None)
@given(dtype=st.sampled_from(DTYPES), B=st.integers(1, 30), K=st.integers(1, 300), N=st.integers(1, 140),
       data=st.data())
def test_products_match_float64_and_do_not_depend_on_cuts(dtype, B, K, N, data):
    rng = np.random.default_rng(B * 10**6 + K * 1000 + N)
    m = rng.standard_normal((K, N)).astype(dtype)
    v = rng.standard_normal((B, K)).astype(dtype)
    P = cpu_packed.pack(m)
    out = np.full((B, N), np.nan, dtype)
    cpu_packed.packed_products(out, P, v, 0, N)
    reference = v.astype(np.float64) @ m.astype(np.float64)
    scale = np.abs(v).max() * np.abs(m).max() * K
    assert np.abs(out - reference).max() <= REL_TOL[dtype] * scale

    cut = np.full((B, N), np.nan, dtype)
    for n0, n1 in _cuts(N, data.draw):
        for b0, b1 in _cuts(B, data.draw):
            cpu_packed.packed_products(cut, P, v, n0, n1, b0, b1)
    assert np.array_equal(cut, out)
    in_k_blocks = np.full((B, N), np.nan, dtype)
    for ka in range(0, K, cpu_packed.KC):
        cpu_packed.packed_products(in_k_blocks, P, v, 0, N, 0, B, ka, min(K, ka + cpu_packed.KC))
    assert np.array_equal(in_k_blocks, out)
    transposed = np.full((B, N), np.nan, dtype)
    cpu_packed.packed_products(transposed, P, np.asfortranarray(v), 0, N)
    assert np.array_equal(transposed, out)
    alone = np.zeros((1, N), dtype)
    cpu_packed.packed_products(alone, P, np.ascontiguousarray(v[B - 1:]), 0, N)
    assert np.array_equal(alone[0], out[B - 1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_vector_of_columns_in_blocks_of_12_rows_gives_the_rows_own_bits(dtype):
    """Columns that fit one vector (16 float32, 8 float64: matmul's T*B <= 16 case) take blocks of 12 rows of v;
    each row must still be the bits it has on its own, and close to float64."""
    rng = np.random.default_rng(12)
    W = cpu_packed.VECTOR_BYTES // np.dtype(dtype).itemsize
    m = rng.standard_normal((300, W)).astype(dtype)
    v = rng.standard_normal((29, 300)).astype(dtype)
    P = cpu_packed.pack(m)
    out = np.full((29, W), np.nan, dtype)
    cpu_packed.packed_products(out, P, v, 0, W)
    for b in range(29):
        alone = np.zeros((1, W), dtype)
        cpu_packed.packed_products(alone, P, np.ascontiguousarray(v[b:b + 1]), 0, W)
        assert np.array_equal(alone[0], out[b])
    reference = v.astype(np.float64) @ m.astype(np.float64)
    assert np.abs(out - reference).max() <= REL_TOL[dtype] * np.abs(v).max() * np.abs(m).max() * 300


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("panels", [2, 3, 4, 5, 9])
@pytest.mark.parametrize("add", [False, True])
def test_one_row_over_whole_panels_gives_its_bits_in_a_block_of_rows(dtype, panels, add):
    """A single row takes two or four whole panels at once (packed_rows: _row2, _row4); each output is still the
    chain it is in a block of rows (_block1 .. _block6), over several k slices, added to out or not, wherever the
    range starts and ends (a partial panel at either end), and nothing outside the range is written."""
    rng = np.random.default_rng(panels * 2 + add)
    PW = cpu_packed.PANEL_BYTES // np.dtype(dtype).itemsize
    K, N = 2 * cpu_packed.KC + 5, panels * PW + 3
    m = rng.standard_normal((K, N)).astype(dtype)
    v = rng.standard_normal((3, K)).astype(dtype)
    P = cpu_packed.pack(m)
    before = rng.standard_normal((3, N)).astype(dtype)
    for n0, n1 in ((0, N), (0, panels * PW), (PW, N), (5, N - 1)):
        rows, row = before.copy(), before.copy()
        cpu_packed.packed_rows(rows, P, v, n0, n1, 0, 3, add=add)
        cpu_packed.packed_rows(row, P, v, n0, n1, 1, 2, add=add)
        assert np.array_equal(row[1], rows[1]), (n0, n1)
        assert np.array_equal(row[1, :n0], before[1, :n0]) and np.array_equal(row[1, n1:], before[1, n1:])
        assert np.array_equal(row[[0, 2]], before[[0, 2]])
    expected = v[1].astype(np.float64) @ m.astype(np.float64) + (before[1] if add else 0)
    row = before.copy()
    cpu_packed.packed_rows(row, P, v, 0, N, 1, 2, add=add)
    assert np.abs(row[1] - expected).max() <= REL_TOL[dtype] * np.abs(v).max() * np.abs(m).max() * K + \
        (4 * np.finfo(dtype).eps * np.abs(before).max() if add else 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_panels_start_on_a_cache_line(dtype):
    """pack() hands out panels whose rows are whole cache lines (empty_panels, from ALIGN_FROM_BYTES up), for W and
    W.T alike."""
    m = np.random.default_rng(3).standard_normal((130, 140)).astype(dtype)
    assert cpu_packed.empty_panels(m).nbytes >= cpu_packed.ALIGN_FROM_BYTES
    for layout in (m, np.asfortranarray(m)):
        for _ in range(4):
            P = cpu_packed.pack(layout)
            assert P.ctypes.data % 64 == 0 and P.strides[1] % 64 == 0
            assert np.array_equal(P, panels_reference(m))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("accumulate", [False, True])
def test_plain_stores_of_whole_vectors_give_the_masked_stores_bits(dtype, accumulate):
    """A block stores whole vectors with plain stores, partial ones masked: the same values as the masked stores
    everywhere, and nothing written past the range (valid columns of the panel)."""
    rng = np.random.default_rng(13)
    PW = cpu_packed.PANEL_BYTES // np.dtype(dtype).itemsize
    m = rng.standard_normal((40, PW)).astype(dtype)
    v = rng.standard_normal((6, 40)).astype(dtype)
    P = cpu_packed.pack(m)
    before = rng.standard_normal((6, PW)).astype(dtype)

    def runner(block):
        return numba.njit(lambda out, valid: block(out, v, P[0], 0, 0, 0, valid, 0, 40, accumulate))

    masked_only, plain = runner(cpu_packed._block(6, plain_stores=False)), runner(cpu_packed._block(6))
    for valid in (PW, PW - 1, 1):
        a, b = before.copy(), before.copy()
        masked_only(a, valid)
        plain(b, valid)
        assert np.array_equal(a, b)
        assert np.array_equal(b[:, valid:], before[:, valid:])
        expected = v.astype(np.float64) @ m[:, :valid].astype(np.float64) + (before[:, :valid] if accumulate else 0)
        assert np.abs(b[:, :valid] - expected).max() <= REL_TOL[dtype] * np.abs(v).max() * np.abs(m).max() * 40 + \
            (4 * np.finfo(dtype).eps * np.abs(before).max() if accumulate else 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_strided_v_over_several_panels_gives_the_contiguous_bits(dtype):
    """v with non-contiguous rows (a weight gradient's dA^T) over more than one panel takes the copied-slice path,
    in tasks of STRIDED_ROWS rows: more rows than one task, a k range in two calls; same bits as contiguous v."""
    rng = np.random.default_rng(5)
    B, K, N = 2 * cpu_packed.STRIDED_ROWS + 7, 3 * cpu_packed.KC + 5, 150
    m = rng.standard_normal((K, N)).astype(dtype)
    dA = rng.standard_normal((K, B)).astype(dtype)
    P = cpu_packed.pack(m)
    contiguous = np.zeros((B, N), dtype)
    cpu_packed.packed_products(contiguous, P, np.ascontiguousarray(dA.T), 0, N)
    strided = np.zeros((B, N), dtype)
    cpu_packed.packed_products(strided, P, dA.T, 0, N, 0, B, 0, cpu_packed.KC)
    cpu_packed.packed_products(strided, P, dA.T, 0, N, 0, B, cpu_packed.KC, K)
    assert np.array_equal(strided, contiguous)
    partial = np.zeros((B, N), dtype)
    cpu_packed.packed_products(partial, P, dA.T, 3, 140, 5, B - 2)
    assert np.array_equal(partial[5:B - 2, 3:140], contiguous[5:B - 2, 3:140])


_OTHER_WIDTH = """
import sys, numpy as np
from gatecore import cpu_packed
results = {}
for dtype in (np.float32, np.float64):
    rng = np.random.default_rng(7)
    B, K, N = 13, 2 * cpu_packed.KC + 5, 150
    m, v = rng.standard_normal((K, N)).astype(dtype), rng.standard_normal((B, K)).astype(dtype)
    out = np.zeros((B, N), dtype)
    cpu_packed.packed_products(out, cpu_packed.pack(m), v, 0, N)
    results[np.dtype(dtype).name] = out
np.savez(sys.argv[1], width=cpu_packed.VECTOR_BYTES, **results)
"""


def test_products_are_the_same_bits_at_the_other_vector_width(tmp_path):
    """A process forced to the other width (config.CPU_VECTOR_BYTES: 32 where this CPU has AVX-512, else 64)
    packs other panels and runs other blocks, yet each output's chain of FMAs is the same: the same bits."""
    other = 96 - cpu_packed.VECTOR_BYTES
    path = tmp_path / "other.npz"
    env = dict(os.environ, GATECORE_CPU_VECTOR_BYTES=str(other))
    subprocess.run([sys.executable, "-c", _OTHER_WIDTH, str(path)], env=env, check=True, timeout=600)
    there = np.load(path)
    assert int(there["width"]) == other
    here = tmp_path / "here.npz"
    subprocess.run([sys.executable, "-c", _OTHER_WIDTH, str(here)], check=True, timeout=600)
    here = np.load(here)
    assert int(here["width"]) == cpu_packed.VECTOR_BYTES
    for dtype in ("float32", "float64"):
        assert np.array_equal(there[dtype], here[dtype])
