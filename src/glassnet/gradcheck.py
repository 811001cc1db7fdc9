"""Gradient checking, as the notes teach it.

All parameters are flattened into one vector theta.  For each component i::

    dtheta_approx[i] = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)      eps = 1e-7

and the backward pass is trusted when::

    difference = ||dtheta - dtheta_approx||_2 / (||dtheta||_2 + ||dtheta_approx||_2)

is small: below 1e-7 great, around 1e-5 worth a look, 1e-3 or more wrong.  The
check runs in float64 (float32 cannot resolve a step of 1e-7).

Two entry points:

* :func:`gradient_check` on a whole model (anything exposing ``parameters``,
  ``grads``, ``forward``, ``backward`` and ``compute_cost``, such as
  :class:`glassnet.models.Sequential`);
* :func:`check_layer` on one layer or block, with the cost
  J = (1/m) sum(R * layer.forward(A_prev)) for a fixed random R.

The course's notebook functions sit at the end: :func:`gradient_check_1d` (J = theta x)
and :func:`check_parameters` (its ``gradient_check_n`` over a parameters dict, for any cost).

Underneath all of them, :func:`numerical_gradients` is the one implementation of the two-sided
differences (:func:`numerical_gradient` applies it to a function of one array).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy

from glassnet.core.backend import get_xp, to_numpy

EPSILON = 1e-7
GREAT = 1e-7
CHECK = 1e-5
WRONG = 1e-3


def verdict(difference: float) -> str:
    """The notes' reading of a relative difference."""
    if not numpy.isfinite(difference):
        return "wrong: the difference is not finite"
    if difference < GREAT:
        return "great: the backward pass agrees with the numerical gradient"
    if difference < CHECK:
        return "probably fine, but check: the difference is above 1e-7"
    if difference < WRONG:
        return "suspicious: check the components with the largest differences"
    return "wrong: there is very likely a bug in the backward pass"


@dataclass
class GradCheckResult:
    """Outcome of a gradient check.

    ``difference`` is the notes' relative difference over all of theta;
    ``per_parameter`` gives it for each named array; ``worst`` names the array
    with the largest one.
    """

    difference: float
    per_parameter: dict[str, float] = field(default_factory=dict)
    worst: str = ""
    n_checked: int = 0
    threshold: float = GREAT
    #: the components there are (0: unknown); more than n_checked when a sample was checked
    n_total: int = 0

    @property
    def passed(self) -> bool:
        return bool(numpy.isfinite(self.difference) and self.difference < self.threshold)

    @property
    def verdict(self) -> str:
        return verdict(self.difference)

    def __str__(self) -> str:
        lines = [
            f"relative difference {self.difference:.3e} over {self.n_checked} components"
            + (f" (a random sample of {self.n_total:,}; check all with max_per_array=None)"
               if self.n_total > self.n_checked else "")
            + f": {self.verdict}"
        ]
        for name, d in sorted(self.per_parameter.items(), key=lambda kv: -kv[1]):
            mark = "  <- worst" if name == self.worst else ""
            lines.append(f"  {name:>12}  {d:.3e}{mark}")
        return "\n".join(lines)


def relative_difference(a: Any, b: Any) -> float:
    """||a - b|| / (||a|| + ||b||); 0 when both are zero."""
    a = numpy.asarray(a, dtype=numpy.float64).ravel()
    b = numpy.asarray(b, dtype=numpy.float64).ravel()
    denom = numpy.linalg.norm(a) + numpy.linalg.norm(b)
    if denom == 0:
        return 0.0
    return float(numpy.linalg.norm(a - b) / denom)


def _sample_indices(size: int, max_per_array: int | None, rng: numpy.random.Generator):
    if max_per_array is None or size <= max_per_array:
        return numpy.arange(size)
    return numpy.sort(rng.choice(size, max_per_array, replace=False))


def numerical_gradients(
    cost: Callable[[], float],
    arrays: dict[str, Any],
    epsilon: float = EPSILON,
    max_per_array: int | None = None,
    seed: int = 0,
    step: Callable[[], None] | None = None,
) -> dict[str, tuple[numpy.ndarray, numpy.ndarray]]:
    """Two-sided differences of ``cost()`` with respect to each array, perturbed in place.

    Returns ``{name: (indices, dtheta_approx at those flat indices)}``; with
    ``max_per_array`` only a random subset of each array's components is probed.
    ``step`` is called after each component (a progress bar's update).
    """
    rng = numpy.random.default_rng(seed)
    out = {}
    for name, arr in arrays.items():
        if not arr.flags.c_contiguous:
            raise ValueError(f"gradient check needs contiguous arrays; {name} is not")
        flat = arr.reshape(-1)  # a view, so writes reach the model
        idx = _sample_indices(arr.size, max_per_array, rng)
        approx = numpy.empty(len(idx))
        for j, i in enumerate(idx):
            i = int(i)
            old = float(flat[i])
            flat[i] = old + epsilon
            j_plus = cost()
            flat[i] = old - epsilon
            j_minus = cost()
            flat[i] = old
            approx[j] = (j_plus - j_minus) / (2 * epsilon)
            if step is not None:
                step()
        out[name] = (idx, approx)
    return out


def numerical_gradient(
    cost: Callable[[Any], float], x: Any, epsilon: float = EPSILON
) -> numpy.ndarray:
    """dJ/dx by two-sided differences for a scalar ``cost(x)``, with ``x``'s shape.

    The whole array is probed (:func:`numerical_gradients` on the one array ``x``, which
    is perturbed in place and restored); ``x`` must be a contiguous float64 array.
    """
    if getattr(x, "dtype", None) != numpy.float64:
        raise TypeError(f"numerical gradients need a float64 array, got {getattr(x, 'dtype', x)}")
    ((idx, approx),) = numerical_gradients(lambda: cost(x), {"x": x}, epsilon).values()
    grad = numpy.empty(x.size)
    grad[idx] = approx
    return grad.reshape(x.shape)


def _compare(
    analytic: dict[str, Any],
    numeric: dict[str, tuple[numpy.ndarray, numpy.ndarray]],
    threshold: float,
) -> GradCheckResult:
    per = {}
    all_a, all_n = [], []
    for name, (idx, approx) in numeric.items():
        a = to_numpy(analytic[name]).astype(numpy.float64).reshape(-1)[idx]
        per[name] = relative_difference(a, approx)
        all_a.append(a)
        all_n.append(approx)
    total = (
        relative_difference(numpy.concatenate(all_a), numpy.concatenate(all_n)) if all_a else 0.0
    )
    worst = max(per, key=per.get) if per else ""
    return GradCheckResult(total, per, worst, int(sum(len(x) for x in all_a)), threshold)


#: models with at most this many parameter components are checked in full by default
AUTO_FULL = 20_000
#: components per parameter array checked by default in a larger model
AUTO_SAMPLE = 200
#: checks of more components than this show a progress bar on a terminal
PROGRESS_FROM = 2_000


def gradient_check(
    model: Any,
    X: Any,
    Y: Any,
    epsilon: float = EPSILON,
    threshold: float = GREAT,
    max_per_array: int | None | str = "auto",
    seed: int = 0,
    training: bool = False,
    progress: bool | None = None,
) -> GradCheckResult:
    """Check ``model``'s backward pass on (X, Y) against two-sided differences of its cost.

    ``max_per_array``: check at most this many randomly chosen components of each
    parameter array (None: all of them).  ``"auto"`` checks all of a model with at most
    :data:`AUTO_FULL` components and :data:`AUTO_SAMPLE` per array of a larger one (two
    forward passes per component: the cat network's 245,973 took minutes); the result says
    how many of how many were checked.  ``progress``: a progress bar of the components
    checked (None: on a terminal, for checks of over :data:`PROGRESS_FROM` components).

    The model must be in float64 (``model.astype("float64")``).  Dropout must
    be off (the notes: check without dropout, then switch it on); the forward
    passes here run with ``training=False`` for exactly that reason, while
    L2 regularization stays in the cost.  ``training=True`` checks the
    training-mode pass instead (batch norm's mini-batch statistics); the
    model's non-trained state (running averages) is restored afterwards, and
    dropout layers then need fixed masks (``Dropout.set_mask``).
    """
    params = model.parameters
    for name, p in params.items():
        if p.dtype != numpy.float64 and str(p.dtype) != "float64":
            raise TypeError(
                f"gradient check needs float64 parameters; {name} is {p.dtype} "
                "(call model.astype('float64') first)"
            )
    xp = get_xp()
    X = xp.asarray(X, dtype=xp.float64)
    Y = xp.asarray(Y, dtype=xp.float64)

    saved_state = {k: v.copy() for k, v in getattr(model, "state", {}).items()}
    AL = model.forward(X, training=training)
    model.backward(AL, Y)
    grads = model.grads
    analytic = {name: grads["d" + name].copy() for name in params if "d" + name in grads}
    checked = {name: params[name] for name in analytic}

    def cost() -> float:
        return float(model.compute_cost(model.forward(X, training=training), Y))

    total = int(sum(int(p.size) for p in checked.values()))
    if max_per_array == "auto":
        max_per_array = None if total <= AUTO_FULL else AUTO_SAMPLE
    n_checks = sum(p.size if max_per_array is None else min(p.size, int(max_per_array))
                   for p in checked.values())
    if progress is None:
        progress = n_checks > PROGRESS_FROM and sys.stderr.isatty()
    from tqdm.auto import tqdm

    bar = tqdm(total=n_checks, desc="gradient check", unit="component", leave=False,
               disable=not progress)
    try:
        numeric = numerical_gradients(cost, checked, epsilon, max_per_array, seed,
                                      step=lambda: bar.update(1))
    finally:
        bar.close()
        if saved_state:
            model.set_parameters(saved_state, strict=False)
    result = _compare(analytic, numeric, threshold)
    result.n_total = total
    return result


def check_layer(
    layer: Any,
    A_prev: Any,
    *,
    batch_axis: int | None = None,
    epsilon: float = EPSILON,
    seed: int = 0,
    training: bool = True,
    threshold: float = GREAT,
    check_input: bool = True,
    max_per_array: int | None = None,
    before_forward: Callable[[], None] | None = None,
) -> GradCheckResult:
    """Gradient-check one (built, float64) layer or block on input ``A_prev``.

    Cost: J = (1/m) sum(R * layer.forward(A_prev)), R fixed standard normal, so
    the per-example dA passed to backward is R.  The layer's grads are dJ/dparam;
    its returned dA_prev is the per-example gradient, m * dJ/dA_prev.

    ``batch_axis`` defaults to the batch axis of the layout the layer was built for
    (``layer.layout``: 1 for dense and sequence inputs, 0 for images).  Pass
    ``before_forward`` to reset any randomness (for example a fixed dropout mask)
    before each forward pass.  The layer's non-trained ``state`` (batch norm's running
    averages, moved by every training-mode pass of the check) is restored afterwards.
    """
    for name, p in layer.params.items():
        if str(p.dtype) != "float64":
            raise TypeError(
                f"gradient check needs float64 parameters; {layer.describe()}'s {name} is "
                f"{p.dtype} (build the layer with dtype float64)"
            )
    xp = get_xp()
    A_prev = xp.asarray(A_prev, dtype=xp.float64).copy()
    if batch_axis is None:
        layout = getattr(layer, "layout", None)  # a built layer knows its input's layout
        batch_axis = layout.batch_axis if layout is not None else (1 if A_prev.ndim == 2 else 0)
    m = A_prev.shape[batch_axis]

    def run():
        if before_forward is not None:
            before_forward()
        return layer.forward(A_prev, training=training)

    def cost() -> float:
        return float((R * run()).sum() / m)

    saved_state = {k: v.copy() for k, v in (getattr(layer, "state", None) or {}).items()}
    try:
        out = run()
        R = xp.asarray(numpy.random.default_rng(seed).standard_normal(out.shape))
        run()
        dA_prev = layer.backward(R)
        analytic: dict[str, Any] = {}
        checked: dict[str, Any] = {}
        for name, p in layer.params.items():
            if "d" + name in layer.grads:
                analytic[name] = layer.grads["d" + name].copy()
                checked[name] = p
        if check_input:
            if dA_prev is None:
                raise ValueError(
                    f"{layer.describe()}: backward returned no dA_prev "
                    "(propagate_input_grad is False); pass check_input=False"
                )
            analytic["A_prev"] = dA_prev / m
            checked["A_prev"] = A_prev
        numeric = numerical_gradients(cost, checked, epsilon, max_per_array, seed)
    finally:
        for k, v in saved_state.items():
            layer.state[k][...] = v
    return _compare(analytic, numeric, threshold)


def check_function(
    f: Callable[[Any], Any],
    df: Callable[[Any], Any],
    points: Iterable[float] | Any,
    epsilon: float = EPSILON,
) -> float:
    """Relative difference between ``df(x)`` and two-sided differences of an element-wise ``f``."""
    x = numpy.asarray(points, dtype=numpy.float64)
    approx = (to_numpy(f(x + epsilon)) - to_numpy(f(x - epsilon))) / (2 * epsilon)
    return relative_difference(to_numpy(df(x)), approx)


# -- the course's gradient checking notebook (Course 2, week 1) ------------------------------
def _report(difference: float, print_msg: bool) -> float:
    if print_msg:
        print(f"{verdict(difference)}: difference = {difference}")
    return difference


def gradient_check_1d(x: float, theta: float, epsilon: float = EPSILON,
                      print_msg: bool = False) -> float:
    """The notebook's one-dimensional check: J(theta) = theta x, whose dJ/dtheta = x.

    difference = |dtheta - dtheta_approx| / (|dtheta| + |dtheta_approx|), with
    dtheta_approx = (J(theta + eps) - J(theta - eps)) / (2 eps) from
    :func:`numerical_gradient`.  ``print_msg`` prints the notes' :func:`verdict`.
    """
    theta_arr = numpy.array([theta], dtype=numpy.float64)
    approx = numerical_gradient(lambda t: t[0] * x, theta_arr, epsilon)
    return _report(relative_difference(x, approx), print_msg)


def check_parameters(
    cost: Callable[[dict[str, numpy.ndarray]], float],
    parameters: dict[str, Any],
    gradients: dict[str, Any],
    epsilon: float = EPSILON,
    print_msg: bool = False,
) -> float:
    """The notebook's n-dimensional check of ``gradients["dW1"], ...`` against J(parameters).

    Every parameter (all of ``parameters``, as one vector theta) is probed by
    :func:`numerical_gradients` on a float64 copy, passed to ``cost(params)``; the result is
    the notes' difference over the whole vector (the caller's arrays are not touched).
    """
    theta = {k: numpy.array(to_numpy(v), dtype=numpy.float64, order="C", copy=True)
             for k, v in parameters.items()}
    numeric = numerical_gradients(lambda: float(cost(theta)), theta, epsilon)
    analytic = {k: gradients["d" + k] for k in theta}
    return _report(_compare(analytic, numeric, GREAT).difference, print_msg)
