"""The speed paths of convolution and pooling give the plain formulas' numbers.

Blocked im2col (any block size), column-major cols, the batched-matmul col2im, kept scratch
buffers (never aliased by the arrays a layer hands out) and the tiled pooling backward.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import built

import glassnet.layers.conv.blocked as blocked
import glassnet.layers.conv.fast as fast
import glassnet.layers.conv.paired as paired
from glassnet.layers.conv.blocked import conv_gemm, conv_input_grad, conv_weight_grad
from glassnet.layers.conv.conv import Conv2D
from glassnet.layers.conv.fast import col2im, im2col
from glassnet.layers.conv.pooling import AvgPool2D, MaxPool2D
from glassnet.layers.conv.reference import pool_backward, pool_forward

RNG = np.random.default_rng(7)


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of one example at a time: every loop over blocks runs several times."""
    monkeypatch.setattr(blocked, "BLOCK_BYTES", 1)


@pytest.mark.parametrize("f,s,c", [((3, 3), (1, 1), 1), ((3, 2), (2, 1), 3), ((2, 2), (2, 2), 8)])
def test_column_major_cols_are_the_same_matrix(f, s, c):
    x = RNG.standard_normal((3, 7, 6, c))
    out = tuple((n - k) // st + 1 for n, k, st in zip(x.shape[1:3], f, s, strict=True))
    rows = im2col(x, f, s, out)
    cols = im2col(x, f, s, out, column_major=True)
    assert rows.flags.c_contiguous and cols.T.flags.c_contiguous
    np.testing.assert_array_equal(rows, cols)


@pytest.mark.parametrize("c", [1, 3, 9])  # column-major cols (c < 6) and row-major
def test_blocked_products_equal_whole_matrix_products(tiny_blocks, c):
    m, f, s, out, n_C = 3, (3, 3), (1, 2), (5, 3), 4
    x = RNG.standard_normal((m, 7, 7, c))
    W = RNG.standard_normal((*f, c, n_C))
    b = RNG.standard_normal(n_C)
    cols = im2col(x, f, s, out)  # whole, one call
    W2 = W.reshape(-1, n_C)
    scratch = np.empty(10_000)
    Z = conv_gemm(x, W2, f, s, out, np.empty((m * 15, n_C)), scratch, b)
    np.testing.assert_allclose(Z, cols @ W2 + b, rtol=1e-12, atol=1e-12)
    dZ = RNG.standard_normal(Z.shape)
    np.testing.assert_allclose(conv_weight_grad(x, dZ, f, s, out, scratch), cols.T @ dZ,
                               rtol=1e-12, atol=1e-12)
    dA = conv_input_grad(dZ, W, x.shape, f, s, out, scratch)
    np.testing.assert_allclose(dA, col2im(dZ @ W2.T, x.shape, f, s, out),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Conv2D(4, 3, padding="same", activation="relu"),  # full-convolution dA
        lambda: Conv2D(7, 3, padding=1),  # n_C > 2 n_C_prev: batched col2im
        lambda: Conv2D(3, (2, 3), stride=(2, 1), padding="valid", activation="tanh"),
        lambda: Conv2D(5, 5, padding="same", activation="relu"),
    ],
)
def test_layer_is_the_same_for_any_block_size(monkeypatch, make):
    X = RNG.standard_normal((4, 8, 9, 3))
    dA = RNG.standard_normal((4, *built(make(), X).output_shape))
    results = []
    for block in (1, 10**9):
        monkeypatch.setattr(blocked, "BLOCK_BYTES", block)
        layer = built(make(), X)
        A = layer.forward(X, training=True)
        results.append((A, layer.backward(dA), layer.grads["dW"], layer.grads["db"]))
    for one, whole in zip(*results, strict=True):
        np.testing.assert_allclose(one, whole, rtol=1e-12, atol=1e-12)


def test_outputs_never_alias_the_kept_buffers():
    """A second step must not overwrite the arrays the first one handed out."""
    X1, X2 = RNG.standard_normal((2, 2, 6, 6, 3))
    layer = built(Conv2D(4, 3, padding="same", activation="relu"), X1)
    A1 = layer.forward(X1, training=True)
    A1_copy = A1.copy()
    dA1 = layer.backward(np.ones_like(A1))
    dA1_copy = dA1.copy()
    layer.forward(X2, training=True)
    layer.backward(np.full_like(A1, 2.0))
    np.testing.assert_array_equal(A1, A1_copy)
    np.testing.assert_array_equal(dA1, dA1_copy)
    # and the kept padded buffer still has a zero border after new inputs went in
    np.testing.assert_array_equal(layer.forward(X1), A1_copy)


def test_kept_buffers_follow_the_batch_size():
    X = RNG.standard_normal((5, 6, 6, 2))
    layer = built(Conv2D(3, 3, padding=1), X)
    full = layer.forward(X)
    np.testing.assert_allclose(layer.forward(X[:2]), full[:2], rtol=1e-12)
    np.testing.assert_allclose(layer.forward(X), full, rtol=1e-12)


def test_float32_bias_gradient_is_the_column_sum():
    X = RNG.standard_normal((16, 10, 10, 2)).astype(np.float32)
    layer = built(Conv2D(6, 3, padding="same"), X, np.float32)
    Z = layer.forward(X, training=True)
    dZ = RNG.standard_normal(Z.shape).astype(np.float32)
    layer.backward(dZ)
    db = dZ.astype(np.float64).sum(axis=(0, 1, 2)) / 16
    assert layer.grads["db"].dtype == np.float32
    np.testing.assert_allclose(layer.grads["db"].reshape(-1), db, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls,mode", [(MaxPool2D, "max"), (AvgPool2D, "average")])
@pytest.mark.parametrize("n", [8, 9])  # tiles the input exactly, or leaves a row unused
def test_tiled_pooling_equals_the_reference(cls, mode, n):
    X = RNG.standard_normal((3, n, 8, 4))
    layer = built(cls(2, 2), X)
    A = layer.forward(X, training=True)
    A_ref, cache = pool_forward(X, {"f": 2, "stride": 2}, mode)
    np.testing.assert_allclose(A, A_ref, rtol=1e-12, atol=1e-12)
    dA = RNG.standard_normal(A.shape)
    np.testing.assert_allclose(layer.backward(dA), pool_backward(dA, cache, mode),
                               rtol=1e-12, atol=1e-12)


def test_max_pool_ties_go_to_the_first_maximum():
    """Equal values in a window (zeros after ReLU): the gradient goes to one of them only."""
    x = np.zeros((1, 2, 2, 1))
    layer = built(MaxPool2D(2, 2), x)
    layer.forward(x, training=True)
    dA_prev = layer.backward(np.ones((1, 1, 1, 1)))
    np.testing.assert_array_equal(dA_prev[0, :, :, 0], [[1, 0], [0, 0]])


def test_max_pool_with_padding_keeps_minus_infinity_out():
    x = -np.abs(RNG.standard_normal((2, 5, 5, 3))) - 1
    layer = built(MaxPool2D(3, 2, "same"), x)
    A = layer.forward(x, training=True)
    assert np.isfinite(A).all() and (A < 0).all()
    dA = layer.backward(np.ones_like(A))
    # every window routes its 1 to a real pixel: the total is the number of windows
    assert dA.sum() == pytest.approx(A.size)
    assert dA.shape == x.shape


# -- two output pixels per row of cols (conv.paired) -------------------------------------------
PAIRED_CASES = [  # m, n_H, n_W, c_prev, c, f, s, p, activation
    (2, 5, 6, 16, 3, 3, 1, 1, "linear"),
    (3, 6, 8, 11, 5, 3, 1, 0, "relu"),
    (1, 7, 9, 16, 4, 2, 1, 0, "linear"),
    (2, 8, 9, 8, 6, 4, 1, 2, "relu"),
    (2, 7, 11, 24, 2, 3, 2, 1, "relu"),   # stride 2: windows of 3 + 2 columns, stride 4
    (1, 6, 12, 16, 1, 2, 2, 0, "linear"),  # s = f: pair windows that do not overlap
    (2, 5, 8, 32, 32, 3, 1, 1, "relu"),  # N at the limit
]


@pytest.mark.parametrize("m,n_H,n_W,c_prev,c,f,s,p,act", PAIRED_CASES)
def test_paired_pixels_equal_the_slow_reference(m, n_H, n_W, c_prev, c, f, s, p, act):
    from glassnet.layers.conv.reference import conv_backward, conv_forward

    rng = np.random.default_rng(m * 100 + n_W)
    X = rng.standard_normal((m, n_H, n_W, c_prev))
    layer = built(Conv2D(c, f, stride=s, padding=p, activation=act), X)
    out = layer.output_shape[:-1]
    assert paired.paired((f, f), (s, s), out, c_prev, c), "this case must take the paired path"
    layer.params["b"][...] = rng.standard_normal(layer.params["b"].shape)
    A = layer.forward(X, training=True)
    Z_ref, cache = conv_forward(X, layer.params["W"], layer.params["b"], {"stride": s, "pad": p})
    A_ref = np.maximum(Z_ref, 0) if act == "relu" else Z_ref
    np.testing.assert_allclose(A, A_ref, rtol=1e-10, atol=1e-10)
    dA = rng.standard_normal(A.shape)
    dA_prev = layer.backward(dA)
    dZ = dA * (Z_ref > 0) if act == "relu" else dA
    dA_ref, dW_ref, db_ref = conv_backward(dZ, cache)
    np.testing.assert_allclose(dA_prev, dA_ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grads["dW"] * m, dW_ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grads["db"] * m, db_ref, rtol=1e-10, atol=1e-10)
    # the unfused path (blocks call it with a dZ of their own)
    layer.forward(X, training=True)
    np.testing.assert_allclose(layer.backward_from_dZ(dZ), dA_ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.grads["dW"] * m, dW_ref, rtol=1e-10, atol=1e-10)


def test_pairing_is_chosen_only_where_it_pays():
    assert paired.paired((3, 3), (1, 1), (32, 32), 32, 32)       # VGG's 32-filter layers
    assert not paired.paired((3, 3), (1, 1), (32, 31), 32, 32)   # odd output width
    assert not paired.paired((3, 3), (1, 1), (16, 16), 32, 64)   # 64 filters: no gain
    assert not paired.paired((3, 3), (1, 1), (32, 32), 3, 32)    # 3 channels: column-major
    assert not paired.paired((3, 3, 3), (1, 1, 1), (4, 4, 4), 32, 8)  # 3-D
    W2 = RNG.standard_normal((3 * 3 * 4, 5))
    Wp = paired.pair_filters(W2, (3, 3), (1, 1), 4)
    assert Wp.shape == (3 * 4 * 4, 10)
    # the fold is the adjoint of the pairing: <pair(W), G> == <W, unpair(G)>
    G = RNG.standard_normal(Wp.shape)
    lhs = float((Wp * G).sum())
    rhs = float((W2 * paired.unpair_weight_grad(G, (3, 3), (1, 1), 4)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_paired_layer_passes_the_gradient_check():
    from glassnet.gradcheck import check_layer

    X = RNG.standard_normal((2, 5, 6, 12))
    layer = built(Conv2D(4, 3, 1, "same", activation="tanh"), X)
    assert paired.paired((3, 3), (1, 1), (5, 6), 12, 4)
    assert check_layer(layer, X).difference < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_paired_and_plain_agree_on_a_vgg_layer(monkeypatch, dtype):
    """Big enough for the compiled ReLU kernels and the full convolution's dZ blocks."""
    X = RNG.standard_normal((4, 32, 32, 32)).astype(dtype)
    dA = RNG.standard_normal((4, 32, 32, 32)).astype(dtype)
    runs = []
    for limit in (32, 0):
        monkeypatch.setattr(paired, "PAIR_MAX_FILTERS", limit)
        layer = built(Conv2D(32, 3, 1, "same", activation="relu"), X, dtype=dtype)
        A = layer.forward(X, training=True)
        runs.append((A, layer.backward(dA), layer.grads["dW"], layer.grads["db"]))
    tol = 1e-4 if dtype == np.float32 else 1e-11
    for paired_value, plain_value in zip(*runs, strict=True):
        np.testing.assert_allclose(paired_value, plain_value, rtol=tol, atol=tol)


def test_pairing_happens_once_and_scratch_fits_every_block(monkeypatch):
    """A layer's kept scratch holds every block cols_blocks builds (no allocation per call),
    and a 16-filter layer pairs its output pixels once, not four at a time."""
    from glassnet.models import zoo
    from glassnet.models.sequential import Sequential

    seen = []
    original = blocked.cols_blocks

    def spy(A_pad, f, s, out, scratch, column_major=None):
        rows, K = int(np.prod(out)), int(np.prod(f)) * A_pad.shape[-1]
        need = blocked.examples_per_block(A_pad.shape[0], rows, K * A_pad.itemsize) * rows * K
        seen.append((tuple(f), scratch.size >= need))
        yield from original(A_pad, f, s, out, scratch, column_major)

    monkeypatch.setattr(blocked, "cols_blocks", spy)
    monkeypatch.setattr(fast, "cols_blocks", spy)
    shape = (32, 32, 3)
    model = Sequential(zoo.get_layers("small_resnet", shape, 6),
                       loss="categorical_crossentropy")
    model.build(shape, seed=0, dtype="float32")
    X = RNG.standard_normal((4, *shape)).astype(np.float32)
    model.train_step(X, model.prepare_labels(np.arange(4) % 6))
    assert seen and all(fits for _, fits in seen), seen
    assert (3, 4) in {f for f, _ in seen}  # paired 3x3 windows
    assert (3, 6) not in {f for f, _ in seen}  # never paired twice


def test_paired_gemm_writes_into_a_strided_output_too():
    """conv_gemm into a non-contiguous Z (a column slice) takes the unpaired path, whose
    blocks write through the view; the paired path would reshape a copy."""
    X = RNG.standard_normal((2, 6, 8, 16))
    W2 = RNG.standard_normal((3 * 3 * 16, 4))
    out = (4, 6)
    whole = np.empty((2 * 24, 8))
    Z = whole[:, :4]  # not C-contiguous
    conv_gemm(X, W2, (3, 3), (1, 1), out, Z, np.empty(100_000))
    expected = im2col(X, (3, 3), (1, 1), out) @ W2
    np.testing.assert_allclose(Z, expected, rtol=1e-12, atol=1e-12)
