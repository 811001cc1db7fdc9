"""Weight initializers: W[l] = N(0, 1) * scale, with the scale of each scheme.

=========  ==========================  ==============================
name       scale                       use
=========  ==========================  ==============================
zeros      0 (W = 0)                   shows the symmetry problem
random     0.01 (any ``scale``)        small random numbers
he         sqrt(2 / n[l-1])            ReLU layers
xavier     sqrt(1 / n[l-1])            tanh layers
glorot     sqrt(2 / (n[l-1] + n[l]))   the Glorot/Bengio variant
=========  ==========================  ==============================

``fan_in`` is n[l-1] for a dense layer and f * f * n_C_prev for a convolution.
Biases start at zero.  ``rng`` is either a ``numpy.random.Generator`` (glassnet's
seeded mode) or the module ``numpy.random`` (the course-compatible mode, which
draws from NumPy's legacy global state, as the course's notebooks do).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy

INITIALIZERS = ("zeros", "random", "he", "xavier", "glorot")


def init_scale(name: str, fan_in: int, fan_out: int, scale: float = 0.01) -> float:
    """The standard deviation that ``name`` gives a weight with these fans."""
    key = name.lower()
    if key == "zeros":
        return 0.0
    if key == "random":
        return float(scale)
    if key == "he":
        return math.sqrt(2.0 / fan_in)
    if key == "xavier":
        return math.sqrt(1.0 / fan_in)
    if key == "glorot":
        return math.sqrt(2.0 / (fan_in + fan_out))
    raise ValueError(f"unknown initializer {name!r}: expected one of {', '.join(INITIALIZERS)}")


def standard_normal(rng: Any, shape: tuple[int, ...]) -> numpy.ndarray:
    """N(0, 1) draws of ``shape`` (float64) from a Generator or the legacy ``numpy.random``."""
    if isinstance(rng, numpy.random.Generator):
        return rng.standard_normal(shape)
    return rng.randn(*shape)  # legacy global state: numpy.random.randn


def initialize_weight(
    name: str,
    shape: tuple[int, ...],
    fan_in: int,
    fan_out: int,
    rng: Any,
    scale: float = 0.01,
) -> numpy.ndarray:
    """W = N(0, 1) * init_scale(...) of ``shape`` (float64 on the host; the layer casts it).

    ``zeros`` draws nothing, so it leaves the random stream untouched.
    """
    s = init_scale(name, fan_in, fan_out, scale)
    if name.lower() == "zeros":
        return numpy.zeros(shape)
    if name.lower() == "xavier":
        # randn / sqrt(n[l-1]), as the course's L-layer notebook writes it: bit-identical
        # draws (multiplying by sqrt(1 / n[l-1]) can differ in the last bit)
        return standard_normal(rng, shape) / math.sqrt(fan_in)
    return standard_normal(rng, shape) * s


# -- the course's parameter dictionaries (Course 1, week 4) -------------------------------
def initialize_parameters_deep(
    layer_dims: Sequence[int], seed: int | None = 3, init: str = "random", scale: float = 0.01
) -> dict[str, numpy.ndarray]:
    """``{"W1": ..., "b1": ..., "WL": ..., "bL": ...}`` for ``layer_dims = [n_x, n[1], ..., n[L]]``.

    W[l] (n[l], n[l-1]) = randn(n[l], n[l-1]) * 0.01 (``init="random"``, the step-by-step
    notebook; ``init="xavier"`` is the application notebook's randn / sqrt(n[l-1])), drawn
    W1, W2, ... from NumPy's legacy global state after ``numpy.random.seed(seed)`` (the
    notebook seeds inside the function, with 3; ``seed=None`` leaves the state alone);
    b[l] (n[l], 1) = 0.  The draws are :func:`initialize_weight`'s, as a Dense layer's.
    """
    dims = [int(d) for d in layer_dims]
    if seed is not None:
        numpy.random.seed(seed)
    parameters: dict[str, numpy.ndarray] = {}
    for l in range(1, len(dims)):  # noqa: E741 (the course's layer index)
        n, n_prev = dims[l], dims[l - 1]
        parameters[f"W{l}"] = initialize_weight(init, (n, n_prev), n_prev, n, numpy.random, scale)
        parameters[f"b{l}"] = numpy.zeros((n, 1))
    return parameters


def initialize_parameters(
    n_x: int, n_h: int, n_y: int, seed: int | None = 1
) -> dict[str, numpy.ndarray]:
    """The 2-layer network's ``{"W1" (n_h, n_x), "b1" (n_h, 1), "W2" (n_y, n_h), "b2" (n_y, 1)}``.

    W = randn * 0.01, b = 0, after ``numpy.random.seed(seed)`` (the notebook's 1):
    :func:`initialize_parameters_deep` of ``[n_x, n_h, n_y]``.
    """
    return initialize_parameters_deep([n_x, n_h, n_y], seed=seed)
