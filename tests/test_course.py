"""glassnet.course: the notebooks' functions give the notebooks' published values."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet.course as course
from glassnet.layers.conv import reference


def test_every_name_is_the_librarys_own_function():
    for name in course.__all__:
        assert getattr(course, name) is getattr(reference, name), name


def test_zero_pad():
    np.random.seed(1)
    x = np.random.randn(4, 3, 3, 2)
    x_pad = course.zero_pad(x, 2)
    assert x_pad.shape == (4, 7, 7, 2)
    np.testing.assert_allclose(x[1, 1], [[0.90085595, -0.68372786], [-0.12289023, -0.93576943],
                                         [-0.26788808, 0.53035547]], atol=1e-8)
    np.testing.assert_array_equal(x_pad[1, 1], np.zeros((7, 2)))


def test_conv_single_step():
    np.random.seed(1)
    a_slice_prev = np.random.randn(4, 4, 3)
    W = np.random.randn(4, 4, 3)
    b = np.random.randn(1, 1, 1)
    assert course.conv_single_step(a_slice_prev, W, b) == pytest.approx(-6.99908945068, abs=1e-10)


def test_conv_forward():
    np.random.seed(1)
    A_prev = np.random.randn(10, 5, 7, 4)
    W = np.random.randn(3, 3, 4, 8)
    b = np.random.randn(1, 1, 1, 8)
    Z, cache = course.conv_forward(A_prev, W, b, {"pad": 1, "stride": 2})
    assert Z.shape == (10, 3, 4, 8)
    assert np.mean(Z) == pytest.approx(0.692360880758, abs=1e-11)
    np.testing.assert_allclose(Z[3, 2, 1], [-1.28912231, 2.27650251, 6.61941931, 0.95527176,
                                            8.25132576, 2.31329639, 13.00689405, 2.34576051],
                               atol=1e-7)
    # its backward: dZ = 1 everywhere gives db = the number of output positions per filter
    dA_prev, dW, db = course.conv_backward(np.ones_like(Z), cache)
    assert dA_prev.shape == A_prev.shape and dW.shape == W.shape
    np.testing.assert_allclose(db.reshape(-1), np.full(8, Z[..., 0].size))


def test_pool_forward_max():
    np.random.seed(1)
    A_prev = np.random.randn(2, 5, 5, 3)
    A, _ = course.pool_forward(A_prev, {"stride": 1, "f": 3})
    assert A.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(A[1, 1], [[1.96710175, 0.84616065, 1.27375593],
                                         [1.96710175, 0.84616065, 1.23616403],
                                         [1.62765075, 1.12141771, 1.2245077]], atol=1e-8)


def test_pool_backward():
    np.random.seed(1)
    A_prev = np.random.randn(5, 5, 3, 2)
    _, cache = course.pool_forward(A_prev, {"stride": 1, "f": 2})
    dA = np.random.randn(5, 4, 2, 2)
    np.testing.assert_allclose(course.pool_backward(dA, cache, mode="max")[1, 1],
                               [[0.0, 0.0], [5.05844394, -1.68282702], [0.0, 0.0]], atol=1e-8)
    np.testing.assert_allclose(course.pool_backward(dA, cache, mode="average")[1, 1],
                               [[0.08485462, 0.2787552], [1.26461098, -0.25749373],
                                [1.17975636, -0.53624893]], atol=1e-8)
