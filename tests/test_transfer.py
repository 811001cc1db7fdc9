"""Transfer learning: replaced output, added layers, frozen layers untouched by training."""

from __future__ import annotations

import numpy
import pytest

from glassnet.core.errors import GlassnetError
from glassnet.layers import BatchNorm, Dense
from glassnet.models.builders import deep_network
from glassnet.models.saving import load_model, save_model
from glassnet.models.sequential import Sequential
from glassnet.models.transfer import (
    apply_freeze,
    freeze_position,
    frozen_parameters,
    trainable_parameters,
    transfer,
)
from glassnet.train.trainer import fit


@pytest.fixture(scope="module")
def data():
    rng = numpy.random.default_rng(0)
    X = rng.standard_normal((6, 120)).astype(numpy.float32)
    y3 = (X[0] > 0).astype(int) + (X[1] > 0.5).astype(int)  # 3 classes
    yb = (X[2] + X[3] > 0).astype(int)  # a new binary task on the same input
    return X, y3, yb


@pytest.fixture()
def source(data):
    X, y3, _ = data
    model = deep_network([6, 8, 5, 3], seed=0)
    fit(model, X, y3, optimizer="adam", learning_rate=0.01, epochs=20, batch_size=32,
        progress=False)
    return model


def test_replaces_output_and_freezes_the_kept_layers(source):
    before = {k: v.copy() for k, v in source.parameters.items()}
    new = transfer(source, new_output=4)
    assert [type(layer).__name__ for layer in new.layers] == ["Dense", "Dense", "Dense"]
    assert new.layers[-1].units == 4 and new.output_activation == "softmax"
    assert new.loss.name == "categorical_crossentropy" and new.task == "multiclass"
    assert list(new.parameters) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert new.parameters["W3"].shape == (4, 5)
    assert frozen_parameters(new) == ["W1", "b1", "W2", "b2"]
    assert trainable_parameters(new) == ["W3", "b3"]
    # the kept layers carry the trained weights (copied: the source is left alone)
    numpy.testing.assert_array_equal(new.parameters["W1"], before["W1"])
    assert new.parameters["W1"] is not source.parameters["W1"]
    assert all(layer.trainable for layer in source.layers)
    # the new output layer is fresh and seeded
    again = transfer(source, new_output=4)
    numpy.testing.assert_array_equal(again.parameters["W3"], new.parameters["W3"])
    other = transfer(source, new_output=4, seed=5)
    assert not numpy.array_equal(other.parameters["W3"], new.parameters["W3"])
    assert new.metadata["transfer"]["frozen_layers"] == 2


def test_frozen_parameters_stay_bit_identical_and_get_no_gradients(source, data):
    X, _, yb = data
    new = transfer(source, n_freeze=1, new_output=1, task="binary")
    new.regularizer.l2 = 0.1  # weight decay must not reach frozen weights either
    assert new.output_activation == "sigmoid" and new.loss.name == "binary_crossentropy"
    before = {k: v.copy() for k, v in new.parameters.items()}

    def never(dA):  # the frozen layer's backward must not even run
        raise AssertionError("backward ran through a frozen layer")

    new.layers[0].backward = never
    fit(new, X, yb, optimizer="adam", learning_rate=0.01, epochs=15, batch_size=32,
        progress=False)
    after = new.parameters
    assert after["W1"].tobytes() == before["W1"].tobytes()
    assert after["b1"].tobytes() == before["b1"].tobytes()
    for key in ("W2", "b2", "W3", "b3"):  # the rest trained
        assert not numpy.array_equal(after[key], before[key]), key
    assert set(new.grads) == {"dW2", "db2", "dW3", "db3"}
    assert new.layers[0].grads == {}


def test_add_hidden_layers_and_keep_output(source, data):
    X, y3, _ = data
    new = transfer(source, add_hidden=[7], new_output=2)
    assert [layer.units for layer in new.layers] == [8, 5, 7, 2]
    assert list(new.parameters)[-4:] == ["W3", "b3", "W4", "b4"]
    assert new.parameters["W3"].shape == (7, 5)
    assert trainable_parameters(new) == ["W3", "b3", "W4", "b4"]
    # add_hidden without new_output: a new output of the old size
    new = transfer(source, add_hidden=[4])
    assert new.layers[-1].units == 3 and new.n_outputs == 3
    # keep the whole model: fine-tune only the (trained) output layer
    keep = transfer(source)
    numpy.testing.assert_array_equal(keep.parameters["W3"], source.parameters["W3"])
    assert trainable_parameters(keep) == ["W3", "b3"]
    fit(keep, X, y3, epochs=3, learning_rate=0.1, progress=False)
    numpy.testing.assert_array_equal(keep.parameters["W2"], source.parameters["W2"])
    # n_freeze=0: fine-tune everything
    everything = transfer(source, n_freeze=0, new_output=3)
    assert frozen_parameters(everything) == []


def test_from_a_saved_model_directory_and_back(source, tmp_path):
    source.metadata["classes"] = ["a", "b", "c"]
    save_model(source, tmp_path / "src")
    new = transfer(tmp_path / "src", new_output=2, classes=["no", "yes"])
    assert new.metadata["classes"] == ["no", "yes"]
    numpy.testing.assert_array_equal(new.parameters["W2"], source.parameters["W2"])
    save_model(new, tmp_path / "new")
    back = load_model(tmp_path / "new")
    for k, v in new.parameters.items():
        numpy.testing.assert_array_equal(back.parameters[k], v)


def test_freeze_counts_the_notes_layers():
    layers = [Dense(4, "linear", use_bias=False), BatchNorm(), Dense(3), Dense(2, "softmax")]
    model = Sequential(layers, loss="categorical_crossentropy").build(5)
    assert freeze_position(model.layers, 0) == 0
    assert freeze_position(model.layers, 1) == 2  # W1 with its batch norm
    assert freeze_position(model.layers, 3) == 4
    apply_freeze(model, freeze_position(model.layers, 1))
    assert frozen_parameters(model) == ["W1", "gamma1", "beta1"]
    apply_freeze(model, 0)  # unfreeze: backprop reaches every layer again
    assert frozen_parameters(model) == []
    assert [layer.propagate_input_grad for layer in model.layers] == [False, True, True, True]
    with pytest.raises(GlassnetError):
        freeze_position(model.layers, 4)


def test_bad_requests_are_refused(source):
    with pytest.raises(GlassnetError, match="only 2 layers"):
        transfer(source, n_freeze=3, new_output=2)
    with pytest.raises(GlassnetError):
        transfer(source, task="binary")
    with pytest.raises(GlassnetError):
        transfer(source, new_output=3, task="binary")
    with pytest.raises(GlassnetError):
        transfer(source, new_output=0)
    with pytest.raises(GlassnetError):
        transfer("/nonexistent/model/dir", new_output=2)
    with pytest.raises(GlassnetError):
        transfer(Sequential([Dense(2)]), new_output=2)  # not built
