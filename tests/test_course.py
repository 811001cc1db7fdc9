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
from glassnet.layers.recurrent import reference as recurrent_reference
from glassnet.models import functional as models_functional
from glassnet.optim import functional as optim_functional
from glassnet.optim import schedules
from glassnet.text import dinosaurus, dinosaurus_model

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
    **{name: recurrent_reference for name in (
        "rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "rnn_backward",
        "lstm_cell_forward", "lstm_forward", "lstm_cell_backward", "lstm_backward")},
    **{name: dinosaurus for name in ("clip", "sample", "optimize")},
}
ALIASES = {"gradient_check": (gradcheck, "gradient_check_1d"),
           "dinosaurus_model": (dinosaurus_model, "model")}


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


# -- Course 2, week 1 ("Gradient Checking") ---------------------------------------------------

def test_gradient_check_1d():
    # J = theta x: dtheta = x exactly, so only the two-sided difference's rounding remains
    assert course.gradient_check(3, 4) == pytest.approx(7.814075313343006e-11, rel=1e-9)
    assert course.gradient_check(2, 4) == pytest.approx(2.919335883291695e-10, rel=1e-9)


def test_gradient_check_1d_prints_the_verdict(capsys):
    course.gradient_check(3, 4, print_msg=True)
    assert "difference = 7.81" in capsys.readouterr().out


def _gradient_check_n_case():
    """The notebook's case: 4 features, 3 examples, LINEAR->RELU->LINEAR->RELU->LINEAR->SIGMOID."""
    np.random.seed(1)
    X = np.random.randn(4, 3)
    Y = np.array([1, 1, 0])
    shapes = [(5, 4), (5, 1), (3, 5), (3, 1), (1, 3), (1, 1)]
    keys = ["W1", "b1", "W2", "b2", "W3", "b3"]
    return X, Y, {k: np.random.randn(*s) for k, s in zip(keys, shapes, strict=True)}


def test_gradient_check_n():
    X, Y, parameters = _gradient_check_n_case()
    before = {k: v.copy() for k, v in parameters.items()}
    AL, caches = course.L_model_forward(X, parameters)
    grads = course.L_model_backward(AL, Y, caches)
    # the correct backward pass passes the notebook's test (difference < 2e-7)
    assert course.gradient_check_n(parameters, grads, X, Y, 1e-7) < 2e-7
    # the notebook's planted bugs, dW2 = 2/m dZ2 A1^T and db1 = 4/m sum(dZ1): its 0.2850931568
    buggy = dict(grads, dW2=2 * grads["dW2"], db1=4 * grads["db1"])
    difference = course.gradient_check_n(parameters, buggy, X, Y, 1e-7)
    assert difference == pytest.approx(0.2850931567761623, rel=1e-8)
    for k in before:  # probed on copies
        np.testing.assert_array_equal(parameters[k], before[k])


# -- Course 2, week 2 ("Optimization Methods") ------------------------------------------------

def test_random_mini_batches():
    np.random.seed(1)
    X = np.random.randn(12288, 148)
    Y = np.random.randn(1, 148) < 0.5
    mini_batches = course.random_mini_batches(X, Y, 64)
    assert [mb[0].shape for mb in mini_batches] == [(12288, 64), (12288, 64), (12288, 20)]
    assert [mb[1].shape for mb in mini_batches] == [(1, 64), (1, 64), (1, 20)]
    np.testing.assert_allclose(mini_batches[0][0][0][0:3], [0.90085595, -0.7612069, 0.2344157],
                               atol=1e-8)
    # X and Y are shuffled together: every example once, its label with it
    perm = np.random.RandomState(0).permutation(148)
    np.testing.assert_array_equal(np.concatenate([mb[0] for mb in mini_batches], axis=1),
                                  X[:, perm])
    np.testing.assert_array_equal(np.concatenate([mb[1] for mb in mini_batches], axis=1),
                                  Y[:, perm])


def _optimizer_case():
    np.random.seed(1)
    shapes = {"W1": (2, 3), "b1": (2, 1), "W2": (3, 3), "b2": (3, 1)}
    parameters = {k: np.random.randn(*s) for k, s in shapes.items()}
    grads = {"d" + k: np.random.randn(*s) for k, s in shapes.items()}
    return parameters, grads


def test_initialize_velocity():
    parameters, _ = _optimizer_case()
    v = course.initialize_velocity(parameters)
    assert sorted(v) == ["dW1", "dW2", "db1", "db2"]
    for k, p in parameters.items():
        np.testing.assert_array_equal(v["d" + k], np.zeros_like(p))


def test_update_parameters_with_momentum():
    parameters, grads = _optimizer_case()
    v = course.initialize_velocity(parameters)
    parameters, v = course.update_parameters_with_momentum(parameters, grads, v, beta=0.9,
                                                           learning_rate=0.01)
    np.testing.assert_allclose(parameters["W1"], [[1.62544598, -0.61290114, -0.52907334],
                                                  [-1.07347112, 0.86450677, -2.30085497]],
                               atol=1e-8)
    np.testing.assert_allclose(parameters["b1"], [[1.74493465], [-0.76027113]], atol=1e-8)
    np.testing.assert_allclose(parameters["W2"], [[0.31930698, -0.24990073, 1.4627996],
                                                  [-2.05974396, -0.32173003, -0.38320915],
                                                  [1.13444069, -1.0998786, -0.1713109]],
                               atol=1e-8)
    np.testing.assert_allclose(parameters["b2"], [[-0.87809283], [0.04055394], [0.58207317]],
                               atol=1e-8)
    np.testing.assert_allclose(v["dW1"], [[-0.11006192, 0.11447237, 0.09015907],
                                          [0.05024943, 0.09008559, -0.06837279]], atol=1e-8)
    np.testing.assert_allclose(v["db1"], [[-0.01228902], [-0.09357694]], atol=1e-8)
    np.testing.assert_allclose(v["dW2"], [[-0.02678881, 0.05303555, -0.06916608],
                                          [-0.03967535, -0.06871727, -0.08452056],
                                          [-0.06712461, -0.00126646, -0.11173103]], atol=1e-8)
    np.testing.assert_allclose(v["db2"], [[0.02344157], [0.16598022], [0.07420442]], atol=1e-8)


def test_initialize_adam():
    parameters, _ = _optimizer_case()
    v, s = course.initialize_adam(parameters)
    for k, p in parameters.items():
        np.testing.assert_array_equal(v["d" + k], np.zeros_like(p))
        np.testing.assert_array_equal(s["d" + k], np.zeros_like(p))
    assert v["dW1"] is not s["dW1"]


def test_update_parameters_with_adam():
    parameters, grads = _optimizer_case()
    v, s = course.initialize_adam(parameters)
    t, lr, b1, b2, eps = 2, 0.01, 0.9, 0.999, 1e-8
    new, v, s, v_corr, s_corr = course.update_parameters_with_adam(
        parameters, grads, v, s, t=t, learning_rate=lr, beta1=b1, beta2=b2, epsilon=eps)
    np.testing.assert_allclose(new["W1"], [[1.63178673, -0.61919778, -0.53561312],
                                           [-1.08040999, 0.85796626, -2.29409733]], atol=1e-8)
    np.testing.assert_allclose(new["b1"], [[1.75225313], [-0.75376553]], atol=1e-8)
    np.testing.assert_allclose(v["dW1"], [[-0.11006192, 0.11447237, 0.09015907],
                                          [0.05024943, 0.09008559, -0.06837279]], atol=1e-8)
    np.testing.assert_allclose(s["dW1"], [[0.00121136, 0.00131039, 0.00081287],
                                          [0.0002525, 0.00081154, 0.00046748]], atol=1e-8)
    # every array against the notebook's equations, written out
    for k, p in parameters.items():
        dW = grads["d" + k]
        vk, sk = (1 - b1) * dW, (1 - b2) * dW**2
        vc, sc = vk / (1 - b1**t), sk / (1 - b2**t)
        np.testing.assert_allclose(v["d" + k], vk, rtol=1e-14)
        np.testing.assert_allclose(s["d" + k], sk, rtol=1e-14)
        np.testing.assert_allclose(v_corr["d" + k], vc, rtol=1e-14)
        np.testing.assert_allclose(s_corr["d" + k], sc, rtol=1e-14)
        np.testing.assert_allclose(new[k], p - lr * vc / (np.sqrt(sc) + eps), rtol=1e-13)


def test_update_lr():
    assert course.update_lr(0.5, 2, 1) == pytest.approx(0.16666666666666666, rel=1e-15)
    assert course.update_lr(0.5, 0, 1) == 0.5


def test_schedule_lr_decay():
    # floor(100 / 1000) = 0: no decay yet; then 0.5 / (1 + 0.3 * 1) after 100 epochs of 100
    assert course.schedule_lr_decay(0.5, 100, 1) == 0.5
    assert course.schedule_lr_decay(0.5, 100, 0.3, time_interval=100) == pytest.approx(
        0.38461538461538464, rel=1e-15)
    assert [course.schedule_lr_decay(0.1, e, 1) for e in (999, 1000, 2999, 3000)] == \
        pytest.approx([0.1, 0.05, 0.1 / 3, 0.025], rel=1e-15)


# -- the library's own paths compute the same thing -------------------------------------------

def test_dense_layer_runs_linear_forward_and_backward():
    from glassnet.layers.dense import Dense

    rng = np.random.default_rng(0)
    for activation in ("relu", "sigmoid", "tanh", "linear"):
        layer = Dense(4, activation)
        layer.build((3,), rng, np.float64)
        layer.params["b"] = rng.standard_normal((4, 1))
        A_prev = rng.standard_normal((3, 5))
        W, b = layer.params["W"], layer.params["b"]
        A, cache = course.linear_activation_forward(A_prev, W, b, activation)
        np.testing.assert_array_equal(layer.forward(A_prev, training=True), A)
        dA = rng.standard_normal((4, 5))
        dA_prev, dW, db = course.linear_activation_backward(dA, cache, activation)
        np.testing.assert_allclose(layer.backward(dA.copy()), dA_prev, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(layer.grads["dW"], dW, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(layer.grads["db"], db, rtol=1e-13, atol=1e-15)


def test_l_model_matches_a_sequential_network():
    """deep_network's forward and grads are L_model_forward's and L_model_backward's."""
    import glassnet as gn

    X, parameters = _l_model_forward_case()
    Y = (np.random.default_rng(1).random((1, 4)) > 0.5).astype(float)
    model = gn.deep_network([5, 4, 3, 1], init="random", seed=0, dtype="float64")
    model.set_parameters(parameters)
    AL, caches = course.L_model_forward(X, parameters)
    np.testing.assert_allclose(model.forward(X, training=True), AL, rtol=1e-14)
    model.backward(model.forward(X, training=True), Y)
    grads = course.L_model_backward(AL, Y, caches)
    for key in parameters:
        np.testing.assert_allclose(model.grads["d" + key], grads["d" + key], rtol=1e-10,
                                   atol=1e-14)
    assert model.compute_cost(AL, Y) == pytest.approx(course.compute_cost(AL, Y), rel=1e-14)


@pytest.mark.parametrize("name", ["gd", "momentum", "adam"])
def test_optimizer_steps_are_the_dict_functions(name):
    from glassnet.optim.optimizers import get_optimizer

    parameters, grads = _optimizer_case()
    opt = get_optimizer(name, learning_rate=0.01)
    params = {k: p.copy() for k, p in parameters.items()}
    for _ in range(3):
        opt.step(params, grads)
    p = parameters
    if name == "gd":
        for _ in range(3):
            p = course.update_parameters(p, grads, 0.01)
    elif name == "momentum":
        v = course.initialize_velocity(p)
        for _ in range(3):
            p, v = course.update_parameters_with_momentum(p, grads, v, 0.9, 0.01)
    else:
        v, s = course.initialize_adam(p)
        for t in (1, 2, 3):
            p, v, s, _, _ = course.update_parameters_with_adam(p, grads, v, s, t, 0.01)
        for k in v:
            np.testing.assert_array_equal(v[k], opt.v[k])
            np.testing.assert_array_equal(s[k], opt.s[k])
    for k in params:
        np.testing.assert_array_equal(p[k], params[k])


def test_trainer_orders_mini_batches_as_random_mini_batches(monkeypatch):
    """The Trainer cuts each epoch with shuffled_batches; given the notebook's generator
    (seed(seed), then permutation) its mini-batches are random_mini_batches'."""
    import glassnet as gn
    from glassnet.train import trainer as trainer_module

    cuts = []

    def spy(m, size, rng):
        cuts.append(batches.shuffled_batches(m, size, rng))
        return cuts[-1]

    class CourseOrder(trainer_module.Trainer):
        def _seed_epoch(self, epoch):
            super()._seed_epoch(epoch)
            return np.random.RandomState(7)

    monkeypatch.setattr(trainer_module, "shuffled_batches", spy)
    X = np.random.default_rng(0).standard_normal((2, 10))
    Y = (X[:1] > 0).astype(float)
    model = gn.deep_network([2, 3, 1], dtype="float64")
    CourseOrder(model, optimizer="gd", learning_rate=0.01, epochs=1, batch_size=4,
                progress=False).fit(X, Y)
    (idx,) = cuts
    expected = course.random_mini_batches(X, Y, 4, seed=7)
    assert [len(i) for i in idx] == [4, 4, 2]
    for i, (mb_X, mb_Y) in zip(idx, expected, strict=True):
        np.testing.assert_array_equal(X[:, i], mb_X)
        np.testing.assert_array_equal(Y[:, i], mb_Y)
