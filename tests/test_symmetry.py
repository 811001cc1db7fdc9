"""The notes' symmetry argument: with zero initialization every hidden unit of a layer computes
the same function, receives the same gradient and so stays identical to the others for the
whole of training ("symmetry breaking" needs random initial weights).

Two settings:

* the course's initialization exercise (circles, 2-10-5-1, ReLU, zeros): with ReLU the
  hidden activations are relu(0) = 0, every weight gradient is 0 and the network stays at
  chance, 50% on train and test (the course's figure);
* a sigmoid hidden layer, where sigma(0) = 1/2 lets the weights move: they do move, but
  every row of W[1] (one row per hidden unit) stays equal to every other row.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import circles, planar_flower
from glassnet.train.trainer import fit


def _rows_identical(W: np.ndarray, rtol: float = 0.0) -> bool:
    """All rows of W equal to the first: bit for bit by default, else up to ``rtol`` times the
    largest entry (BLAS may round the rows of one matrix product differently, ~1e-16)."""
    W = np.asarray(W)
    return bool(np.all(np.abs(W - W[:1]) <= rtol * np.abs(W).max()))


def _accuracy(model, X, Y) -> float:
    return float(np.mean(np.asarray(model.predict(X)) == Y))


def test_zero_init_relu_circles_stays_symmetric_and_at_chance() -> None:
    X, Y, X_test, Y_test = circles()
    model = gn.deep_network([2, 10, 5, 1], hidden_activation="relu", init="zeros", seed=3,
                            rng="course", dtype="float64")
    hist = fit(model, X, Y, optimizer="gd", learning_rate=0.01, epochs=500, record_every=100,
               progress=False)
    p = {k: np.asarray(v) for k, v in model.parameters.items()}
    for name in ("W1", "W2", "W3"):
        assert _rows_identical(p[name]), name
    # relu(0) = 0 and relu'(0) = 0: no weight ever receives a gradient
    assert not np.any(p["W1"]) and not np.any(p["W2"]) and not np.any(p["W3"])
    assert _rows_identical(p["b1"]) and _rows_identical(p["b2"])
    # the cost never leaves log(2): the course prints 0.6931471805599453 at every iteration
    assert all(abs(c - np.log(2)) < 1e-12 for c in hist.costs.values())
    assert _accuracy(model, X, Y) == pytest.approx(0.50)
    assert _accuracy(model, X_test, Y_test) == pytest.approx(0.50)


@pytest.mark.parametrize("layer_dims", [[2, 4, 1], [2, 6, 3, 1]])
def test_zero_init_sigmoid_units_learn_but_stay_identical(layer_dims: list[int]) -> None:
    # 100 red and 200 blue points: with balanced classes the symmetric point is stationary
    # (dW[L] = mean(A - Y) * 1/2 = 0) and nothing would move at all
    X, Y = planar_flower()
    X, Y = X[:, 100:], Y[:, 100:]
    model = gn.deep_network(layer_dims, hidden_activation="sigmoid", init="zeros",
                            dtype="float64")
    fit(model, X, Y, optimizer="gd", learning_rate=1.2, epochs=300, progress=False)
    p = {k: np.asarray(v) for k, v in model.parameters.items()}
    n_layers = len(layer_dims) - 1
    for l in range(1, n_layers + 1):
        W, b = p[f"W{l}"], p[f"b{l}"]
        assert np.abs(W).max() > 1e-3, f"W{l} barely moved: the test would prove nothing"
        assert _rows_identical(W, 1e-12), f"the units of layer {l} drifted apart"
        assert _rows_identical(b, 1e-12), f"the biases of layer {l} drifted apart"
        if l > 1:
            # ...and each unit weighs every (identical) unit of the layer below the same
            assert _rows_identical(W.T, 1e-12), f"W{l} treats identical inputs differently"
    # all hidden units alike: the hidden layer acts as one unit, and the flower stays far
    # from the ~90% that random initialization reaches
    assert _accuracy(model, X, Y) < 0.8


def test_random_init_breaks_symmetry() -> None:
    X, Y = planar_flower()
    model = gn.deep_network([2, 4, 1], hidden_activation="sigmoid", init="random",
                            init_scale=0.01, seed=2, rng="course", dtype="float64")
    fit(model, X, Y, optimizer="gd", learning_rate=1.2, epochs=300, progress=False)
    W1 = np.asarray(model.parameters["W1"])
    # every pair of hidden units differs
    diffs = [np.abs(W1[i] - W1[j]).max() for i in range(4) for j in range(i + 1, 4)]
    assert min(diffs) > 1e-3
