"""Activations: derivatives gradient-checked in float64, known values, stability at +-1000."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import numerical_grad, rel_diff

from glassnet.functions.activations import (
    ACTIVATIONS,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
    get_activation,
)
from glassnet.functions.losses import BinaryCrossEntropy, CategoricalCrossEntropy
from glassnet.gradcheck import check_function

ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "linear"]


def _points(name: str, rng: np.random.Generator) -> np.ndarray:
    """Float64 test points; for the kinked ones (ReLU, leaky) none within 0.05 of 0."""
    z = rng.uniform(-4, 4, size=(5, 7))
    if name in ("relu", "leaky_relu"):
        z = np.where(np.abs(z) < 0.05, 0.5, z)
    return z


def test_every_activation_is_registered():
    # the course's seven (other modules may register more, e.g. MobileNet's relu6)
    assert set(ELEMENTWISE) | {"softmax"} <= set(ACTIVATIONS)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_two_sided_differences(name, rng):
    act = get_activation(name)
    z = _points(name, rng)
    diff = check_function(act.forward, lambda x: act.derivative(x, act.forward(x)), z)
    assert diff < 1e-7, f"{name}: relative difference {diff:.2e}"


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_backward_is_dA_times_derivative(name, rng):
    # J(Z) = sum(R * g(Z)) has dJ/dZ = R * g'(Z) = backward(R, Z, A)
    act = get_activation(name)
    Z = _points(name, rng)
    R = rng.standard_normal(Z.shape)
    numeric = numerical_grad(lambda z: float((R * act.forward(z)).sum()), Z.copy())
    analytic = act.backward(R, Z, act.forward(Z))
    assert analytic.shape == Z.shape
    assert rel_diff(analytic, numeric) < 1e-7


@pytest.mark.parametrize("slope", [0.01, 0.2])
def test_leaky_relu_derivative_checked_with_its_slope(slope, rng):
    act = LeakyReLU(slope)
    z = _points("leaky_relu", rng)
    assert check_function(act.forward, lambda x: act.derivative(x, act.forward(x)), z) < 1e-7


def test_softmax_backward_applies_the_full_jacobian(rng):
    # J(Z) = sum(R * softmax(Z)); dJ/dZ per column = (diag(a) - a a^T) R
    act = Softmax()
    Z = rng.standard_normal((4, 6)) * 2
    R = rng.standard_normal(Z.shape)
    numeric = numerical_grad(lambda z: float((R * act.forward(z)).sum()), Z.copy())
    analytic = act.backward(R, Z, act.forward(Z))
    assert rel_diff(analytic, numeric) < 1e-7
    # explicitly against the Jacobian of the first column
    a = act.forward(Z)[:, 0]
    J = np.diag(a) - np.outer(a, a)
    np.testing.assert_allclose(analytic[:, 0], J @ R[:, 0], rtol=1e-12, atol=1e-14)


def test_softmax_derivative_is_the_jacobian_diagonal(rng):
    Z = rng.standard_normal((3, 4))
    A = Softmax().forward(Z)
    np.testing.assert_allclose(Softmax().derivative(Z, A), A * (1 - A))


# -- known values --------------------------------------------------------------------------

def test_sigmoid_known_values():
    z = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_allclose(
        Sigmoid().forward(z), [0.1192, 0.2689, 0.5, 0.7311, 0.8808], atol=5e-5
    )
    np.testing.assert_allclose(Sigmoid().forward(z), 1 / (1 + np.exp(-z)), rtol=1e-15)


def test_softmax_notes_example():
    # the notes apply softmax to each row of this 2x4 example; glassnet's classes are axis 0,
    # so the rows go in as the columns of a (C=4, m=2) array
    example = np.array([[0.0, 9.0, 3.0, 0.0], [3.0, 0.0, 8.0, 1.0]])
    A = Softmax().forward(example.T).T
    expected = np.array(
        [[1.23e-4, 9.97e-1, 2.47e-3, 1.23e-4], [6.68e-3, 3.33e-4, 9.92e-1, 9.05e-4]]
    )
    np.testing.assert_allclose(A, expected, rtol=5e-3)
    np.testing.assert_allclose(A.sum(axis=1), 1.0)


def test_other_known_values():
    z = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(Tanh().forward(z), np.tanh(z))
    np.testing.assert_array_equal(ReLU().forward(z), [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(ReLU().derivative(z, None), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(Softplus().forward(z), np.log1p(np.exp(z)), rtol=1e-15)
    np.testing.assert_allclose(Softplus().forward(np.array([0.0])), [np.log(2.0)])
    np.testing.assert_array_equal(Linear().forward(z), z)
    np.testing.assert_array_equal(Linear().derivative(z, z), np.ones(3))


def test_leaky_relu_slope_parameter():
    z = np.array([-2.0, -0.5, 0.5, 3.0])
    default = LeakyReLU()
    assert default.slope == 0.01
    np.testing.assert_allclose(default.forward(z), [-0.02, -0.005, 0.5, 3.0])
    np.testing.assert_allclose(default.derivative(z, None), [0.01, 0.01, 1.0, 1.0])
    steep = get_activation({"name": "leaky_relu", "slope": 0.2})
    assert isinstance(steep, LeakyReLU) and steep.slope == 0.2
    np.testing.assert_allclose(steep.forward(z), [-0.4, -0.1, 0.5, 3.0])
    np.testing.assert_allclose(steep.derivative(z, None), [0.2, 0.2, 1.0, 1.0])
    assert steep.config() == {"name": "leaky_relu", "slope": 0.2}
    with pytest.raises(ValueError, match="slope"):
        LeakyReLU(-0.1)
    with pytest.raises(ValueError, match="slope"):
        LeakyReLU(1.5)


def test_get_activation_names_aliases_and_errors():
    assert isinstance(get_activation("ReLU"), ReLU)
    assert isinstance(get_activation("leaky-relu"), LeakyReLU)
    assert isinstance(get_activation("identity"), Linear)
    assert isinstance(get_activation(None), Linear)
    inst = Tanh()
    assert get_activation(inst) is inst
    for name in ACTIVATIONS:
        assert get_activation(get_activation(name).config()).name == name
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        get_activation("swish")


def test_activations_keep_float32(rng):
    Z = rng.standard_normal((3, 5)).astype(np.float32)
    for name in ACTIVATIONS:
        act = get_activation(name)
        assert act.forward(Z).dtype == np.float32, name
        assert act.backward(Z, Z, act.forward(Z)).dtype == np.float32, name


# -- stability at the extremes --------------------------------------------------------------

BIG = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_activations_finite_at_plus_minus_1000(dtype):
    Z = BIG.astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow, 0/0 or log(0)
        for name in ELEMENTWISE:
            act = get_activation(name)
            A = act.forward(Z)
            assert np.isfinite(A).all(), name
            assert np.isfinite(act.derivative(Z, A)).all(), name
    A = Sigmoid().forward(Z)
    assert A[0, 0] == 0.0 or A[0, 0] < 1e-300
    assert A[0, -1] == 1.0
    np.testing.assert_allclose(Softplus().forward(Z)[0, [0, -1]], [0.0, 1000.0], atol=1e-6)


def test_sigmoid_with_logistic_loss_finite_at_plus_minus_1000():
    Z = np.array([[-1000.0, 1000.0, -1000.0, 1000.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])  # two right, two confidently wrong
    loss = BinaryCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        A = Sigmoid().forward(Z)
        cost_a = loss.cost(A, Y)
        cost_z = loss.cost_from_logits(Z, Y)
        dA = loss.gradient(A, Y)
        dZ = A - Y
    assert np.isfinite(cost_a) and np.isfinite(cost_z)
    assert np.isfinite(dA).all() and np.isfinite(dZ).all()
    # from logits the exact value: two examples cost 1000 each, two cost ~0
    assert cost_z == pytest.approx(2000.0 / 4)
    np.testing.assert_allclose(dZ, [[0.0, 0.0, -1.0, 1.0]])


def test_softmax_with_cross_entropy_finite_at_plus_minus_1000():
    Z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 0.0]])
    Y = np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])  # first right, second wrong by 2000
    loss = CategoricalCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        A = Softmax().forward(Z)
        cost_a = loss.cost(A, Y)
        cost_z = loss.cost_from_logits(Z, Y)
        dA = loss.gradient(A, Y)
        dZ = Softmax().backward(dA, Z, A)
    for v in (A, dA, dZ, A - Y):
        assert np.isfinite(v).all()
    assert np.isfinite(cost_a) and np.isfinite(cost_z)
    np.testing.assert_allclose(A.sum(axis=0), 1.0)
    assert cost_z == pytest.approx(2000.0 / 2)


def test_activations_of_exactly_zero_or_one_give_finite_logistic_cost_and_gradient():
    loss = BinaryCrossEntropy()
    for dtype in (np.float32, np.float64):
        A = np.array([[0.0, 1.0, 0.0, 1.0]], dtype=dtype)
        Y = np.array([[0.0, 1.0, 1.0, 0.0]], dtype=dtype)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            cost = loss.cost(A, Y)
            grad = loss.gradient(A, Y)
        assert np.isfinite(cost) and cost > 0
        assert np.isfinite(grad).all()
        # the right answers cost (almost) nothing; the wrong ones push the right way
        assert grad[0, 2] < 0 < grad[0, 3]
