"""glassnet.course: the notebooks' functions give the notebooks' published values."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet.course as course
from glassnet import gradcheck
from glassnet.data import batches
from glassnet.functions import activations, initializers, losses
from glassnet.layers import dense
from glassnet.layers.conv import reference
from glassnet.models import functional as models_functional
from glassnet.optim import functional as optim_functional
from glassnet.optim import schedules

#: where each of the course's names lives in the library (course.py holds no math)
HOMES = {
    "sigmoid": activations,
    "initialize_parameters": initializers,
    "initialize_parameters_deep": initializers,
    "linear_forward": dense,
    "linear_activation_forward": dense,
    "linear_backward": dense,
    "linear_activation_backward": dense,
    "L_model_forward": models_functional,
    "L_model_backward": models_functional,
    "gradient_check_n": models_functional,
    "compute_cost": losses,
    "update_parameters": optim_functional,
    "initialize_velocity": optim_functional,
    "update_parameters_with_momentum": optim_functional,
    "initialize_adam": optim_functional,
    "update_parameters_with_adam": optim_functional,
    "update_lr": schedules,
    "schedule_lr_decay": schedules,
    "random_mini_batches": batches,
}
ALIASES = {"gradient_check": (gradcheck, "gradient_check_1d")}


def test_every_name_is_the_librarys_own_function():
    for name in course.__all__:
        module, attr = ALIASES.get(name, (HOMES.get(name, reference), name))
        assert getattr(course, name) is getattr(module, attr), name
    assert set(HOMES) | set(ALIASES) <= set(course.__all__)


def test_every_name_has_a_pointer_in_the_docstring():
    for name in course.__all__:
        assert f"``{name}(" in course.__doc__, name


def test_zero_pad():
    np.random.seed(1)
    x = np.random.randn(4, 3, 3, 2)
    x_pad = course.zero_pad(x, 2)
    assert x_pad.shape == (4, 7, 7, 2)
    np.testing.assert_allclose(x[1, 1], [[0.90085595, -0.68372786], [-0.12289023, -0.93576943],
                                         [-0.26788808, 0.53035547]], atol=1e-8)
    np.testing.assert_array_equal(x_pad[1, 1], np.zeros((7, 2)))


def test_conv_single_step():
    np.random.seed(1)
    a_slice_prev = np.random.randn(4, 4, 3)
    W = np.random.randn(4, 4, 3)
    b = np.random.randn(1, 1, 1)
    assert course.conv_single_step(a_slice_prev, W, b) == pytest.approx(-6.99908945068, abs=1e-10)


def test_conv_forward():
    np.random.seed(1)
    A_prev = np.random.randn(10, 5, 7, 4)
    W = np.random.randn(3, 3, 4, 8)
    b = np.random.randn(1, 1, 1, 8)
    Z, cache = course.conv_forward(A_prev, W, b, {"pad": 1, "stride": 2})
    assert Z.shape == (10, 3, 4, 8)
    assert np.mean(Z) == pytest.approx(0.692360880758, abs=1e-11)
    np.testing.assert_allclose(Z[3, 2, 1], [-1.28912231, 2.27650251, 6.61941931, 0.95527176,
                                            8.25132576, 2.31329639, 13.00689405, 2.34576051],
                               atol=1e-7)
    # its backward: dZ = 1 everywhere gives db = the number of output positions per filter
    dA_prev, dW, db = course.conv_backward(np.ones_like(Z), cache)
    assert dA_prev.shape == A_prev.shape and dW.shape == W.shape
    np.testing.assert_allclose(db.reshape(-1), np.full(8, Z[..., 0].size))


def test_pool_forward_max():
    np.random.seed(1)
    A_prev = np.random.randn(2, 5, 5, 3)
    A, _ = course.pool_forward(A_prev, {"stride": 1, "f": 3})
    assert A.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(A[1, 1], [[1.96710175, 0.84616065, 1.27375593],
                                         [1.96710175, 0.84616065, 1.23616403],
                                         [1.62765075, 1.12141771, 1.2245077]], atol=1e-8)


def test_pool_backward():
    np.random.seed(1)
    A_prev = np.random.randn(5, 5, 3, 2)
    _, cache = course.pool_forward(A_prev, {"stride": 1, "f": 2})
    dA = np.random.randn(5, 4, 2, 2)
    np.testing.assert_allclose(course.pool_backward(dA, cache, mode="max")[1, 1],
                               [[0.0, 0.0], [5.05844394, -1.68282702], [0.0, 0.0]], atol=1e-8)
    np.testing.assert_allclose(course.pool_backward(dA, cache, mode="average")[1, 1],
                               [[0.08485462, 0.2787552], [1.26461098, -0.25749373],
                                [1.17975636, -0.53624893]], atol=1e-8)


# -- Course 1, week 2 and week 4 ("Building your Deep Neural Network: Step by Step") ----------

def test_sigmoid():
    np.testing.assert_allclose(course.sigmoid(np.array([0, 2])), [0.5, 0.88079708], atol=1e-8)
    np.testing.assert_allclose(course.sigmoid(np.array([1.0, 2.0, 3.0])),
                               [0.73105858, 0.88079708, 0.95257413], atol=1e-8)
    assert float(course.sigmoid(3)) == pytest.approx(0.9525741268224334, rel=1e-15)
    # stable for any z, and the Sigmoid activation is the same function
    z = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])
    with np.errstate(over="raise"):
        np.testing.assert_allclose(course.sigmoid(z),
                                   [0.0, 1 / (1 + np.exp(30.0)), 0.5, 1 / (1 + np.exp(-30.0)), 1.0],
                                   rtol=1e-14, atol=1e-300)
    np.testing.assert_array_equal(activations.Sigmoid().forward(z), course.sigmoid(z))


def test_initialize_parameters():
    p = course.initialize_parameters(3, 2, 1)
    np.testing.assert_allclose(p["W1"], [[0.01624345, -0.00611756, -0.00528172],
                                         [-0.01072969, 0.00865408, -0.02301539]], atol=1e-8)
    np.testing.assert_array_equal(p["b1"], np.zeros((2, 1)))
    np.testing.assert_allclose(p["W2"], [[0.01744812, -0.00761207]], atol=1e-8)
    np.testing.assert_array_equal(p["b2"], np.zeros((1, 1)))


def test_initialize_parameters_deep():
    p = course.initialize_parameters_deep([5, 4, 3])
    assert sorted(p) == ["W1", "W2", "b1", "b2"]
    np.testing.assert_allclose(p["W1"], [
        [0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388],
        [-0.00354759, -0.00082741, -0.00627001, -0.00043818, -0.00477218],
        [-0.01313865, 0.00884622, 0.00881318, 0.01709573, 0.00050034],
        [-0.00404677, -0.0054536, -0.01546477, 0.00982367, -0.01101068]], atol=1e-8)
    np.testing.assert_array_equal(p["b1"], np.zeros((4, 1)))
    np.testing.assert_allclose(p["W2"], [
        [-0.01185047, -0.0020565, 0.01486148, 0.00236716],
        [-0.01023785, -0.00712993, 0.00625245, -0.00160513],
        [-0.00768836, -0.00230031, 0.00745056, 0.01976111]], atol=1e-8)
    np.testing.assert_array_equal(p["b2"], np.zeros((3, 1)))


def test_initialize_parameters_deep_draws_as_a_course_dense_model():
    """The same draws as deep_network(init="random", rng="course", seed=3)'s Dense layers."""
    import glassnet as gn

    model = gn.deep_network([5, 4, 3], init="random", seed=3, rng="course", dtype="float64")
    p = course.initialize_parameters_deep([5, 4, 3])
    for key in ("W1", "W2"):
        np.testing.assert_array_equal(np.asarray(model.parameters[key]), p[key])


def test_linear_forward():
    np.random.seed(1)
    A, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
    Z, cache = course.linear_forward(A, W, b)
    np.testing.assert_allclose(Z, [[3.26295337, -1.23429987]], atol=1e-8)
    assert cache[0] is A and cache[1] is W and cache[2] is b


def test_linear_activation_forward():
    np.random.seed(2)
    A_prev, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
    A, cache = course.linear_activation_forward(A_prev, W, b, activation="sigmoid")
    np.testing.assert_allclose(A, [[0.96890023, 0.11013289]], atol=1e-8)
    A, ((A0, W0, b0), Z) = course.linear_activation_forward(A_prev, W, b, activation="relu")
    np.testing.assert_allclose(A, [[3.43896131, 0.0]], atol=1e-8)
    np.testing.assert_allclose(Z, W @ A_prev + b)


def _l_model_forward_case():
    np.random.seed(6)
    X = np.random.randn(5, 4)
    shapes = [(4, 5), (4, 1), (3, 4), (3, 1), (1, 3), (1, 1)]
    keys = ["W1", "b1", "W2", "b2", "W3", "b3"]
    return X, {k: np.random.randn(*s) for k, s in zip(keys, shapes, strict=True)}


def test_L_model_forward():
    X, parameters = _l_model_forward_case()
    AL, caches = course.L_model_forward(X, parameters)
    np.testing.assert_allclose(AL, [[0.03921668, 0.70498921, 0.19734387, 0.04728177]],
                               atol=1e-8)
    assert len(caches) == 3


def test_compute_cost():
    Y = np.asarray([[1, 1, 0]])
    AL = np.array([[0.8, 0.9, 0.4]])
    assert course.compute_cost(AL, Y) == pytest.approx(0.2797765635793422, rel=1e-14)
    # the BinaryCrossEntropy loss is the same cost (it clips AL first, a no-op here)
    assert losses.BinaryCrossEntropy().cost(AL, Y) == course.compute_cost(AL, Y)


def test_linear_backward():
    np.random.seed(1)
    dZ, A, W, b = (np.random.randn(3, 4), np.random.randn(5, 4), np.random.randn(3, 5),
                   np.random.randn(3, 1))
    dA_prev, dW, db = course.linear_backward(dZ, (A, W, b))
    np.testing.assert_allclose(dA_prev, [
        [-1.15171336, 0.06718465, -0.3204696, 2.09812712],
        [0.60345879, -3.72508701, 5.81700741, -3.84326836],
        [-0.4319552, -1.30987417, 1.72354705, 0.05070578],
        [-0.38981415, 0.60811244, -1.25938424, 1.47191593],
        [-2.52214926, 2.67882552, -0.67947465, 1.48119548]], atol=1e-8)
    np.testing.assert_allclose(dW, [
        [0.07313866, -0.0976715, -0.87585828, 0.73763362, 0.00785716],
        [0.85508818, 0.37530413, -0.59912655, 0.71278189, -0.58931808],
        [0.97913304, -0.24376494, -0.08839671, 0.55151192, -0.10290907]], atol=1e-8)
    np.testing.assert_allclose(db, [[-0.14713786], [-0.11313155], [-0.13209101]], atol=1e-8)
    # the notebook's earlier test case (one unit, two examples)
    np.random.seed(1)
    dZ, A, W, b = (np.random.randn(1, 2), np.random.randn(3, 2), np.random.randn(1, 3),
                   np.random.randn(1, 1))
    dA_prev, dW, db = course.linear_backward(dZ, (A, W, b))
    np.testing.assert_allclose(dA_prev, [[0.51822968, -0.19517421], [-0.40506361, 0.15255393],
                                         [2.37496825, -0.89445391]], atol=1e-8)
    np.testing.assert_allclose(dW, [[-0.10076895, 1.40685096, 1.64992505]], atol=1e-8)
    np.testing.assert_allclose(db, [[0.50629448]], atol=1e-8)


def test_linear_activation_backward():
    np.random.seed(2)
    dA, A, W, b, Z = (np.random.randn(1, 2), np.random.randn(3, 2), np.random.randn(1, 3),
                      np.random.randn(1, 1), np.random.randn(1, 2))
    cache = ((A, W, b), Z)
    dA_prev, dW, db = course.linear_activation_backward(dA, cache, activation="sigmoid")
    np.testing.assert_allclose(dA_prev, [[0.11017994, 0.01105339], [0.09466817, 0.00949723],
                                         [-0.05743092, -0.00576154]], atol=1e-8)
    np.testing.assert_allclose(dW, [[0.10266786, 0.09778551, -0.01968084]], atol=1e-8)
    np.testing.assert_allclose(db, [[-0.05729622]], atol=1e-8)
    dA_prev, dW, db = course.linear_activation_backward(dA, cache, activation="relu")
    np.testing.assert_allclose(dA_prev, [[0.44090989, 0.0], [0.37883606, 0.0],
                                         [-0.2298228, 0.0]], atol=1e-8)
    np.testing.assert_allclose(dW, [[0.44513824, 0.37371418, -0.10478989]], atol=1e-8)
    np.testing.assert_allclose(db, [[-0.20837892]], atol=1e-8)


def test_L_model_backward():
    np.random.seed(3)
    AL = np.random.randn(1, 2)
    Y = np.array([[1, 0]])
    A1, W1, b1, Z1 = (np.random.randn(4, 2), np.random.randn(3, 4), np.random.randn(3, 1),
                      np.random.randn(3, 2))
    A2, W2, b2, Z2 = (np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1),
                      np.random.randn(1, 2))
    grads = course.L_model_backward(AL, Y, [((A1, W1, b1), Z1), ((A2, W2, b2), Z2)])
    assert sorted(grads) == ["dA0", "dA1", "dW1", "dW2", "db1", "db2"]
    np.testing.assert_allclose(grads["dW1"], [[0.41010002, 0.07807203, 0.13798444, 0.10502167],
                                              [0.0, 0.0, 0.0, 0.0],
                                              [0.05283652, 0.01005865, 0.01777766, 0.0135308]],
                               atol=1e-8)
    np.testing.assert_allclose(grads["db1"], [[-0.22007063], [0.0], [-0.02835349]], atol=1e-8)
    np.testing.assert_allclose(grads["dA1"], [[0.12913162, -0.44014127],
                                              [-0.14175655, 0.48317296],
                                              [0.01663708, -0.05670698]], atol=1e-8)
    np.testing.assert_allclose(grads["dA0"], [[0.0, 0.52257901], [0.0, -0.3269206],
                                              [0.0, -0.32070404], [0.0, -0.74079187]], atol=1e-8)


def test_update_parameters():
    np.random.seed(2)
    shapes = {"W1": (3, 4), "b1": (3, 1), "W2": (1, 3), "b2": (1, 1)}
    parameters = {k: np.random.randn(*s) for k, s in shapes.items()}
    np.random.seed(3)
    grads = {"d" + k: np.random.randn(*s) for k, s in shapes.items()}
    before = {k: v.copy() for k, v in parameters.items()}
    new = course.update_parameters(parameters, grads, 0.1)
    np.testing.assert_allclose(new["W1"], [[-0.59562069, -0.09991781, -2.14584584, 1.82662008],
                                           [-1.76569676, -0.80627147, 0.51115557, -1.18258802],
                                           [-1.0535704, -0.86128581, 0.68284052, 2.20374577]],
                               atol=1e-8)
    np.testing.assert_allclose(new["b1"], [[-0.04659241], [-1.28888275], [0.53405496]],
                               atol=1e-8)
    np.testing.assert_allclose(new["W2"], [[-0.55569196, 0.0354055, 1.32964895]], atol=1e-8)
    np.testing.assert_allclose(new["b2"], [[-0.84610769]], atol=1e-8)
    for k in before:  # the arguments are left as they were
        np.testing.assert_array_equal(parameters[k], before[k])
