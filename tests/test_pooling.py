"""Pooling: fast == the notes' loops, gradient checks, overlapping windows, shapes."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import built
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet.core.errors import ShapeError
from glassnet.gradcheck import check_layer
from glassnet.layers.base import layer_from_config, layer_to_config
from glassnet.layers.conv.pooling import (
    AvgPool1D,
    AvgPool2D,
    GlobalAvgPool2D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
)
from glassnet.layers.conv.reference import pool_backward, pool_forward

RNG = np.random.default_rng(1)


def test_max_pool_of_the_notes_example():
    """4x4 -> 2x2 with f = 2, s = 2: the max of each quadrant."""
    x = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]], float)
    out = built(MaxPool2D(2, 2), x[None, :, :, None]).forward(x[None, :, :, None])
    np.testing.assert_array_equal(out[0, :, :, 0], [[9, 2], [6, 3]])
    out = built(AvgPool2D(2, 2), x[None, :, :, None]).forward(x[None, :, :, None])
    np.testing.assert_array_equal(out[0, :, :, 0], [[3.75, 1.25], [3.75, 2]])


@settings(max_examples=25, deadline=None)
@given(
    m=st.integers(1, 3),
    n=st.integers(2, 9),
    c=st.integers(1, 3),
    f=st.integers(1, 4),
    s=st.integers(1, 3),
    mode=st.sampled_from(["max", "average"]),
    seed=st.integers(0, 10_000),
)
def test_fast_equals_slow_reference(m, n, c, f, s, mode, seed):
    if f > n:
        return
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n, n + 1, c))
    layer = built((MaxPool2D if mode == "max" else AvgPool2D)(f, s), X)
    A = layer.forward(X, training=True)
    A_ref, cache = pool_forward(X, {"f": f, "stride": s}, mode)
    np.testing.assert_allclose(A, A_ref, rtol=1e-12, atol=1e-12)
    dA = rng.standard_normal(A.shape)
    np.testing.assert_allclose(layer.backward(dA), pool_backward(dA, cache, mode),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: MaxPool2D(2, 2),
        lambda: MaxPool2D(3, 2),  # overlapping windows
        lambda: MaxPool2D(3, 1, "same"),
        lambda: AvgPool2D(2, 2),
        lambda: AvgPool2D(3, 2, "same"),
        lambda: AvgPool2D(3, 1, 1),
        lambda: GlobalAvgPool2D(),
        lambda: GlobalAvgPool2D(keepdims=True),
    ],
)
def test_pooling_gradient_check(make):
    X = RNG.standard_normal((3, 7, 6, 2))
    layer = built(make(), X)
    result = check_layer(layer, X)
    assert result.difference < 1e-7, result


def test_overlapping_max_windows_accumulate():
    """A pixel that is the max of two overlapping windows gets both gradients."""
    x = np.zeros((1, 1, 3, 1))
    x[0, 0, 1, 0] = 5.0  # the centre is the max of windows [0:2] and [1:3]
    layer = built(MaxPool2D((1, 2), (1, 1)), x)
    A = layer.forward(x)
    np.testing.assert_array_equal(A[0, 0, :, 0], [5, 5])
    dA_prev = layer.backward(np.array([2.0, 3.0]).reshape(1, 1, 2, 1))
    np.testing.assert_array_equal(dA_prev[0, 0, :, 0], [0, 5, 0])


def test_same_max_padding_never_wins():
    x = -np.ones((1, 3, 3, 1)) * 7
    out = built(MaxPool2D(3, 1, "same"), x).forward(x)
    assert (out == -7).all()


def test_pool_shapes_and_errors():
    assert MaxPool2D(8, 8, "same").compute_output_shape((64, 64, 8)) == (8, 8, 8)
    assert MaxPool2D(4, 4, "same").compute_output_shape((8, 8, 16)) == (2, 2, 16)
    assert MaxPool2D(3, 2).compute_output_shape((55, 55, 96)) == (27, 27, 96)
    assert MaxPool2D(2).stride == (2, 2)
    assert GlobalAvgPool2D().compute_output_shape((7, 7, 2048)) == (2048,)
    with pytest.raises(ShapeError):
        MaxPool2D(3).compute_output_shape((2, 2, 1))
    with pytest.raises(ShapeError):
        MaxPool2D(2).compute_output_shape((4, 4))


def test_global_average_pool_feeds_dense():
    X = RNG.standard_normal((5, 4, 3, 6))
    out = built(GlobalAvgPool2D(), X).forward(X)
    assert out.shape == (6, 5)
    np.testing.assert_allclose(out, X.mean(axis=(1, 2)).T)


def test_pool_1d_and_3d():
    x1 = RNG.standard_normal((2, 9, 3))
    layer = built(MaxPool1D(3, 2), x1)
    assert layer.forward(x1).shape == (2, 4, 3)
    assert check_layer(layer, x1).difference < 1e-7
    layer = built(AvgPool1D(2), x1)
    assert check_layer(layer, x1).difference < 1e-7
    x3 = RNG.standard_normal((2, 4, 4, 4, 2))
    layer = built(MaxPool3D(2), x3)
    assert layer.forward(x3).shape == (2, 2, 2, 2, 2)
    assert check_layer(layer, x3).difference < 1e-7


def test_pool_float32_and_config():
    X = RNG.standard_normal((2, 8, 8, 3)).astype(np.float32)
    layer = built(MaxPool2D(2), X, np.float32)
    assert layer.forward(X).dtype == np.float32
    clone = layer_from_config(layer_to_config(MaxPool2D(3, 2, "same")))
    assert clone.config() == MaxPool2D(3, 2, "same").config()
