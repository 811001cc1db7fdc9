"""Softmax and categorical cross-entropy along the class axis of an image layout (per pixel)."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.functions.activations import Softmax, get_activation
from glassnet.gradcheck import gradient_check
from glassnet.layers.conv.conv import Conv2D
from glassnet.models.sequential import Sequential

RNG = np.random.default_rng(7)


def _pixel_classifier(dtype: str = "float64") -> Sequential:
    model = Sequential([Conv2D(3, 3, padding="same", activation="tanh"),
                        Conv2D(4, 1, activation="softmax")], loss="categorical_crossentropy")
    return model.build((5, 6, 2), seed=3, dtype=dtype)


def test_softmax_of_images_normalizes_each_pixel_over_the_channels():
    conv = Conv2D(3, 1, activation="softmax")
    conv.build((1, 1, 2), np.random.default_rng(0), np.float64)
    X = RNG.standard_normal((2, 1, 1, 2))
    A = conv.forward(X)
    np.testing.assert_allclose(A.sum(axis=-1), 1.0)
    # changing one example leaves the other's output as it was
    X2 = X.copy()
    X2[1] += 5.0
    np.testing.assert_array_equal(conv.forward(X2)[0], A[0])


def test_softmax_axis_round_trips_and_refuses_other_axes():
    act = get_activation({"name": "softmax", "axis": -1})
    assert isinstance(act, Softmax) and act.axis == -1
    assert get_activation(act.config()).axis == -1
    assert Softmax().config() == {"name": "softmax"}  # dense configs stay as 0.1 wrote them
    with pytest.raises(ValueError, match="axis"):
        Softmax(axis=2)


def test_per_pixel_labels_cost_and_gradient():
    model = _pixel_classifier()
    X = RNG.standard_normal((3, 5, 6, 2))
    labels = RNG.integers(0, 4, (3, 5, 6))
    Y = model.prepare_labels(labels)
    assert Y.shape == (3, 5, 6, 4)
    np.testing.assert_array_equal(model.prepare_labels(Y), Y)  # one-hot passes through
    A = model.forward(X)
    # the cost is the mean over examples and pixels of -log a_y
    picked = np.take_along_axis(A, labels[..., None], axis=-1)[..., 0]
    assert model.compute_cost(A, Y) == pytest.approx(-np.log(picked).mean(), rel=1e-12)
    assert model.predict(X).shape == (3, 5, 6)
    np.testing.assert_array_equal(model.predict(X), A.argmax(axis=-1))
    result = gradient_check(model, X, Y)
    assert result.difference < 1e-7, result


def test_per_pixel_cost_matches_torch_cross_entropy():
    torch = pytest.importorskip("torch")
    model = _pixel_classifier()
    X = RNG.standard_normal((2, 5, 6, 2))
    labels = RNG.integers(0, 4, (2, 5, 6))
    Y = model.prepare_labels(labels)
    A = model.forward(X, training=True)
    cost = model.compute_cost(A, Y)
    model.backward(A, Y)
    Z = torch.tensor(model.layers[-1].logits_of(A), requires_grad=True)  # (m, H, W, C)
    loss = torch.nn.functional.cross_entropy(Z.permute(0, 3, 1, 2), torch.tensor(labels))
    loss.backward()
    assert cost == pytest.approx(loss.item(), rel=1e-12)
    # the last layer's dW from our backward equals torch's through the 1x1 convolution
    A_prev = model.layers[0].forward(X)
    dW = np.einsum("mhwc,mhwk->ck", A_prev, Z.grad.numpy())[None, None]
    np.testing.assert_allclose(model.grads["dW2"], dW, rtol=1e-10, atol=1e-12)


def test_a_confidently_wrong_pixel_costs_its_logit():
    conv = Sequential([Conv2D(2, 1, activation="softmax", use_bias=False)],
                      loss="categorical_crossentropy").build((1, 1, 1), seed=0, dtype="float64")
    conv.parameters["W1"][...] = np.array([40.0, 0.0]).reshape(1, 1, 1, 2)
    X = np.ones((1, 1, 1, 1))
    Y = conv.prepare_labels(np.ones((1, 1, 1), dtype=int))
    assert conv.compute_cost(conv.forward(X), Y) == pytest.approx(np.logaddexp(40.0, 0.0))


def test_a_softmax_activation_layer_on_images_is_per_pixel():
    from glassnet.layers.activation import ActivationLayer

    model = Sequential([Conv2D(3, 1), ActivationLayer("softmax")],
                       loss="categorical_crossentropy").build((2, 2, 2), seed=0, dtype="float64")
    X = RNG.standard_normal((3, 2, 2, 2))
    A = model.forward(X)
    np.testing.assert_allclose(A.sum(axis=-1), 1.0)
    Y = model.prepare_labels(RNG.integers(0, 3, (3, 2, 2)))
    assert model.compute_cost(A, Y) == pytest.approx(
        -np.log((A * Y).sum(-1)).mean(), rel=1e-12)
    assert gradient_check(model, X, Y).difference < 1e-7
    # a dense softmax layer stays over axis 0
    from glassnet.layers.dense import Dense

    dense = Sequential([Dense(3), ActivationLayer("softmax")],
                       loss="categorical_crossentropy").build((4,), seed=0)
    np.testing.assert_allclose(dense.forward(RNG.standard_normal((4, 5))).sum(axis=0), 1.0,
                               rtol=1e-6)
