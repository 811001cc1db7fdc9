"""Layers declare their layouts; models, batches and predictions read them, never a rank."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet.layers  # noqa: F401 - registers every layer kind
from glassnet.core.errors import ShapeError
from glassnet.core.layouts import ANY, LAYOUTS, examples_back, examples_first, get_layout
from glassnet.gradcheck import check_layer
from glassnet.layers.base import LAYER_TYPES
from glassnet.layers.batchnorm import BatchNorm
from glassnet.layers.conv.conv import Conv2D
from glassnet.layers.conv.pooling import GlobalAvgPool2D
from glassnet.layers.dense import Dense
from glassnet.layers.flatten import Flatten
from glassnet.layers.time_distributed import TimeDistributed
from glassnet.models.sequential import Sequential


def test_the_layout_table():
    assert get_layout("dense").batch_axis == 1 and get_layout("dense").class_axis == 0
    assert get_layout("image").batch_axis == 0 and get_layout("image").class_axis == -1
    assert get_layout("sequence").batch_axis == 1
    assert get_layout("tokens").batch_axis == 0 and get_layout("transformer").batch_axis == 0
    seq = get_layout("sequence")
    assert seq.describe() == "(n_x, m, T_x)" and seq.describe((4, 7)) == "(4, m, 7)"
    assert seq.example_shape((4, 10, 7)) == (4, 7) and seq.full_shape((4, 7), 10) == (4, 10, 7)
    with pytest.raises(ValueError, match="unknown layout"):
        get_layout("ragged")


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_examples_first_and_back_gather_along_the_batch_axis(axis, rng):
    X = rng.normal(size=(3, 4, 5))
    idx = np.array([3, 0, 2]) if X.shape[axis] > 3 else np.array([2, 0])
    rows = examples_first(X, axis)
    assert rows.flags.c_contiguous
    np.testing.assert_array_equal(examples_back(rows[idx], axis), np.take(X, idx, axis=axis))


@pytest.mark.parametrize("kind", sorted(LAYER_TYPES))
def test_every_registered_layer_declares_its_layouts(kind):
    cls = LAYER_TYPES[kind]
    assert cls.input_layout == ANY or cls.input_layout in LAYOUTS, kind
    if isinstance(cls.__dict__.get("output_layout"), property):
        return  # decided per instance (GlobalAvgPool2D's keepdims)
    assert cls.output_layout == ANY or cls.output_layout in LAYOUTS, kind


def test_flatten_goes_from_image_to_dense_and_dense_refuses_images():
    assert Flatten().connect("image") == "dense"
    assert GlobalAvgPool2D().connect("image") == "dense"
    assert GlobalAvgPool2D(keepdims=True).connect("image") == "image"
    assert BatchNorm().connect("sequence") == "sequence"
    with pytest.raises(ShapeError, match=r"takes dense input \(n, m\), got image.*Flatten"):
        Dense(3).connect("image")
    model = Sequential([Conv2D(2, 3), Dense(3)])
    with pytest.raises(ShapeError, match="layer 2"):
        model.build((6, 6, 1))


def test_the_model_reads_its_layouts_from_the_layers():
    dense = Sequential([Dense(3), Dense(1, "sigmoid")]).build(4)
    assert (dense.input_layout.name, dense.output_layout.name, dense.batch_axis) == (
        "dense", "dense", 1)
    conv = Sequential([BatchNorm(), Conv2D(2, 3), Flatten(), Dense(1, "sigmoid")]).build((5, 5, 1))
    assert (conv.input_layout.name, conv.output_layout.name, conv.batch_axis) == (
        "image", "dense", 0)
    # a 3-D input whose examples are on axis 1: a rank-based guess would say axis 0
    seq = Sequential([TimeDistributed(Dense(2, "tanh"))], loss="l2").build((3, 7))
    assert (seq.input_layout.name, seq.output_layout.name, seq.batch_axis) == (
        "sequence", "sequence", 1)
    seq.check_input(np.zeros((3, 11, 7)))
    with pytest.raises(ShapeError, match=r"takes \(3, m, 7\), got \(11, 3, 7\)"):
        seq.check_input(np.zeros((11, 3, 7)))


def test_prediction_in_batches_cuts_and_joins_along_m(rng):
    model = Sequential([TimeDistributed(Dense(2, "tanh"))], loss="l2").build((3, 4), seed=1)
    X = rng.normal(size=(3, 10, 4)).astype(np.float32)
    whole = model.predict_proba(X)
    assert whole.shape == (2, 10, 4)
    np.testing.assert_allclose(model.predict_proba(X, batch_size=3), whole, rtol=1e-6)
    # images in, per-pixel values out: joined along axis 0 of (m, n_H, n_W, n_C)
    conv = Sequential([Conv2D(2, 3, padding="same", activation="linear")], loss="l2")
    conv.build((5, 5, 1), seed=0)
    images = rng.normal(size=(7, 5, 5, 1)).astype(np.float32)
    np.testing.assert_allclose(conv.predict_proba(images, batch_size=2), conv.predict_proba(images),
                               rtol=1e-6)


def test_batch_norm_on_sequences_normalizes_each_feature_over_examples_and_time(rng):
    layer = BatchNorm()
    layer.connect("sequence")
    layer.build((3, 5), rng, np.float64)
    assert layer.params["gamma"].shape == (3, 1, 1)
    Z = rng.normal(2.0, 3.0, size=(3, 8, 5))
    A = layer.forward(Z, training=True)
    np.testing.assert_allclose(A.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(A.var(axis=(1, 2)), 1, rtol=1e-4)
    layer.params["beta"][...] = rng.normal(size=(3, 1, 1))
    result = check_layer(layer, Z)  # m is read from the layout: axis 1
    assert result.difference < 1e-7, result
