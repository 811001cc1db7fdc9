"""The compiled layer kernels (glassnet.layers.compiled) against the NumPy path they replace.

Each test runs the same layer twice, once with the kernels (GLASSNET_FUSED=1, and
MIN_ELEMENTS lowered so that small arrays take them) and once on the NumPy path
(GLASSNET_FUSED=0), and compares: pooling bit for bit, the convolution to rounding.  The
gradient checks run the kernels in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import built

from glassnet.core.kernels import layer_kernels as compiled
from glassnet.gradcheck import check_layer
from glassnet.layers.conv.conv import Conv2D
from glassnet.layers.conv.fast import use_full_convolution
from glassnet.layers.conv.im2col import im2col
from glassnet.layers.conv.pool_fast import takes_compiled
from glassnet.layers.conv.pooling import AvgPool2D, MaxPool2D

pytestmark = pytest.mark.skipif(compiled.fused.numba_jit() is None,
                                reason="numba is not installed")


@pytest.fixture
def small_arrays_compiled(monkeypatch):
    """Kernels on for every array size; returns a switch(on: bool)."""
    monkeypatch.setattr(compiled, "MIN_ELEMENTS", 0)

    def switch(on: bool) -> None:
        monkeypatch.setenv("GLASSNET_FUSED", "1" if on else "0")

    return switch


def _run(layer, X, dA_seed=1):
    A = layer.forward(X, training=True)
    dA = np.random.default_rng(dA_seed).standard_normal(A.shape).astype(X.dtype)
    return A, layer.backward(dA)


def _on_and_off(make, X, switch, after=None):
    """Layer ``make()`` run on X with the kernels on, then off: {on: (A, dA_prev, dW, db)};
    ``after(on, layer)`` runs after each (the call checks)."""
    out = {}
    for on in (True, False):
        switch(on)
        layer = built(make(), X, X.dtype)
        A, dX = _run(layer, X)
        out[on] = (A, dX, layer.grads["dW"], layer.grads["db"])
        if after is not None:
            after(on, layer)
    return out


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 4, 6, 5), (2, 8, 2, 16), (1, 2, 2, 1)])
def test_pooling_kernels_equal_numpy_bit_for_bit(cls, dtype, shape, small_arrays_compiled):
    rng = np.random.default_rng(0)
    X = np.maximum(rng.standard_normal(shape), 0).astype(dtype)  # ReLU ties at 0 included
    X[0, 0, 0, 0] = X[0, 0, 1, 0] = 2.5  # a tie between two positive values
    out = {}
    for on in (True, False):
        small_arrays_compiled(on)
        layer = built(cls(2, 2), X, X.dtype)
        assert takes_compiled(X, layer.pool_size, layer.stride, layer.pads) is on
        out[on] = _run(layer, X)
    for a, b in zip(out[True], out[False], strict=True):
        assert a.dtype == dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_max_pool_kernel_keeps_nan_and_routes_to_first_max(small_arrays_compiled):
    small_arrays_compiled(True)
    X = np.zeros((1, 2, 4, 1))
    X[0, :, :2, 0] = [[1.0, 3.0], [3.0, 2.0]]  # first max at offset 1
    X[0, 1, 2, 0] = np.nan
    layer = built(MaxPool2D(2), X, X.dtype)
    A, dX = _run(layer, X)
    assert A[0, 0, 0, 0] == 3.0 and np.isnan(A[0, 0, 1, 0])
    dA = np.ones_like(A)
    dX = layer.backward(dA)
    assert dX[0, :, :2, 0].tolist() == [[0.0, 1.0], [0.0, 0.0]]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Conv2D(4, 3, 1, "same", activation="relu"),  # full-convolution input grad
        lambda: Conv2D(8, 3, 2, 1, activation="relu"),  # stride 2: the col2im kernel
        lambda: Conv2D(9, 5, 1, "valid", activation="relu"),  # n_C > 2 n_C_prev: col2im
        lambda: Conv2D(4, 3, 1, "same", activation="linear"),  # bias alone
        lambda: Conv2D(4, 3, 1, "same", activation="tanh"),  # not a kernel: NumPy path
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_convolution_with_kernels_equals_numpy(make, dtype, small_arrays_compiled, monkeypatch):
    calls = []
    for name in ("bias_relu", "relu_backward", "col2im"):
        kernel = getattr(compiled, name)
        monkeypatch.setattr(compiled, name,
                            lambda *a, _k=kernel, _n=name: (calls.append(_n), _k(*a))[1])
    X = np.random.default_rng(2).standard_normal((3, 9, 9, 3)).astype(dtype)

    def check(on, layer):
        if on:
            act = layer.activation.name
            assert ("bias_relu" in calls) is (act in ("relu", "linear")), calls
            assert ("relu_backward" in calls) is (act == "relu"), calls
            full = use_full_convolution(layer.geometry)
            assert ("col2im" in calls) is (not full), calls
        else:
            assert calls == []
        calls.clear()

    out = _on_and_off(make, X, small_arrays_compiled, check)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(out[True], out[False], strict=True):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape,f,s",
    [((3, 7, 9, 8), (3, 3), (1, 1)), ((2, 9, 8, 5), (3, 4), (1, 2)),
     ((4, 6, 6, 16), (2, 2), (2, 2)), ((1, 5, 7, 3), (5, 1), (1, 3)),
     ((3, 4, 4, 6), (4, 4), (1, 1))],
)
def test_im2col_kernel_equals_numpy_bit_for_bit(shape, f, s, dtype, small_arrays_compiled):
    small_arrays_compiled(True)
    X = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    out = tuple((n - k) // st + 1 for n, k, st in zip(shape[1:3], f, s, strict=True))
    rows, K = out[0] * out[1], f[0] * f[1] * shape[-1]
    whole = im2col(X, f, s, out)  # NumPy's strided copy
    for start, stop in [(0, shape[0]), (1, shape[0]), (0, 1)]:
        cols = np.full((stop - start) * rows * K, np.nan, dtype=dtype)
        compiled.im2col(X, cols, start, stop, out, f, s)
        np.testing.assert_array_equal(cols.reshape(-1, K), whole[start * rows : stop * rows])


@pytest.mark.parametrize("make", [
    lambda: Conv2D(4, 3, 1, "same", activation="relu"),  # paired, full convolution
    lambda: Conv2D(40, 3, 2, 1, activation="linear"),  # not paired, col2im
])
def test_convolution_im2col_takes_the_kernel(make, small_arrays_compiled, monkeypatch):
    calls = []
    kernel = compiled.im2col
    monkeypatch.setattr(compiled, "im2col", lambda *a: (calls.append(1), kernel(*a))[1])
    X = np.random.default_rng(5).standard_normal((3, 8, 8, 12))

    def check(on, layer):
        assert bool(calls) is on
        calls.clear()

    out = _on_and_off(make, X, small_arrays_compiled, check)
    for a, b in zip(out[True], out[False], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Conv2D(3, 3, 2, 1, activation="relu"),
        lambda: Conv2D(7, 3, 1, "valid", activation="relu"),
        lambda: Conv2D(2, 3, 1, "same", activation="relu"),
        lambda: MaxPool2D(2),
        lambda: AvgPool2D(2),
    ],
)
def test_gradient_check_through_the_kernels(make, small_arrays_compiled):
    small_arrays_compiled(True)
    X = np.random.default_rng(3).standard_normal((2, 6, 6, 3))
    layer = built(make(), X, X.dtype)
    result = check_layer(layer, X)
    assert result.difference < 1e-7, result


def test_small_or_unsuitable_inputs_take_the_numpy_path(monkeypatch):
    monkeypatch.setenv("GLASSNET_FUSED", "1")
    X = np.zeros((2, 4, 4, 3), np.float32)  # below MIN_ELEMENTS
    assert not compiled.takes(X)
    assert not takes_compiled(X, (2, 2), (2, 2), ((0, 0), (0, 0)))
    big = np.zeros((8, 64, 64, 8), np.float32)
    assert compiled.takes(big) and compiled.usable(big)
    assert not compiled.usable(big[:, :63])  # odd height
    assert not compiled.takes(big[:, ::2])  # not contiguous
    assert not compiled.takes(big.astype(np.int32))
    assert not compiled.takes(big, big.astype(np.float64))  # mixed dtypes
    monkeypatch.setenv("GLASSNET_FUSED", "0")
    assert not compiled.takes(big)


def test_load_compiles_every_kernel(monkeypatch):
    monkeypatch.setenv("GLASSNET_FUSED", "1")
    assert compiled.load((np.float32,))
    monkeypatch.setenv("GLASSNET_FUSED", "0")
    assert not compiled.load((np.float32,))
