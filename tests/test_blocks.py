"""Composite blocks: gradient checks, flat params/grads/state, config, models built of them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import built

from glassnet.core.errors import ShapeError
from glassnet.functions.activations import ReLU6, get_activation
from glassnet.gradcheck import check_layer
from glassnet.layers.base import layer_from_config, layer_to_config
from glassnet.layers.blocks.inception import InceptionModule
from glassnet.layers.blocks.mobilenet import MobileNetV1Block, MobileNetV2Block, SeparableConv2D
from glassnet.layers.blocks.residual import ResidualBlock
from glassnet.layers.blocks.scaling import (
    compound_scaling,
    scale_depth,
    scale_resolution,
    scale_width,
)
from glassnet.models.saving import load_model, save_model
from glassnet.models.sequential import Sequential

RNG = np.random.default_rng(2)


def randomize_biases(layer, rng=RNG):
    """Non-zero biases/betas: keeps pre-activations off ReLU's kink at exactly 0."""
    for name, p in layer.params.items():
        if name.startswith(("b_", "beta_")):
            p[...] = rng.uniform(0.1, 0.5, p.shape)


def assert_grad_ok(layer, X):
    result = check_layer(layer, X)
    assert result.difference < 1e-7, result


# -- residual blocks
@pytest.mark.parametrize(
    "make,shortcut",
    [
        (lambda: ResidualBlock(4), "identity"),
        (lambda: ResidualBlock(3, stride=2), "projection"),
        (lambda: ResidualBlock(6), "projection"),  # channels differ
        (lambda: ResidualBlock(4, shortcut="projection"), "projection"),
        (lambda: ResidualBlock(2, variant="bottleneck", expansion=2), "identity"),
        (lambda: ResidualBlock(2, 2, "bottleneck"), "projection"),
        (lambda: ResidualBlock(4, batch_norm=True), "identity"),
        (lambda: ResidualBlock(2, 2, "bottleneck", batch_norm=True), "projection"),
    ],
)
def test_residual_block_gradient_check(make, shortcut):
    X = RNG.standard_normal((3, 6, 6, 4))
    block = built(make(), X)
    randomize_biases(block)
    assert ("W_s" in block.params) == (shortcut == "projection")
    assert_grad_ok(block, X)


def test_identity_block_with_zero_weights_is_relu_of_input():
    """a[l+2] = g(0 + a[l]) = a[l] for a[l] >= 0: the block can learn the identity."""
    X = np.abs(RNG.standard_normal((2, 5, 5, 3)))
    block = built(ResidualBlock(3), X)
    for p in block.params.values():
        p[...] = 0
    np.testing.assert_allclose(block.forward(X), X)


def test_residual_shapes_and_errors():
    X = RNG.standard_normal((2, 8, 8, 16))
    assert built(ResidualBlock(8, 2, "bottleneck"), X).output_shape == (4, 4, 32)
    assert built(ResidualBlock(16), X).output_shape == (8, 8, 16)
    with pytest.raises(ShapeError):
        built(ResidualBlock(8, shortcut="identity"), X)
    with pytest.raises(ValueError):
        ResidualBlock(8, variant="wide")


# -- inception
@pytest.mark.parametrize("batch_norm", [False, True])
def test_inception_gradient_check(batch_norm):
    X = RNG.standard_normal((2, 5, 5, 3))
    block = built(InceptionModule(2, 2, 3, 1, 2, 2, batch_norm=batch_norm), X)
    randomize_biases(block)
    assert block.output_shape == (5, 5, 2 + 3 + 2 + 2)
    assert_grad_ok(block, X)


def test_inception_concatenates_its_branches():
    X = RNG.standard_normal((2, 4, 4, 3))
    block = built(InceptionModule(1, 1, 2, 1, 3, 4, activation="linear"), X)
    out = block.forward(X)
    W_a = block.params["W_a"].reshape(3, 1)
    np.testing.assert_allclose(out[..., :1], X @ W_a + block.params["b_a"].reshape(1))
    assert sorted(block.params) == sorted(
        f"{p}_{s}" for p in "Wb" for s in ("a", "b_red", "b", "c_red", "c", "d")
    )


# -- separable and MobileNet
@pytest.mark.parametrize(
    "make",
    [
        lambda: SeparableConv2D(5, 3, 2),
        lambda: SeparableConv2D(3, 3, 1, "same", depth_multiplier=2, activation="tanh"),
        lambda: MobileNetV1Block(6, 2),
        lambda: MobileNetV1Block(6, 1, batch_norm=True),
        lambda: MobileNetV1Block(3, 1, activation="relu"),
        lambda: MobileNetV2Block(4, 1, expansion=3),
        lambda: MobileNetV2Block(5, 2, expansion=1, batch_norm=True),
        lambda: MobileNetV2Block(4, 1, expansion=2, batch_norm=True),
    ],
)
def test_mobilenet_blocks_gradient_check(make):
    X = RNG.standard_normal((3, 6, 6, 4))
    block = built(make(), X)
    randomize_biases(block)
    assert_grad_ok(block, X)


def test_mobilenet_v2_residual_only_when_shapes_agree():
    X = RNG.standard_normal((2, 6, 6, 4))
    assert built(MobileNetV2Block(4, 1), X).residual
    assert not built(MobileNetV2Block(4, 2), X).residual
    assert not built(MobileNetV2Block(8, 1), X).residual
    block = built(MobileNetV2Block(4, 1, expansion=6), X)
    assert block.params["W_expand"].shape == (1, 1, 4, 24)
    assert block.params["W_dw"].shape == (3, 3, 24, 1)
    assert block.params["W_project"].shape == (1, 1, 24, 4)
    for p in block.params.values():
        p[...] = 0
    np.testing.assert_allclose(block.forward(X), X)  # zero bottleneck: just the shortcut


def test_separable_cost_ratio_is_the_notes():
    """cost(separable) / cost(normal) = 1/n_C' + 1/f^2 (weights times positions)."""
    n_C_prev, n_C, f = 16, 32, 3
    X = RNG.standard_normal((1, 8, 8, n_C_prev))
    block = built(SeparableConv2D(n_C, f, use_bias=False), X)
    separable = block.params["W_dw"].size + block.params["W_pw"].size
    normal = f * f * n_C_prev * n_C
    assert separable / normal == pytest.approx(1 / n_C + 1 / f**2)


def test_relu6():
    g = get_activation("relu6")
    assert isinstance(g, ReLU6)
    z = np.array([-1.0, 0.5, 3.0, 7.0])
    np.testing.assert_array_equal(g.forward(z), [0, 0.5, 3, 6])
    np.testing.assert_array_equal(g.backward(np.ones(4), z, g.forward(z)), [0, 1, 1, 0])


# -- the contract: flat params, same arrays, grads, state, config
def test_params_are_the_sub_layers_arrays_and_updates_reach_them():
    X = RNG.standard_normal((2, 6, 6, 4))
    block = built(ResidualBlock(3, 2, batch_norm=True), X)
    names = set(block.params)
    assert names == {f"{p}_{s}" for p in ("W", "gamma", "beta") for s in "abs"}
    assert not any(n[-1].isdigit() for n in names)
    conv_a = block.sublayers()[0]
    assert conv_a.params["W"] is block.params["W_a"]
    before = block.forward(X, training=False)
    block.params["W_a"] *= 2.0  # an in-place optimizer step
    assert conv_a.params["W"] is block.params["W_a"]
    assert not np.allclose(block.forward(X, training=False), before)
    block.forward(X, training=True)
    block.backward(np.ones((2, 3, 3, 3)))
    assert set(block.grads) == {"d" + n for n in names}
    for name in names:
        assert block.grads["d" + name].shape == block.params[name].shape
    assert {"running_mean_a", "running_var_a", "running_mean_s"} <= set(block.state)


def test_replaced_arrays_are_pushed_to_sub_layers():
    X = RNG.standard_normal((2, 5, 5, 2))
    block = built(MobileNetV1Block(3, activation="relu"), X)
    block.params["W_pw"] = np.zeros_like(block.params["W_pw"])
    block.params["b_pw"] = np.full_like(block.params["b_pw"], 0.25)
    np.testing.assert_allclose(block.forward(X), 0.25)


def test_frozen_block_has_no_grads():
    X = RNG.standard_normal((2, 5, 5, 2))
    block = built(ResidualBlock(2), X)
    block.trainable = False
    block.forward(X, True)
    block.backward(np.ones((2, 5, 5, 2)))
    assert block.grads == {}


@pytest.mark.parametrize(
    "block",
    [
        ResidualBlock(4, 2, "bottleneck", batch_norm=True),
        InceptionModule(2, 2, 3, 1, 2, 2),
        SeparableConv2D(4, 3, 2),
        MobileNetV1Block(8, 2, batch_norm=True),
        MobileNetV2Block(8, 1, expansion=4),
    ],
)
def test_block_config_round_trip(block):
    entry = json.loads(json.dumps(layer_to_config(block)))
    clone = layer_from_config(entry)
    assert type(clone) is type(block) and clone.config() == block.config()
    X = RNG.standard_normal((2, 6, 6, 3))
    a, b = built(block, X, seed=3), built(clone, X, seed=3)
    assert a.output_shape == b.output_shape
    assert sorted(a.params) == sorted(b.params)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])


# -- in a model
def _tiny_model():
    from glassnet.layers.conv.pooling import GlobalAvgPool2D
    from glassnet.layers.dense import Dense

    layers = [
        ResidualBlock(4, 1, batch_norm=True),
        InceptionModule(2, 2, 2, 1, 2, 2),
        MobileNetV2Block(6, 2, expansion=2, batch_norm=True),
        GlobalAvgPool2D(),
        Dense(3, activation="softmax"),
    ]
    return Sequential(layers, loss="categorical_crossentropy")


def test_blocks_in_a_sequential_model():
    model = _tiny_model().build((6, 6, 4), seed=0, dtype="float64")
    names = set(model.parameters)
    assert {"W_a1", "gamma_a1", "W_b_red2", "W_expand3", "W4", "b4"} <= names
    assert "running_mean_a1" in model.state
    X = RNG.standard_normal((5, 6, 6, 4))
    Y = np.eye(3)[:, RNG.integers(0, 3, 5)]
    model.train_step(X, Y)
    assert set(model.grads) == {"d" + k for k in names}
    from glassnet.gradcheck import gradient_check

    for layer in model.layers:
        if hasattr(layer, "params"):
            randomize_biases(layer)
    model.forward(X, training=True)  # running averages away from their start
    result = gradient_check(model, X, Y, max_per_array=15)
    assert result.difference < 1e-7, result


def test_model_with_blocks_saves_and_loads(tmp_path):
    model = _tiny_model().build((6, 6, 4), seed=0)
    X = RNG.standard_normal((4, 6, 6, 4)).astype(np.float32)
    model.forward(X, training=True)
    save_model(model, tmp_path / "m")
    arch = json.loads((tmp_path / "m" / "architecture.json").read_text())
    kinds = [entry["type"] for entry in arch["model"]["layers"]]
    assert kinds[:3] == ["residual_block", "inception_module", "mobilenet_v2_block"]
    loaded = load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.forward(X), model.forward(X), rtol=1e-6, atol=1e-6)


def test_astype_float64_keeps_blocks_in_sync():
    model = _tiny_model().build((6, 6, 4), seed=0).astype("float64")
    X = RNG.standard_normal((2, 6, 6, 4))
    assert model.forward(X).dtype == np.float64
    block = model.layers[0]
    assert block.sublayers()[0].params["W"] is block.params["W_a"]


# -- EfficientNet
def test_compound_scaling():
    s = compound_scaling(0)
    assert s == {"depth": 1.0, "width": 1.0, "resolution": 1.0}
    s = compound_scaling(2)
    assert s["depth"] == pytest.approx(1.44)
    assert s["width"] == pytest.approx(1.21)
    assert s["resolution"] == pytest.approx(1.3225)
    # alpha * beta^2 * gamma^2 ~ 2: FLOPs roughly double per unit of phi
    one = compound_scaling(1)
    assert one["depth"] * one["width"] ** 2 * one["resolution"] ** 2 == pytest.approx(1.92, 0.01)
    assert scale_depth(3, 1.44) == 5
    assert scale_width(32, 1.21) == 40
    assert scale_width(32, 1.0) == 32
    assert scale_resolution(224, 1.15) == 258
