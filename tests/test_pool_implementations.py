"""reference == plain == fast for pooling: the notes' loops, the offsets version, the fast one."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import built
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet.layers.conv import pool_fast, pool_plain
from glassnet.layers.conv.geometry import output_spatial, resolve_padding
from glassnet.layers.conv.pooling import (
    IMPLEMENTATIONS,
    AvgPool1D,
    AvgPool2D,
    MaxPool2D,
    MaxPool3D,
)
from glassnet.layers.conv.reference import pool_backward, pool_forward


def run(kernels, X, mode, f, s, padding, dA):
    n = X.shape[1:-1]
    pads = resolve_padding(padding, n, f, s)
    out = output_spatial(n, f, s, pads)
    A, cache = kernels.pool_forward(X, mode, f, s, pads, out)
    return A, kernels.pool_backward(dA, cache, mode, f, s, pads, out)


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 3), n_H=st.integers(2, 9), n_W=st.integers(2, 9), c=st.integers(1, 4),
    f=st.integers(1, 4), s=st.integers(1, 3), mode=st.sampled_from(["max", "average"]),
    seed=st.integers(0, 10_000),
)
def test_reference_plain_and_fast_agree(m, n_H, n_W, c, f, s, mode, seed):
    if n_H < f or n_W < f:
        return
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n_H, n_W, c))
    A_ref, cache = pool_forward(X, {"f": f, "stride": s}, mode)
    dA = rng.standard_normal(A_ref.shape)
    dX_ref = pool_backward(dA, cache, mode)
    ours = "max" if mode == "max" else "avg"
    for kernels in (pool_plain, pool_fast):
        A, dX = run(kernels, X, ours, (f, f), (s, s), "valid", dA)
        np.testing.assert_allclose(A, A_ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dX, dX_ref, rtol=1e-12, atol=1e-12)


ROUTES = {
    "compiled-2x2": ((3, 8, 6, 5), (2, 2), (2, 2), "valid"),
    "tiles-3x3": ((2, 9, 6, 3), (3, 3), (3, 3), "valid"),
    "overlapping": ((2, 7, 7, 2), (3, 3), (2, 2), "valid"),
    "padded-same": ((2, 5, 7, 3), (3, 3), (1, 1), "same"),
    "1-d": ((3, 11, 2), (3,), (2,), "valid"),
    "3-d": ((2, 4, 6, 4, 2), (2, 2, 2), (2, 2, 2), "valid"),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_fast_equals_plain_on_every_route(route, mode, dtype):
    shape, f, s, padding = ROUTES[route]
    rng = np.random.default_rng(1)
    X = np.maximum(rng.standard_normal(shape), 0).astype(dtype)  # ReLU ties at 0 included
    n = shape[1:-1]
    out = output_spatial(n, f, s, resolve_padding(padding, n, f, s))
    dA = rng.standard_normal((shape[0], *out, shape[-1])).astype(dtype)
    ours = run(pool_fast, X, mode, f, s, padding, dA)
    theirs = run(pool_plain, X, mode, f, s, padding, dA)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("make,shape", [
    (lambda: MaxPool2D(2), (4, 8, 8, 3)), (lambda: AvgPool2D(3, 2, "same"), (2, 7, 5, 2)),
    (lambda: AvgPool1D(2), (3, 8, 4)), (lambda: MaxPool3D(2), (2, 4, 4, 4, 2)),
])
def test_the_layer_switch_gives_the_same_layer(make, shape):
    X = np.random.default_rng(2).standard_normal(shape)
    runs = {}
    for name in IMPLEMENTATIONS:
        layer = built(make(), X)
        layer.implementation = name
        A = layer.forward(X, training=True)
        runs[name] = (A, layer.backward(np.sin(np.arange(A.size)).reshape(A.shape)))
    for a, b in zip(runs["fast"], runs["plain"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
