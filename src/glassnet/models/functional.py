"""The course's L-layer network over a parameters dict (Course 1, week 4; Course 2, week 1).

``parameters = {"W1": ..., "b1": ..., ..., "WL": ..., "bL": ...}`` (L = len // 2), the
notebooks' layout: [LINEAR -> RELU] x (L - 1) -> LINEAR -> SIGMOID, examples as columns.
Every step is a function of :mod:`glassnet.layers.dense` (the equations a Dense layer
runs), the cost and dAL those of :mod:`glassnet.functions.losses`::

    A[0] = X;  A[l] = relu(W[l] A[l-1] + b[l]),  l < L;  AL = sigmoid(W[L] A[L-1] + b[L])
    dAL = -(Y / AL) + (1 - Y) / (1 - AL);  then dA[l-1], dW[l], db[l] for l = L, ..., 1

:class:`glassnet.models.Sequential` of Dense layers is the same network as objects.
"""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp
from glassnet.functions.losses import compute_cost, logistic_gradient
from glassnet.gradcheck import EPSILON, check_parameters
from glassnet.layers.dense import linear_activation_backward, linear_activation_forward

Cache = tuple[tuple[Any, Any, Any], Any]  # ((A_prev, W, b), Z) of one layer


def L_model_forward(X: Any, parameters: dict[str, Any]) -> tuple[Any, list[Cache]]:
    """``(AL, caches)``: X (n_x, m) through L - 1 ReLU layers and a sigmoid output.

    ``caches[l - 1]`` is layer l's ``((A_prev, W, b), Z)``; AL is (n[L], m).
    """
    L = len(parameters) // 2
    A = X
    caches: list[Cache] = []
    for l in range(1, L + 1):  # noqa: E741 (the course's layer index)
        activation = "relu" if l < L else "sigmoid"
        A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"],
                                             activation)
        caches.append(cache)
    return A, caches


def L_model_backward(AL: Any, Y: Any, caches: list[Cache]) -> dict[str, Any]:
    """``grads`` with ``dA{l-1}``, ``dW{l}``, ``db{l}`` for l = L, ..., 1 (the notebook's keys).

    Starts from dAL = dL/dAL (:func:`~glassnet.functions.losses.logistic_gradient`) and
    goes back through the sigmoid, then the ReLU layers.  ``Y`` is reshaped to AL's shape.
    """
    Y = get_xp().asarray(Y).reshape(AL.shape)
    L = len(caches)
    grads: dict[str, Any] = {}
    dA = logistic_gradient(AL, Y)
    for l in range(L, 0, -1):  # noqa: E741
        activation = "sigmoid" if l == L else "relu"
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(
            dA, caches[l - 1], activation)
        grads[f"dA{l - 1}"] = dA
    return grads


def gradient_check_n(
    parameters: dict[str, Any],
    gradients: dict[str, Any],
    X: Any,
    Y: Any,
    epsilon: float = EPSILON,
    print_msg: bool = False,
) -> float:
    """The notebook's n-dimensional gradient check of this network's ``gradients``.

    J(theta) = ``compute_cost(L_model_forward(X, theta)[0], Y)``, probed for every
    component of every parameter by :func:`glassnet.gradcheck.check_parameters`; returns
    ||grad - gradapprox|| / (||grad|| + ||gradapprox||) (the notebook flags above 2e-7).
    """
    def cost(theta: dict[str, Any]) -> float:
        return compute_cost(L_model_forward(X, theta)[0], Y)

    return check_parameters(cost, parameters, gradients, epsilon, print_msg)
