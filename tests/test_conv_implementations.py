"""reference == plain == fast: the notes' loops, the readable im2col version and the fast one.

``glassnet.layers.conv.reference`` loops over examples, positions and channels as the notes
do; ``glassnet.layers.conv.im2col`` is the same equations as matrix products;
``glassnet.layers.conv.fast`` the same functions blocked, paired and compiled.  Random shapes,
every route of the fast version (1x1, paired pixels, full convolution, fused activation,
compiled kernels), 1-D to 3-D.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import built
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet.functions.activations import get_activation
from glassnet.gradcheck import check_layer
from glassnet.layers.conv import fast
from glassnet.layers.conv import im2col as plain
from glassnet.layers.conv.conv import IMPLEMENTATIONS, Conv1D, Conv2D, Conv3D
from glassnet.layers.conv.geometry import ConvGeometry, output_spatial, resolve_padding
from glassnet.layers.conv.paired import paired
from glassnet.layers.conv.reference import conv_backward, conv_forward

TOL = {"rtol": 1e-10, "atol": 1e-10}


def geometry(X_shape, W_shape, s, padding) -> ConvGeometry:
    nd = len(W_shape) - 2
    f, s = tuple(W_shape[:nd]), (s,) * nd
    n = tuple(X_shape[1:-1])
    pads = resolve_padding(padding, n, f, s)
    return ConvGeometry(f, s, pads, n, output_spatial(n, f, s, pads), W_shape[-2], W_shape[-1])


def run(kernels, X, W, b, geo, dZ, act=None):
    """(Z or A, dA_prev, dW, db) of one implementation."""
    g = None if act is None else act.forward_inplace
    Z, saved = kernels.conv_forward(X, W, b, geo, g, fast.Workspace())
    Z = Z.copy()
    dA_prev, dW, db = kernels.conv_backward(dZ, saved, W, geo, activation=act,
                                            A=None if act is None else Z,
                                            work=fast.Workspace())
    return Z, dA_prev, dW, db


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 3), n_H=st.integers(3, 9), n_W=st.integers(3, 9),
    c_prev=st.integers(1, 5), c=st.integers(1, 6), f=st.integers(1, 4), s=st.integers(1, 3),
    p=st.integers(0, 2), seed=st.integers(0, 10_000),
)
def test_reference_plain_and_fast_agree(m, n_H, n_W, c_prev, c, f, s, p, seed):
    if n_H + 2 * p < f or n_W + 2 * p < f:
        return
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n_H, n_W, c_prev))
    W = rng.standard_normal((f, f, c_prev, c))
    b = rng.standard_normal((1, 1, 1, c))
    Z_ref, cache = conv_forward(X, W, b, {"stride": s, "pad": p})
    dZ = rng.standard_normal(Z_ref.shape)
    dA_ref, dW_ref, db_ref = conv_backward(dZ, cache)  # sums over examples: no 1/m
    geo = geometry(X.shape, W.shape, s, p)
    for kernels in (plain, fast):
        Z, dA_prev, dW, db = run(kernels, X, W, b, geo, dZ)
        np.testing.assert_allclose(Z, Z_ref, **TOL)
        np.testing.assert_allclose(dA_prev, dA_ref, **TOL)
        np.testing.assert_allclose(dW * m, dW_ref, **TOL)
        np.testing.assert_allclose(db * m, db_ref, **TOL)


# every route of the fast version, checked against the plain one
ROUTES = {
    "pointwise": ((2, 5, 6, 4), (1, 1, 4, 3), 1, 0),
    "pointwise-stride-2": ((2, 5, 6, 4), (1, 1, 4, 3), 2, 0),
    "paired-pixels": ((2, 6, 8, 12), (3, 3, 12, 8), 1, "same"),
    "paired-stride-2": ((2, 9, 12, 16), (3, 3, 16, 4), 2, 1),
    "full-convolution": ((3, 7, 7, 4), (3, 3, 4, 5), 1, 1),
    "col2im-wide": ((3, 7, 7, 2), (3, 3, 2, 9), 1, "same"),
    "column-major-cols": ((2, 9, 9, 1), (5, 5, 1, 6), 1, 2),
    "tiles": ((2, 8, 8, 3), (2, 2, 3, 4), 2, 0),
    "conv1d": ((3, 11, 4), (3, 4, 5), 2, 1),
    "conv3d": ((2, 5, 4, 6, 2), (3, 3, 3, 2, 3), 1, "same"),
}


@pytest.mark.parametrize("act", [None, "relu", "tanh"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_fast_equals_plain_on_every_route(route, act):
    X_shape, W_shape, s, padding = ROUTES[route]
    rng = np.random.default_rng(3)
    X, W = rng.standard_normal(X_shape), rng.standard_normal(W_shape)
    b = rng.standard_normal((1,) * (len(W_shape) - 1) + (W_shape[-1],))
    geo = geometry(X.shape, W.shape, s, padding)
    if route.startswith("paired"):
        assert paired(geo.f, geo.s, geo.out, geo.C, geo.N)
    if route == "full-convolution":
        assert fast.use_full_convolution(geo)
    dZ = rng.standard_normal((X.shape[0], *geo.out, geo.N))
    activation = None if act is None else get_activation(act)
    ours = run(fast, X, W, b, geo, dZ, activation)
    theirs = run(plain, X, W, b, geo, dZ, activation)
    for name, a, b_ in zip(("Z", "dA_prev", "dW", "db"), ours, theirs, strict=True):
        np.testing.assert_allclose(a, b_, err_msg=name, **TOL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make,shape", [
    (lambda: Conv2D(8, 3, padding="same", activation="relu"), (4, 8, 8, 16)),
    (lambda: Conv2D(5, 3, stride=2, padding=1, activation="softmax"), (2, 7, 7, 3)),
    (lambda: Conv1D(4, 3, activation="tanh"), (3, 10, 2)),
    (lambda: Conv3D(2, 2, stride=2), (2, 4, 4, 4, 3)),
])
def test_the_layer_switch_gives_the_same_layer(make, shape, dtype):
    """``implementation = "plain"`` and ``"fast"``: the same outputs and gradients."""
    X = np.random.default_rng(5).standard_normal(shape).astype(dtype)
    runs = {}
    for name in IMPLEMENTATIONS:
        layer = built(make(), X, dtype)
        layer.implementation = name
        A = layer.forward(X, training=True)
        dA = np.cos(np.arange(A.size)).reshape(A.shape).astype(dtype)
        runs[name] = (A.copy(), layer.backward(dA), layer.grads["dW"], layer.grads["db"])
    tol = 1e-4 if dtype == np.float32 else 1e-11
    for a, b in zip(runs["fast"], runs["plain"], strict=True):
        assert a.dtype == dtype and b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_the_plain_layer_passes_the_gradient_check():
    X = np.random.default_rng(6).standard_normal((2, 6, 5, 3))
    layer = built(Conv2D(4, 3, stride=2, padding=1, activation="tanh"), X)
    layer.implementation = "plain"
    result = check_layer(layer, X)
    assert result.difference < 1e-7, result


def test_an_unknown_implementation_is_named():
    X = np.zeros((1, 4, 4, 1))
    layer = built(Conv2D(1, 3), X)
    layer.implementation = "turbo"
    with pytest.raises(ValueError, match="implementation must be one of fast, plain"):
        layer.forward(X)
