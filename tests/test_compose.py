"""One composition mechanism: the naming walk and views for models and blocks, shared weights."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.gradcheck import check_layer, gradient_check
from glassnet.layers.activation import ActivationLayer
from glassnet.layers.batchnorm import BatchNorm
from glassnet.layers.blocks.base import Block
from glassnet.layers.blocks.residual import ResidualBlock
from glassnet.layers.compose import Naming, Shared, index_join, indexed, suffix_join
from glassnet.layers.dense import Dense
from glassnet.models.sequential import Sequential


class TwiceApplied(Block):
    """A = f(f(X)) with one f (a cell over two time steps): dW = dW(step 1) + dW(step 2)."""

    input_layout = output_layout = "dense"

    def __init__(self, make) -> None:
        super().__init__()
        self.make = make

    def _build_parts(self, input_shape, rng, dtype):
        self.f = self.make()
        for suffix, part in self.f_parts():
            self._part(suffix, part)
        out = self._build_chain([self.f], input_shape, rng, dtype)
        self.shared = Shared(self.f)
        return out

    def f_parts(self):
        return [("f", self.f)]

    def _forward(self, A_prev, training):
        self.shared.begin()
        return self.shared.forward(self.shared.forward(A_prev, training), training)

    def _backward(self, dA):
        return self.shared.backward(self.shared.backward(dA, 1), 0)


class Siamese(Block):
    """Input (2n, m) = [x1; x2]; output f(x1) - f(x2) with one encoder f (shared weights)."""

    input_layout = output_layout = "dense"

    def _build_parts(self, input_shape, rng, dtype):
        self.n = input_shape[0] // 2
        self.f = self._part("enc", Dense(3, "tanh"))
        out = self._build_chain([self.f], (self.n,), rng, dtype)
        self.shared = Shared(self.f)
        return out

    def _forward(self, A_prev, training):
        self.shared.begin()
        x1, x2 = A_prev[: self.n], A_prev[self.n :]
        return self.shared.forward(x1, training) - self.shared.forward(x2, training)

    def _backward(self, dA):
        d1 = self.shared.backward(dA, 0)
        d2 = self.shared.backward(-dA, 1)
        return np.concatenate([d1, d2])


class DenseBN(Block):
    """Dense (no bias) -> batch norm -> tanh: a small block to share as a whole."""

    input_layout = output_layout = "dense"

    def _build_parts(self, input_shape, rng, dtype):
        self.chain = [self._part("d", Dense(input_shape[0], "linear", use_bias=False)),
                      self._part("d", BatchNorm()), ActivationLayer("tanh")]
        return self._build_chain(self.chain, input_shape, rng, dtype)

    def _forward(self, A_prev, training):
        for layer in self.chain:
            A_prev = layer.forward(A_prev, training)
        return A_prev

    def _backward(self, dA):
        for layer in reversed(self.chain):
            dA = layer.backward(dA)
        return dA


class ConcatSkip(Block):
    """U-Net's skip connection: A = concat([X, conv(X)]) along the channels (m, H, W, C + k)."""

    input_layout = output_layout = "image"

    def _build_parts(self, input_shape, rng, dtype):
        from glassnet.layers.conv.conv import Conv2D

        self.conv = self._part("up", Conv2D(2, 3, padding="same", activation="relu"))
        inner = self._build_chain([self.conv], input_shape, rng, dtype)
        self.C = input_shape[-1]
        return (*input_shape[:-1], self.C + inner[-1])

    def _forward(self, A_prev, training):
        return np.concatenate([A_prev, self.conv.forward(A_prev, training)], axis=-1)

    def _backward(self, dA):
        return dA[..., : self.C] + self.conv.backward(dA[..., self.C :])


class EncoderDecoder(Block):
    """Two inputs (n1 + n2, m) = [x_enc; x_dec]: context = enc(x_enc), A = dec([context; x_dec])."""

    input_layout = output_layout = "dense"

    def __init__(self, n_enc):
        super().__init__()
        self.n_enc = n_enc

    def _build_parts(self, input_shape, rng, dtype):
        self.enc = self._part("enc", Dense(3, "tanh"))
        self.dec = self._part("dec", Dense(2, "tanh"))
        self._build_chain([self.enc], (self.n_enc,), rng, dtype)
        return self._build_chain([self.dec], (3 + input_shape[0] - self.n_enc,), rng, dtype)

    def _forward(self, A_prev, training):
        context = self.enc.forward(A_prev[: self.n_enc], training)
        return self.dec.forward(np.concatenate([context, A_prev[self.n_enc :]]), training)

    def _backward(self, dA):
        d = self.dec.backward(dA)
        return np.concatenate([self.enc.backward(d[:3]), d[3:]])


def built(layer, n, rng):
    layer.connect("dense")
    layer.build((n,), rng, np.float64)
    return layer


def test_the_walk_names_a_model_and_a_block_as_the_notes_do():
    layers = [Dense(3, use_bias=False), BatchNorm(), ActivationLayer("relu"), Dense(1)]
    for layer, shape in zip(layers, [(4,), (3,), (3,), (3,)], strict=True):
        layer.build(shape, np.random.default_rng(0), np.float64)
    names = [e.name for e in Naming(indexed(layers), index_join).params]
    assert names == ["W1", "gamma1", "beta1", "W2", "b2"]
    assert [e.name for e in Naming(indexed(layers), index_join).state] == [
        "running_mean1", "running_var1"]
    block_names = [e.name for e in Naming([(layers[0], "a"), (layers[1], "a")], suffix_join).params]
    assert block_names == ["W_a", "gamma_a", "beta_a"]
    with pytest.raises(ValueError, match="two parts"):
        Naming([(layers[3], "a"), (layers[3], "a")], suffix_join)


def test_views_read_and_write_through_to_the_parts(rng):
    block = ResidualBlock(2, batch_norm=True)
    block.build((4, 4, 2), rng, np.float64)
    conv_a = block.sublayers()[0]
    assert not isinstance(block.params, dict)  # a view, not a copy
    new = np.zeros_like(block.params["W_a"])
    block.params["W_a"] = new  # a new array reaches the part at once (no sync step)
    assert conv_a.params["W"] is new
    model = Sequential([ResidualBlock(2, batch_norm=True), ActivationLayer("linear")],
                       loss="l2").build((4, 4, 2), dtype="float64")
    inner = model.layers[0].sublayers()[0]
    model.parameters["W_a1"] = np.ones_like(inner.params["W"])
    assert model.layers[0].params["W_a"] is inner.params["W"] is model.parameters["W_a1"]
    assert float(inner.params["W"].sum()) == inner.params["W"].size
    with pytest.raises(KeyError):
        model.parameters["W9"] = new
    model.layers[0].trainable = False
    assert all(not part.trainable for part in model.layers[0].sublayers())
    assert dict(model.grads) == {}


def test_shared_weights_applied_twice_sum_their_gradients(rng):
    block = built(TwiceApplied(lambda: Dense(4, "tanh")), 4, rng)
    assert sorted(block.params) == ["W_f", "b_f"]  # one set of weights
    block.params["b_f"][...] = rng.normal(size=(4, 1))
    X = rng.normal(size=(4, 6))
    result = check_layer(block, X)
    assert result.difference < 1e-7, result
    # the sum, not the last application: dW = 1/m (dZ2 A1^T + dZ1 X^T)
    f = block.f
    W, b = f.params["W"], f.params["b"]
    A1 = np.tanh(W @ X + b)
    A2 = np.tanh(W @ A1 + b)
    dA = rng.normal(size=A2.shape)
    block.forward(X, training=True)
    block.backward(dA)
    dZ2 = dA * (1 - A2**2)
    dZ1 = (W.T @ dZ2) * (1 - A1**2)
    np.testing.assert_allclose(block.grads["dW_f"], (dZ2 @ A1.T + dZ1 @ X.T) / 6, rtol=1e-12)


def test_siamese_encoder_on_two_inputs_gradient_check(rng):
    block = built(Siamese(), 8, rng)
    block.params["b_enc"][...] = rng.normal(size=(3, 1))
    result = check_layer(block, rng.normal(size=(8, 5)))
    assert result.difference < 1e-7, result


def test_a_shared_block_keeps_each_applications_caches(rng):
    """Sharing a block restores the caches of every layer inside it for each application."""
    block = built(TwiceApplied(DenseBN), 3, rng)
    assert sorted(block.params) == ["W_d_f", "beta_d_f", "gamma_d_f"]
    block.params["beta_d_f"][...] = rng.normal(size=(3, 1))
    result = check_layer(block, rng.normal(size=(3, 7)))
    assert result.difference < 1e-7, result


def test_a_model_of_shared_weight_blocks_trains_and_checks(rng):
    model = Sequential([TwiceApplied(lambda: Dense(4, "tanh")), Dense(1, "sigmoid")])
    model.build(4, seed=0, dtype="float64")
    assert sorted(model.parameters) == ["W2", "W_f1", "b2", "b_f1"]
    X = rng.normal(size=(4, 9))
    Y = (rng.random((1, 9)) > 0.5).astype(float)
    result = gradient_check(model, X, Y)
    assert result.difference < 1e-7, result


def test_a_shared_convolution_keeps_one_workspace_per_application(rng):
    """Siamese convolutions: f(x1) - f(x2) with one Conv2D; the fast convolution keeps its
    padded input between calls, so each application needs its own (else the second
    forward overwrites what the first backward reads)."""
    from glassnet.layers.conv.conv import Conv2D

    conv = Conv2D(3, 3, padding=1, activation="tanh")
    conv.build((5, 5, 2), rng, np.float64)
    shared = Shared(conv)
    x1, x2 = rng.standard_normal((2, 4, 5, 5, 2))
    dA = rng.standard_normal((4, 5, 5, 3))
    shared.begin()
    A = shared.forward(x1, True) - shared.forward(x2, True)
    d1, d2 = shared.backward(dA, 0), shared.backward(-dA, 1)
    twin = Conv2D(3, 3, padding=1, activation="tanh")
    twin.build((5, 5, 2), rng, np.float64)
    twin.params["W"][...], twin.params["b"][...] = conv.params["W"], conv.params["b"]
    A1 = twin.forward(x1, True).copy()
    e1 = twin.backward(dA).copy()
    g1 = twin.grads["dW"].copy()
    A2 = twin.forward(x2, True).copy()
    e2 = twin.backward(-dA)
    np.testing.assert_allclose(A, A1 - A2, rtol=1e-12)
    np.testing.assert_allclose(d1, e1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(d2, e2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.grads["dW"], g1 + twin.grads["dW"], rtol=1e-12)


def test_a_concatenating_skip_connection_gradient_check(rng):
    """U-Net: the skip concatenates the input to the convolution's output (channels)."""
    block = ConcatSkip()
    block.connect("image")
    block.build((5, 4, 3), rng, np.float64)
    assert sorted(block.params) == ["W_up", "b_up"]
    assert block.output_shape == (5, 4, 5)
    block.params["b_up"][...] = rng.normal(size=block.params["b_up"].shape)
    result = check_layer(block, rng.normal(size=(2, 5, 4, 3)))
    assert result.difference < 1e-7, result


def test_an_encoder_decoder_on_two_inputs_gradient_check(rng):
    block = built(EncoderDecoder(4), 7, rng)
    assert sorted(block.params) == ["W_dec", "W_enc", "b_dec", "b_enc"]
    block.params["b_enc"][...] = rng.normal(size=(3, 1))
    result = check_layer(block, rng.normal(size=(7, 5)))
    assert result.difference < 1e-7, result
    model = Sequential([EncoderDecoder(4), Dense(1, "sigmoid")]).build(7, dtype="float64")
    assert sorted(model.parameters) == ["W2", "W_dec1", "W_enc1", "b2", "b_dec1", "b_enc1"]
