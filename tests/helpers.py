"""The test suite's one harness for layers: build, run, compare with a reference, grad-check.

* :func:`built` builds a layer for an example shape (or for an array of examples), seeded,
  in a given dtype;
* :func:`random_input` draws a batch of ``m`` examples in the layer's layout;
* :func:`forward_backward` runs ``A = forward(A_prev)`` and ``dA_prev = backward(dA)`` and
  returns every quantity by its notes' name (``A``, ``dA``, ``dA_prev``, ``dW``, ``db``, ...);
* :func:`assert_close` compares ours with a reference (PyTorch, the notes' loops, a formula)
  quantity by quantity and, on failure, prints a table of ours vs theirs: the largest
  absolute and relative error per quantity and the worst element of each;
* :func:`assert_gradients` gradient-checks a layer through :func:`glassnet.gradcheck.check_layer`
  (float64, relative difference below 1e-7, the parameters and the input);
* :func:`numerical_grad` is :func:`glassnet.gradcheck.numerical_gradient`, the library's one
  implementation of two-sided differences, and :func:`rel_diff` the notes' relative
  difference.

Gradient convention (``glassnet.layers.base``): the ``dA`` handed to ``backward`` is the
per-example dL/dA; the layer's ``grads`` are dJ/dparam of J = 1/m sum_i L(i) (the 1/m lives
in dW, db, ...); the returned ``dA_prev`` is per example again, m * dJ/dA_prev.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pytest

from glassnet.gradcheck import GradCheckResult, check_layer
from glassnet.gradcheck import numerical_gradient as numerical_grad
from glassnet.gradcheck import relative_difference as rel_diff
from glassnet.layers.base import Layer

__all__ = [
    "assert_close",
    "assert_gradients",
    "batch_axis_for",
    "built",
    "diff_table",
    "forward_backward",
    "numerical_grad",
    "random_input",
    "rel_diff",
]

#: the twins' default tolerance: float64 agreement to ~1e-10
RTOL = 1e-10
ATOL = 1e-10


def batch_axis_for(example_shape: Iterable[int]) -> int:
    """The axis of the examples for inputs of ``example_shape``.

    1 for dense examples ``(n,)`` (inputs ``(n, m)``), 0 for images and other channels-last
    examples (``(m, n_H, n_W, n_C)``): the layouts of DESIGN.md that the layers take today.
    """
    return 1 if len(tuple(example_shape)) == 1 else 0


def _example_shape(x_or_shape: Any, batch_axis: int | None) -> tuple[int, ...]:
    if isinstance(x_or_shape, tuple | list):
        return tuple(int(d) for d in x_or_shape)
    shape = tuple(int(d) for d in np.shape(x_or_shape))
    if batch_axis is None:
        batch_axis = 1 if len(shape) == 2 else 0
    return shape[:batch_axis] + shape[batch_axis + 1 :]


def built(
    layer: Layer,
    x_or_shape: Any,
    dtype: Any = np.float64,
    seed: int = 0,
    *,
    rng: Any = None,
    batch_axis: int | None = None,
) -> Layer:
    """``layer`` built for one example of ``x_or_shape`` and returned.

    ``x_or_shape`` is an example shape (a tuple: ``(n,)``, ``(n_H, n_W, n_C)``) or a batch
    of examples (an array: ``(n, m)`` for dense data, ``(m, n_H, n_W, n_C)`` for images; the
    example shape is the array's shape less its ``batch_axis``, by default 1 for a 2-D array
    and 0 otherwise).  The weights are drawn from ``rng``, by default
    ``numpy.random.default_rng(seed)``.
    """
    shape = _example_shape(x_or_shape, batch_axis)
    layer.build(shape, np.random.default_rng(seed) if rng is None else rng, dtype)
    return layer


def random_input(
    example_shape: Iterable[int],
    m: int,
    rng: np.random.Generator,
    dtype: Any = np.float64,
    batch_axis: int | None = None,
) -> np.ndarray:
    """A standard-normal batch of ``m`` examples of ``example_shape``, the examples on
    ``batch_axis`` (by default :func:`batch_axis_for`)."""
    shape = list(example_shape)
    axis = batch_axis_for(shape) if batch_axis is None else batch_axis
    shape.insert(axis, m)
    return rng.standard_normal(shape).astype(dtype)


def forward_backward(
    layer: Layer,
    A_prev: Any,
    dA: Any = None,
    *,
    training: bool = True,
    seed: int = 1,
) -> dict[str, np.ndarray]:
    """Run one forward and one backward pass; return every quantity by name.

    ``{"A": A, "dA": dA, "dA_prev": dA_prev, "dW": ..., "db": ..., ...}``: copies, so later
    passes cannot change them.  ``dA`` (the per-example upstream gradient dL/dA) defaults to
    standard normal numbers of A's shape and dtype, drawn with ``seed``; it may also be a
    function of A.  ``dA_prev`` is left out when backward returns None.
    """
    A = layer.forward(A_prev, training=training)
    if dA is None:
        dA = np.random.default_rng(seed).standard_normal(A.shape).astype(A.dtype)
    elif callable(dA):
        dA = dA(A)
    out = {"A": np.array(A, copy=True), "dA": np.array(dA, copy=True)}
    dA_prev = layer.backward(dA)
    if dA_prev is not None:
        out["dA_prev"] = np.array(dA_prev, copy=True)
    for name, g in layer.grads.items():
        out[name] = np.array(g, copy=True)
    return out


def _errors(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float, tuple[int, ...]]:
    """max |ours - theirs|, max |ours - theirs| / |theirs|, and the index of the worst element."""
    if ours.size == 0:
        return 0.0, 0.0, ()
    err = np.abs(ours - theirs)
    err = np.where(np.isnan(ours) & np.isnan(theirs), 0.0, np.where(np.isnan(err), np.inf, err))
    rel = err / np.maximum(np.abs(theirs), np.finfo(np.float64).tiny)
    worst = np.unravel_index(int(np.argmax(err)), err.shape)
    return float(err.max()), float(rel.max()), tuple(int(i) for i in worst)


def diff_table(
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
    rtol: float = RTOL,
    atol: float = ATOL,
    names: Iterable[str] | None = None,
) -> tuple[bool, str]:
    """(all agree, a table of ours vs theirs per quantity).

    A quantity agrees when its shapes are equal and |ours - theirs| <= atol + rtol |theirs|
    everywhere.  The table gives, per quantity, the shape, the largest absolute and relative
    errors, and the worst element: its index, our value and theirs.
    """
    keys = list(theirs) if names is None else list(names)
    rows = [f"{'quantity':>12} {'shape':>16} {'max abs err':>12} {'max rel err':>12}  "
            f"{'worst at':<14} {'ours':>14} {'theirs':>14}"]
    ok_all = True
    for name in keys:
        if name not in ours or name not in theirs:
            ok_all = False
            where = "ours" if name not in ours else "theirs"
            rows.append(f"{name:>12}  missing from {where} (ours has {sorted(ours)}, "
                        f"theirs has {sorted(theirs)})")
            continue
        a, b = np.asarray(ours[name]), np.asarray(theirs[name])
        if a.shape != b.shape:
            ok_all = False
            rows.append(f"{name:>12}  shape mismatch: ours {a.shape}, theirs {b.shape}")
            continue
        a, b = a.astype(np.float64), b.astype(np.float64)
        abs_err, rel_err, worst = _errors(a, b)
        ok = bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
        ok_all &= ok
        mark = "" if ok else "   <- differs"
        va, vb = (float(a[worst]), float(b[worst])) if a.size else (0.0, 0.0)
        rows.append(f"{name:>12} {str(a.shape):>16} {abs_err:12.3e} {rel_err:12.3e}  "
                    f"{str(worst):<14} {va:14.6e} {vb:14.6e}{mark}")
    return ok_all, "\n".join(rows)


def assert_close(
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
    rtol: float = RTOL,
    atol: float = ATOL,
    names: Iterable[str] | None = None,
    what: str = "",
) -> None:
    """Fail, printing :func:`diff_table`, unless every quantity of ``theirs`` (or of
    ``names``) agrees with ours."""
    ok, table = diff_table(ours, theirs, rtol, atol, names)
    if not ok:
        head = f"{what}: " if what else ""
        pytest.fail(f"{head}ours vs theirs (rtol={rtol:g}, atol={atol:g})\n{table}",
                    pytrace=False)


def assert_gradients(
    layer: Layer,
    A_prev: Any,
    *,
    batch_axis: int | None = None,
    training: bool = True,
    threshold: float = 1e-7,
    check_input: bool = True,
    before_forward: Callable[[], None] | None = None,
    max_per_array: int | None = None,
) -> GradCheckResult:
    """Gradient-check ``layer`` (float64) on ``A_prev`` with the library's check_layer.

    Every parameter must have a gradient, and so must the input when ``check_input``; the
    notes' relative difference must be below ``threshold``.  Returns the result.
    """
    if batch_axis is None:
        batch_axis = batch_axis_for(layer.input_shape or np.shape(A_prev)[1:])
    result = check_layer(
        layer, A_prev, batch_axis=batch_axis, training=training, threshold=threshold,
        check_input=check_input, before_forward=before_forward, max_per_array=max_per_array,
    )
    expected = set(layer.params) | ({"A_prev"} if check_input else set())
    missing = expected - set(result.per_parameter)
    assert not missing, f"{layer.describe()}: no gradient for {sorted(missing)}"
    assert result.difference < threshold, (
        f"{layer.describe()} (training={training}) fails the gradient check:\n{result}"
    )
    return result
