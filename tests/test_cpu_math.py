"""gatecore.cpu_math on its own: the float32 activations the cpu kernels compile (a rational tanh, σ from it)
within a few ulp of float64 over their whole range, saturating to exactly ±1 (σ: 0 and 1) and propagating
NaN; float64 is libm's (to an ulp of NumPy's)."""
import numpy as np
from numba import njit

from gatecore import cpu_math


@njit
def _tanh(a, out):
    for i in range(a.shape[0]):
        out[i] = cpu_math.tanh(a[i])


@njit
def _sigmoid(a, out):
    for i in range(a.shape[0]):
        out[i] = cpu_math.sigmoid(a[i])


def _apply(fn, a):
    out = np.empty_like(a)
    fn(a, out)
    return out


def _ulps(got, want):
    return np.abs(got.astype(np.float64) - want) / np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)


def test_float32_tanh_within_6_ulp_and_saturating():
    x = np.linspace(-12, 12, 400_001, dtype=np.float32)
    t = _apply(_tanh, x)
    assert t.dtype == np.float32
    assert _ulps(t, np.tanh(x.astype(np.float64))).max() <= 6
    edge = _apply(_tanh, np.array([np.inf, -np.inf, 8.0, -8.0, 1e30, -1e30, 0.0, -0.0, np.nan], np.float32))
    assert list(edge[:6]) == [1, -1, 1, -1, 1, -1] and edge[6] == 0 and np.signbit(edge[7]) and np.isnan(edge[8])
    assert (np.abs(t) <= 1).all()


def test_float32_sigmoid_within_2e_7_and_saturating():
    x = np.linspace(-30, 30, 400_001, dtype=np.float32)
    s = _apply(_sigmoid, x)
    assert np.abs(s - 1 / (1 + np.exp(-x.astype(np.float64)))).max() <= 2e-7
    edge = _apply(_sigmoid, np.array([np.inf, -np.inf, 0.0, np.nan], np.float32))
    assert list(edge[:3]) == [1, 0, 0.5] and np.isnan(edge[3])


def test_float64_is_libm_accurate():
    x = np.linspace(-20, 20, 10_001)
    np.testing.assert_allclose(_apply(_tanh, x), np.tanh(x), rtol=4e-16, atol=0)
