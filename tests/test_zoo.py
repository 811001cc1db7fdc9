"""Model zoo: published parameter counts (counted without allocating), small builds that run."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.layers.base import Layer
from glassnet.models.sequential import Sequential
from glassnet.models.zoo import (
    ZOO,
    alexnet,
    count_parameters,
    get_layers,
    lenet5,
    mobilenet_v1,
    mobilenet_v2,
    resnet50,
    small_convnet,
    small_resnet,
    vgg16,
)

PUBLISHED = {
    # name: (input shape, classes, exact count)
    "lenet5": ((32, 32, 1), 10, 61_706),
    "alexnet": ((227, 227, 3), 1000, 62_378_344),
    "vgg16": ((224, 224, 3), 1000, 138_357_544),
    "resnet50": ((224, 224, 3), 1000, 25_557_032),
    "mobilenet_v1": ((224, 224, 3), 1000, 4_231_976),
    "mobilenet_v2": ((224, 224, 3), 1000, 3_504_872),
}


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_published_parameter_counts(name):
    shape, classes, expected = PUBLISHED[name]
    layers = get_layers(name, shape, classes)
    assert count_parameters(layers, shape) == expected


def test_counts_are_about_the_notes_numbers():
    assert 55_000 < count_parameters(lenet5(), (32, 32, 1)) < 65_000  # ~60k
    assert 58e6 < count_parameters(alexnet(), (227, 227, 3)) < 64e6  # ~60M
    assert count_parameters(resnet50(), (224, 224, 3)) == pytest.approx(25.6e6, rel=0.01)
    assert count_parameters(mobilenet_v1(), (224, 224, 3)) == pytest.approx(4.2e6, rel=0.02)
    assert count_parameters(mobilenet_v2(), (224, 224, 3)) == pytest.approx(3.5e6, rel=0.01)


def test_counting_leaves_the_layers_unbuilt_and_allocates_nothing():
    layers = vgg16()
    count_parameters(layers, (224, 224, 3))
    assert not any(layer.built for layer in layers)
    assert all(not layer.params for layer in layers)


def test_count_matches_a_real_build():
    layers = small_resnet((32, 32, 3), 6, width=8)
    counted = count_parameters(layers, (32, 32, 3))
    shape: tuple[int, ...] = (32, 32, 3)
    rng = np.random.default_rng(0)
    total = 0
    for layer in layers:
        shape = layer.build(shape, rng, np.float32)
        total += layer.n_parameters
    assert counted == total
    assert shape == (6,)


def test_small_convnet_is_the_course_tf_model():
    layers = small_convnet((64, 64, 3), 6)
    shape: tuple[int, ...] = (64, 64, 3)
    shapes = []
    for layer in layers:
        shape = layer.build(shape, np.random.default_rng(0), np.float32)
        shapes.append(shape)
    assert shapes == [(64, 64, 8), (8, 8, 8), (8, 8, 16), (2, 2, 16), (64,), (6,)]
    # W1 4x4x3x8, W2 2x2x8x16, dense 64 -> 6 (with biases)
    assert sum(layer.n_parameters for layer in layers) == 392 + 528 + 390


@pytest.mark.parametrize(
    "name,shape,kwargs",
    [
        ("lenet5", (28, 28, 1), {}),
        ("alexnet", (64, 64, 3), {"width": 0.0625}),
        ("vgg16", (32, 32, 3), {"width": 0.0625, "fc_units": 16}),
        ("resnet50", (32, 32, 3), {"width": 0.125, "stages": (1, 1, 1, 1)}),
        ("mobilenet_v1", (32, 32, 3), {"alpha": 0.125}),
        ("mobilenet_v2", (32, 32, 3), {"alpha": 0.25}),
        ("small_convnet", (64, 64, 3), {}),
        ("small_resnet", (32, 32, 3), {"width": 4}),
    ],
)
def test_small_builds_train_one_step(name, shape, kwargs):
    layers = get_layers(name, shape, 6, **kwargs)
    assert all(isinstance(layer, Layer) for layer in layers)
    model = Sequential(layers, loss="categorical_crossentropy").build(shape, seed=0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, *shape)).astype(np.float32)
    Y = np.eye(6, dtype=np.float32)[:, rng.integers(0, 6, 4)]
    cost = model.train_step(X, Y)
    assert np.isfinite(cost)
    assert model.forward(X).shape == (6, 4)
    for key, p in model.parameters.items():
        assert model.grads["d" + key].shape == p.shape


def test_zoo_registry_and_errors():
    assert set(ZOO) >= {"lenet5", "alexnet", "vgg16", "resnet50", "mobilenet_v1",
                        "mobilenet_v2", "small_convnet", "small_resnet"}
    with pytest.raises(ValueError):
        get_layers("googlenet")
    with pytest.raises(ValueError):
        lenet5((32, 32), 10)
