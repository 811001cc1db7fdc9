"""Losses: the cost is the mean over m of the per-example loss; gradients checked in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import numerical_grad, rel_diff

from glassnet.functions.activations import Sigmoid, Softmax
from glassnet.functions.losses import (
    LOSSES,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    L1Loss,
    L2Loss,
    get_loss,
)

# -- hand values ---------------------------------------------------------------------------

def test_logistic_loss_hand_value():
    A = np.array([[0.9, 0.2, 0.6]])
    Y = np.array([[1.0, 0.0, 1.0]])
    # L = -(y log a + (1 - y) log(1 - a)): log .9, log .8, log .6; J = mean
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.6)) / 3
    assert BinaryCrossEntropy().cost(A, Y) == pytest.approx(expected, rel=1e-12)


def test_logistic_loss_sums_over_output_units_then_averages_over_m():
    # multi-label: 2 independent sigmoids, 2 examples
    A = np.array([[0.9, 0.3], [0.4, 0.8]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    per_example = [-(math.log(0.9) + math.log(0.6)), -(math.log(0.7) + math.log(0.8))]
    assert BinaryCrossEntropy().cost(A, Y) == pytest.approx(sum(per_example) / 2, rel=1e-12)


def test_categorical_cross_entropy_hand_value():
    A = np.array([[0.7, 0.1], [0.2, 0.3], [0.1, 0.6]])  # (C=3, m=2), columns sum to 1
    Y = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    expected = -(math.log(0.7) + math.log(0.6)) / 2
    assert CategoricalCrossEntropy().cost(A, Y) == pytest.approx(expected, rel=1e-12)


def test_l2_loss_hand_value():
    A = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
    Y = np.array([[0.0, 2.0, 5.0], [1.0, 0.0, 1.0]])
    # per example sum of squares: 1 + 1, 0 + 0, 4 + 0 -> mean 6/3
    assert L2Loss().cost(A, Y) == pytest.approx(2.0)
    np.testing.assert_allclose(L2Loss().gradient(A, Y), 2 * (A - Y))


def test_l1_loss_hand_value():
    A = np.array([[1.0, 2.0, 3.0, -1.0]])
    Y = np.array([[0.0, 2.0, 5.0, 1.0]])
    assert L1Loss().cost(A, Y) == pytest.approx((1 + 0 + 2 + 2) / 4)
    np.testing.assert_array_equal(L1Loss().gradient(A, Y), [[1.0, 0.0, -1.0, -1.0]])


def test_cost_is_a_python_float():
    A = np.array([[0.5, 0.5]])
    Y = np.array([[1.0, 0.0]])
    for name in LOSSES:
        assert isinstance(get_loss(name).cost(A, Y), float)


# -- gradients, checked numerically ----------------------------------------------------------

def _case(name: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    m = 6
    if name == "binary_crossentropy":
        return rng.uniform(0.05, 0.95, (2, m)), (rng.random((2, m)) > 0.5).astype(float)
    if name == "multitask_bce":  # with missing ("?") labels, which carry no gradient
        Y = (rng.random((3, m)) > 0.5).astype(float)
        Y[0, 1] = np.nan
        Y[2, 4] = -1
        return rng.uniform(0.05, 0.95, (3, m)), Y
    if name == "categorical_crossentropy":
        A = Softmax().forward(rng.standard_normal((4, m)))
        Y = np.eye(4)[:, rng.integers(0, 4, m)]
        return A, Y
    A = rng.standard_normal((3, m))
    Y = A + rng.uniform(0.1, 1.0, (3, m)) * rng.choice([-1, 1], (3, m))  # no |a - y| kink
    return A, Y


@pytest.mark.parametrize("name", sorted(set(LOSSES) | {"multitask_bce"}))
def test_gradient_is_the_per_example_derivative(name, rng):
    # gradient(A, Y) is dL/dA per example, i.e. m * dJ/dA
    loss = get_loss(name)
    A, Y = _case(name, rng)
    m = A.shape[1]
    numeric = numerical_grad(lambda a: loss.cost(a, Y), A.copy())
    analytic = loss.gradient(A, Y)
    assert analytic.shape == A.shape
    assert rel_diff(analytic, m * numeric) < 1e-7


def test_sigmoid_logistic_and_softmax_cross_entropy_give_dZ_equal_A_minus_Y(rng):
    # the chain rule through the activation reproduces the notes' shortcut dZ = A - Y
    Z = rng.standard_normal((1, 5))
    Y = np.array([[1.0, 0.0, 1.0, 1.0, 0.0]])
    A = Sigmoid().forward(Z)
    dZ = Sigmoid().backward(BinaryCrossEntropy().gradient(A, Y), Z, A)
    np.testing.assert_allclose(dZ, A - Y, rtol=1e-10, atol=1e-12)
    Z = rng.standard_normal((3, 5))
    Y = np.eye(3)[:, [0, 2, 1, 1, 0]]
    A = Softmax().forward(Z)
    dZ = Softmax().backward(CategoricalCrossEntropy().gradient(A, Y), Z, A)
    np.testing.assert_allclose(dZ, A - Y, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "loss, act, C", [(BinaryCrossEntropy(), Sigmoid(), 1), (BinaryCrossEntropy(), Sigmoid(), 3),
                     (CategoricalCrossEntropy(), Softmax(), 4)]
)
def test_cost_from_logits_equals_cost_of_the_activation(loss, act, C, rng):
    Z = rng.standard_normal((C, 7)) * 3
    if isinstance(act, Softmax):
        Y = np.eye(C)[:, rng.integers(0, C, 7)]
    else:
        Y = (rng.random((C, 7)) > 0.5).astype(float)
    assert loss.cost_from_logits(Z, Y) == pytest.approx(loss.cost(act.forward(Z), Y), rel=1e-10)


def test_cost_from_logits_gradient_is_A_minus_Y_over_m(rng):
    Z = rng.standard_normal((4, 5))
    Y = np.eye(4)[:, [0, 1, 2, 3, 0]]
    loss = CategoricalCrossEntropy()
    numeric = numerical_grad(lambda z: loss.cost_from_logits(z, Y), Z.copy())
    assert rel_diff(numeric, (Softmax().forward(Z) - Y) / 5) < 1e-7


# -- extremes and lookups ------------------------------------------------------------------

def test_categorical_cross_entropy_with_zero_probability_is_finite():
    A = np.array([[1.0, 0.0], [0.0, 1.0]])
    Y = np.array([[0.0, 0.0], [1.0, 1.0]])  # first example puts probability 0 on its class
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        cost = CategoricalCrossEntropy().cost(A, Y)
        grad = CategoricalCrossEntropy().gradient(A, Y)
    assert np.isfinite(cost) and cost > 5
    assert np.isfinite(grad).all()


def test_get_loss_aliases_and_errors():
    assert isinstance(get_loss("logistic"), BinaryCrossEntropy)
    assert isinstance(get_loss("cross_entropy"), CategoricalCrossEntropy)
    assert isinstance(get_loss("mse"), L2Loss)
    assert isinstance(get_loss("MAE"), L1Loss)
    assert isinstance(get_loss({"name": "l1"}), L1Loss)
    inst = L2Loss()
    assert get_loss(inst) is inst
    assert BinaryCrossEntropy.canonical_activation == "sigmoid"
    assert CategoricalCrossEntropy.canonical_activation == "softmax"
    assert L2Loss.canonical_activation is None
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        get_loss("hinge")
