"""Convolutions: fast (im2col) == slow reference, gradient checks, output sizes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import built
from hypothesis import given, settings
from hypothesis import strategies as st

from glassnet.core.errors import ShapeError
from glassnet.gradcheck import check_layer
from glassnet.layers.base import layer_from_config, layer_to_config
from glassnet.layers.conv.conv import Conv1D, Conv2D, Conv3D
from glassnet.layers.conv.depthwise import DepthwiseConv2D
from glassnet.layers.conv.fast import full_convolution, full_convolution_pads
from glassnet.layers.conv.geometry import conv_output_size, crop, resolve_padding, zero_pad
from glassnet.layers.conv.im2col import col2im, im2col
from glassnet.layers.conv.reference import conv_backward, conv_forward, conv_single_step
from glassnet.layers.conv.transpose import Conv2DTranspose, transpose_output_size

RNG = np.random.default_rng(0)


# -- output size ---------------------------------------------------------------------------
def test_output_size_formula_on_many_shapes():
    """floor((n + 2p - f) / s) + 1 for every (n, f, s, p) of a grid, layer and function."""
    checked = 0
    for n in (1, 2, 5, 6, 7, 28, 32, 63, 64, 224, 227):
        for f in (1, 2, 3, 4, 5, 7, 11):
            for s in (1, 2, 3, 4):
                for p in (0, 1, 2, 3):
                    if n + 2 * p < f:
                        continue
                    expected = int(np.floor((n + 2 * p - f) / s)) + 1
                    assert conv_output_size(n, f, p, s) == expected
                    layer = Conv2D(2, f, stride=s, padding=p)
                    shape = layer.compute_output_shape((n, n + 1, 3))
                    assert shape == (expected, conv_output_size(n + 1, f, p, s), 2)
                    checked += 1
    assert checked > 1000


def test_output_size_examples_from_the_notes():
    assert conv_output_size(6, 3) == 4  # 6x6 * 3x3 = 4x4
    assert conv_output_size(7, 3, 0, 2) == 3
    assert conv_output_size(39, 3, 0, 1) == 37
    assert conv_output_size(227, 11, 0, 4) == 55  # AlexNet's first layer


@pytest.mark.parametrize("n", [5, 6, 7, 8, 31, 32, 64])
@pytest.mark.parametrize("f", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_same_padding_gives_ceil_n_over_s(n, f, s):
    assert Conv2D(3, f, s, "same").compute_output_shape((n, n, 2)) == (-(-n // s),) * 2 + (3,)


def test_same_padding_is_the_notes_p_for_odd_f():
    for f in (1, 3, 5, 7):
        assert resolve_padding("same", (10,), (f,), (1,)) == (((f - 1) // 2, (f - 1) // 2),)


def test_bad_arguments():
    with pytest.raises(ValueError):
        Conv2D(0, 3)
    with pytest.raises(ValueError):
        Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError):
        Conv2D(2, 3, padding=-1)
    with pytest.raises(ShapeError):
        Conv2D(2, 5).build((3, 3, 1), RNG, np.float32)
    with pytest.raises(ShapeError):
        Conv2D(2, 3).build((8, 8), RNG, np.float32)
    conv = Conv2D(2, 3)
    assert conv.build((8, 8, 3), RNG, np.float32) == (6, 6, 2)
    with pytest.raises(ShapeError):
        conv.forward(np.zeros((2, 8, 8, 4), np.float32))


# -- the slow reference ----------------------------------------------------------------------
def test_conv_single_step_is_sum_of_products_plus_b():
    a = RNG.standard_normal((4, 4, 3))
    W = RNG.standard_normal((4, 4, 3))
    b = RNG.standard_normal((1, 1, 1))
    assert conv_single_step(a, W, b) == pytest.approx(float((a * W).sum() + b.item()))


@settings(max_examples=25, deadline=None)
@given(
    m=st.integers(1, 3),
    n_H=st.integers(3, 8),
    n_W=st.integers(3, 8),
    c_prev=st.integers(1, 4),
    c=st.integers(1, 4),
    f=st.integers(1, 4),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    seed=st.integers(0, 10_000),
)
def test_fast_equals_slow_reference(m, n_H, n_W, c_prev, c, f, s, p, seed):
    if n_H + 2 * p < f or n_W + 2 * p < f:
        return
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n_H, n_W, c_prev))
    layer = built(Conv2D(c, f, stride=s, padding=p), X)
    layer.params["b"][...] = rng.standard_normal(layer.params["b"].shape)
    Z = layer.forward(X, training=True)
    Z_ref, cache = conv_forward(X, layer.params["W"], layer.params["b"], {"stride": s, "pad": p})
    np.testing.assert_allclose(Z, Z_ref, rtol=1e-10, atol=1e-10)
    dZ = rng.standard_normal(Z.shape)
    dA_prev = layer.backward(dZ)
    dA_ref, dW_ref, db_ref = conv_backward(dZ, cache)
    np.testing.assert_allclose(dA_prev, dA_ref, rtol=1e-10, atol=1e-10)
    # the layer's grads carry the 1/m of the cost; the notes' derivation sums over examples
    np.testing.assert_allclose(layer.grads["dW"] * m, dW_ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grads["db"] * m, db_ref, rtol=1e-10, atol=1e-10)


def test_im2col_col2im_are_adjoint():
    """<im2col(x), y> == <x, col2im(y)> (so col2im is the exact backward of im2col)."""
    x = RNG.standard_normal((2, 7, 6, 3))
    f, s, out = (3, 2), (2, 1), (3, 5)
    cols = im2col(x, f, s, out)
    y = RNG.standard_normal(cols.shape)
    lhs = float((cols * y).sum())
    rhs = float((x * col2im(y, x.shape, f, s, out)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_zero_pad_matches_reference():
    x = RNG.standard_normal((2, 3, 3, 2))
    from glassnet.layers.conv.reference import zero_pad as ref_pad

    np.testing.assert_array_equal(zero_pad(x, ((2, 2), (2, 2))), ref_pad(x, 2))


# -- gradient checks (float64, the notes' 1e-7) -----------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: Conv2D(4, 3, stride=2, padding=1),
        lambda: Conv2D(3, 3, stride=2, padding="same", activation="tanh"),
        lambda: Conv2D(3, (2, 3), stride=(2, 1), padding="valid", activation="sigmoid"),
        lambda: Conv2D(5, 4, stride=3, padding=2),
        lambda: Conv2D(3, 1),  # 1x1 fast path
        lambda: Conv2D(3, 1, stride=2),  # strided 1x1
        lambda: Conv2D(2, 3, padding="same", use_bias=False),
    ],
)
def test_conv2d_gradient_check(make):
    X = RNG.standard_normal((3, 7, 8, 3))
    layer = built(make(), X)
    result = check_layer(layer, X)
    assert result.difference < 1e-7, result


def test_one_by_one_conv_is_a_dense_layer_per_pixel():
    X = RNG.standard_normal((2, 4, 5, 6))
    layer = built(Conv2D(3, 1), X)
    W = layer.params["W"].reshape(6, 3)
    np.testing.assert_allclose(layer.forward(X), X @ W + layer.params["b"].reshape(3))


def test_conv_float32_stays_float32():
    X = RNG.standard_normal((2, 8, 8, 3)).astype(np.float32)
    layer = built(Conv2D(4, 3, padding="same", activation="relu"), X, np.float32)
    A = layer.forward(X, training=True)
    dA = layer.backward(np.ones_like(A))
    assert A.dtype == np.float32 and dA.dtype == np.float32
    assert layer.grads["dW"].dtype == np.float32 and layer.grads["db"].dtype == np.float32


def test_first_layer_may_skip_input_gradient():
    X = RNG.standard_normal((2, 6, 6, 1))
    layer = built(Conv2D(2, 3), X)
    layer.forward(X, True)
    layer.propagate_input_grad = False
    assert layer.backward(np.ones((2, 4, 4, 2))) is None
    assert layer.grads["dW"].shape == (3, 3, 1, 2)


def test_config_round_trip_through_json():
    layer = Conv2D(8, (3, 5), stride=(2, 1), padding=[(1, 2), 0], activation="relu")
    entry = json.loads(json.dumps(layer_to_config(layer)))
    clone = layer_from_config(entry)
    assert isinstance(clone, Conv2D)
    assert clone.config() == layer.config()
    assert clone.compute_output_shape((10, 10, 3)) == layer.compute_output_shape((10, 10, 3))


# -- 1-D and 3-D -------------------------------------------------------------------------------
def test_conv1d_shapes_and_gradients():
    X = RNG.standard_normal((3, 11, 2))
    layer = built(Conv1D(4, 3, stride=2, padding="same", activation="tanh"), X)
    assert layer.params["W"].shape == (3, 2, 4)
    assert layer.forward(X).shape == (3, 6, 4)
    assert check_layer(layer, X).difference < 1e-7


def test_conv1d_equals_conv2d_on_a_one_row_image():
    X = RNG.standard_normal((2, 9, 3))
    c1 = built(Conv1D(2, 4, stride=2, padding=1), X)
    c2 = Conv2D(2, (1, 4), stride=(1, 2), padding=[(0, 0), (1, 1)])
    c2.build((1, 9, 3), RNG, np.float64)
    c2.params["W"][...] = c1.params["W"][None]
    np.testing.assert_allclose(c1.forward(X), c2.forward(X[:, None])[:, 0])


def test_conv3d_shapes_and_gradients():
    X = RNG.standard_normal((2, 5, 4, 6, 2))
    layer = built(Conv3D(3, 3, stride=(1, 2, 2), padding=1, activation="tanh"), X)
    assert layer.params["W"].shape == (3, 3, 3, 2, 3)
    assert layer.params["b"].shape == (1, 1, 1, 1, 3)
    assert layer.forward(X).shape == (2, 5, 2, 3, 3)
    assert check_layer(layer, X).difference < 1e-7


# -- depthwise ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: DepthwiseConv2D(3, 1, "same"),
        lambda: DepthwiseConv2D(3, 2, 1, activation="tanh"),
        lambda: DepthwiseConv2D(2, 1, "valid", depth_multiplier=3),
        lambda: DepthwiseConv2D(3, 2, "same", depth_multiplier=2, use_bias=False),
    ],
)
def test_depthwise_gradient_check(make):
    X = RNG.standard_normal((3, 6, 7, 3))
    layer = built(make(), X)
    assert check_layer(layer, X).difference < 1e-7


def test_depthwise_is_a_per_channel_convolution():
    X = RNG.standard_normal((2, 6, 6, 3))
    dw = built(DepthwiseConv2D(3, 2, 1, depth_multiplier=2), X)
    dw.params["b"][...] = RNG.standard_normal(dw.params["b"].shape)
    out = dw.forward(X)
    assert out.shape == (2, 3, 3, 6)
    for c in range(3):
        for k in range(2):
            conv = Conv2D(1, 3, 2, 1)
            conv.build((6, 6, 1), RNG, np.float64)
            conv.params["W"][...] = dw.params["W"][:, :, c:c + 1, k:k + 1]
            conv.params["b"][...] = dw.params["b"][..., c * 2 + k]
            np.testing.assert_allclose(out[..., c * 2 + k], conv.forward(X[..., c:c + 1])[..., 0])


def test_depthwise_cost_is_the_notes():
    """(3 x 3) x (4 x 4) x 3 = 432 multiplications for 6x6x3 -> 4x4x3, params 3x3x3."""
    dw = DepthwiseConv2D(3)
    out = dw.build((6, 6, 3), RNG, np.float32)
    assert out == (4, 4, 3)
    assert dw.params["W"].size * out[0] * out[1] == 432


# -- transpose convolution -----------------------------------------------------------------------
@pytest.mark.parametrize("n,f,s,p", [(3, 3, 2, 0), (4, 2, 2, 0), (5, 3, 1, 1), (3, 4, 2, 1),
                                     (2, 3, 3, 0), (6, 5, 2, 2)])
def test_transpose_output_size(n, f, s, p):
    layer = Conv2DTranspose(2, f, s, p)
    expected = s * (n - 1) + f - 2 * p
    assert transpose_output_size(n, f, s, p) == expected
    assert layer.compute_output_shape((n, n, 3)) == (expected, expected, 2)


def test_transpose_same_doubles_the_size():
    assert Conv2DTranspose(4, 3, 2, "same").compute_output_shape((8, 5, 3)) == (16, 10, 4)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Conv2DTranspose(3, 3, 2),
        lambda: Conv2DTranspose(2, 4, 2, "same", activation="tanh"),
        lambda: Conv2DTranspose(2, 2, 2),
        lambda: Conv2DTranspose(3, 3, 1, 1, use_bias=False),
    ],
)
def test_transpose_gradient_check(make):
    X = RNG.standard_normal((2, 4, 3, 3))
    layer = built(make(), X)
    assert check_layer(layer, X).difference < 1e-7


def test_transpose_is_the_adjoint_of_convolution():
    """<conv(x), y> == <x, conv^T(y)> with the same filter and no bias."""
    x = RNG.standard_normal((2, 9, 9, 2))
    conv = built(Conv2D(3, 3, 2, 1, use_bias=False), x)
    y = RNG.standard_normal((2, *conv.output_shape))
    tconv = Conv2DTranspose(2, 3, 2, 1, use_bias=False)
    tconv.build(conv.output_shape, RNG, np.float64)
    tconv.params["W"][...] = conv.params["W"]
    lhs = float((conv.forward(x) * y).sum())
    rhs = float((x * tconv.forward(y)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-12)


# -- edge detection (vision.edges) ---------------------------------------------------------------
def test_vertical_edge_of_the_notes():
    """6x6 image, bright (10) left half, dark right half * vertical filter -> [0 30 30 0] rows."""
    from glassnet.vision import detect_edges

    img = np.zeros((6, 6))
    img[:, :3] = 10
    out = detect_edges(img, "vertical")
    np.testing.assert_allclose(out, np.tile([0, 30, 30, 0], (4, 1)))
    np.testing.assert_allclose(detect_edges(img, "horizontal"), 0)


@pytest.mark.parametrize("name", ["vertical", "sobel", "scharr"])
def test_edge_filters_find_a_step_edge(name):
    from glassnet.vision import detect_edges, edge_filter

    img = np.zeros((20, 24))
    img[:, 11:] = 1.0  # dark to bright between columns 10 and 11
    vertical = detect_edges(img, name, padding="same")
    cols = np.abs(vertical).sum(axis=0)
    assert set(np.flatnonzero(cols > 1e-9)) <= {0, 10, 11, 23}  # edge (and the zero border)
    assert cols[10] > 0 and cols[11] > 0
    assert np.argmax(np.abs(vertical[10, 1:-1])) + 1 in (10, 11)  # strongest at the step
    horizontal = detect_edges(img.T, edge_filter(name).T, padding="same")
    np.testing.assert_allclose(horizontal, vertical.T)
    # a flat image has no edges
    np.testing.assert_allclose(detect_edges(np.ones((8, 8)), name), 0)


def test_edge_figure_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    from glassnet.vision import edge_figure

    img = np.zeros((32, 32, 3), np.uint8)
    img[8:24, 8:24] = 255
    path = edge_figure(tmp_path / "edges.png", image=img)
    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_edges_example_script_writes_the_picture(tmp_path):
    """``python examples/edges.py``: the notes' 6x6 result printed, the picture written."""
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("matplotlib")
    script = Path(__file__).resolve().parents[1] / "examples" / "edges.py"
    img = np.zeros((24, 24, 3), np.uint8)
    img[:, 12:] = 200
    from PIL import Image

    Image.fromarray(img).save(tmp_path / "step.png")
    proc = subprocess.run([sys.executable, str(script), "--out", str(tmp_path / "out"),
                           "--image", str(tmp_path / "step.png")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "[ 0 30 30  0]" in proc.stdout
    png = tmp_path / "out" / "edges.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["notes_example"][0] == [0, 30, 30, 0]


@pytest.mark.parametrize("filters,c_prev,padding", [(3, 4, "same"), (4, 4, 1), (2, 5, "valid"),
                                                    (6, 3, "same")])
def test_both_input_gradient_paths_agree(filters, c_prev, padding):
    """Stride 1: the full convolution with the turned filter == GEMM + col2im."""
    X = RNG.standard_normal((2, 6, 7, c_prev))
    layer = built(Conv2D(filters, 3, 1, padding), X)
    Z = layer.forward(X, training=True)
    dZ = RNG.standard_normal(Z.shape)
    geo = layer.geometry
    full = full_convolution(zero_pad(dZ, full_convolution_pads(geo)), layer.params["W"], geo,
                            layer.work)
    dcols = dZ.reshape(-1, filters) @ layer.params["W"].reshape(-1, filters).T
    pad_shape = (2, *(n + a + b for n, (a, b) in zip(X.shape[1:3], layer.pads, strict=True)),
                 c_prev)
    scattered = col2im(dcols, pad_shape, (3, 3), (1, 1), Z.shape[1:3])
    np.testing.assert_allclose(full, crop(scattered, layer.pads), rtol=1e-12, atol=1e-12)
