"""gatecore.activations.expit (σ over arrays, the NumPy references' sigmoid) against σ in extended precision."""
import warnings

import numpy as np
import pytest

from gatecore.activations import expit, sigmoid


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_expit_matches_sigmoid_to_a_few_ulp(dtype):
    a = np.concatenate([np.linspace(-80, 80, 40001), [0.0, -0.0, 1e-30, -1e-30, 1e-8, -1e-8]]).astype(dtype)
    exact = 1 / (1 + np.exp(-a.astype(np.longdouble)))
    got = expit(a)
    assert got.dtype == dtype and got.shape == a.shape
    rel = np.abs(got - exact) / exact
    assert rel.max() <= 4 * np.finfo(dtype).eps, rel.max()
    # σ(-a) = 1 - σ(a): the two branches meet at 0 without a seam
    assert expit(np.zeros(1, dtype))[0] == 0.5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_expit_saturates_without_warnings(dtype):
    a = np.array([-np.inf, -1e4, -800, 800, 1e4, np.inf], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = expit(a)
    np.testing.assert_array_equal(got, [0, 0, 0, 1, 1, 1])


def test_expit_is_the_scalar_sigmoid_on_arrays():
    a = np.random.default_rng(0).standard_normal(1000) * 10
    np.testing.assert_allclose(expit(a), [sigmoid(v) for v in a], rtol=4e-16, atol=0)
