"""Inference in batches sized by memory: predictions, outputs and cost of any number of
examples with a peak memory that does not grow with their number.

A forward pass keeps every layer's output (and a convolution its im2col rows) for the
examples it is given, so pushing m examples through at once takes memory proportional to
m.  Here the examples go through in batches of :func:`inference_batch_size`, chosen so that
one batch's activations fit in :func:`activation_budget` (at most 64 MiB, and at most a
sixteenth of :func:`glassnet.core.limits.memory_budget`), and the results are written into
one array allocated up front::

    A[L] = [forward(X{1}) | forward(X{2}) | ...]          along the output's batch axis
    J    = (1/m) sum_t m_t J_t  (+ the regularization terms)
    accuracy = (sum_t right_t) / (sum_t count_t)

Batches are cut along the batch axis of the model's input layout (axis 1 of dense
``(n_x, m)`` columns and ``(n_x, m, T_x)`` sequences, axis 0 of ``(m, H, W, C)`` images)
and joined along the output layout's (:mod:`glassnet.core.layouts`), never guessed from
a rank.  Each example's result is the same whichever batch it goes through.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy

from glassnet.core.backend import get_xp
from glassnet.core.errors import GlassnetError, ShapeError
from glassnet.core.limits import check_size, memory_budget
from glassnet.functions.losses import label_mask
from glassnet.models.outputs import decide

#: the most bytes one batch's activations may take
ACTIVATION_CAP = 64 * 2**20
#: the share of the memory budget one batch's activations may take (1/16)
BUDGET_SHARE = 16
#: allowance for what a layer makes besides its output (Z beside A, temporaries)
SAFETY_FACTOR = 1
FUNCTIONS = ("forward", "predict_proba", "predict")


def activation_budget() -> int:
    """Bytes one inference batch's activations may take: 64 MiB, or less under a small
    memory budget (``--max-memory``, ``GLASSNET_MAX_MEMORY``)."""
    return max(1, min(ACTIVATION_CAP, memory_budget() // BUDGET_SHARE))


def _walk(layers: list[Any]) -> Iterator[Any]:
    """Every layer and, depth first, the parts of blocks (residual, inception, ...)."""
    for layer in layers:
        yield layer
        yield from _walk(list(layer.sublayers()))


def _layer_elements(layer: Any) -> int:
    """Values one example makes in ``layer``: its output, a convolution's im2col rows
    (out positions x f x f x n_C_prev), a recurrent layer's per-step states and gates."""
    out = tuple(layer.output_shape or ())
    n = math.prod(out) if out else 0
    inp = tuple(layer.input_shape or ())
    kernel = getattr(layer, "kernel_size", None)
    if kernel is not None and out and inp:
        n += math.prod(out[:-1]) * math.prod(tuple(kernel)) * int(inp[-1])
    units = getattr(layer, "units", None)
    if isinstance(units, int) and len(inp) == 2:  # (n_x, T_x): a cache per time step
        n += 8 * units * int(inp[1])
    return n


def activation_bytes_per_example(model: Any) -> int:
    """An estimate, from the layers' shapes, of the bytes one example takes in a forward
    pass: the input plus every layer's values (:func:`_layer_elements`), times
    :data:`SAFETY_FACTOR`, in the model's dtype."""
    if model.input_shape is None:
        raise ValueError("the model is not built: call build(input_shape) first")
    elements = math.prod(model.input_shape)
    elements += sum(_layer_elements(layer) for layer in _walk(list(model.layers)))
    return SAFETY_FACTOR * int(model.dtype.itemsize) * max(1, elements)


def inference_batch_size(model: Any, budget_bytes: int | None = None) -> int:
    """How many examples go through ``model`` at once so that their activations take at
    most ``budget_bytes`` (default :func:`activation_budget`); at least 1."""
    budget = activation_budget() if budget_bytes is None else int(budget_bytes)
    return max(1, budget // activation_bytes_per_example(model))


def _as_input(model: Any, X: Any) -> Any:
    """X checked against the model's input, left where it is (no copy of X: each batch is
    moved to the backend and converted to the model's dtype on its own)."""
    if not (hasattr(X, "shape") and hasattr(X, "dtype")):
        X = numpy.asarray(X)
    model.check_input(X)
    return X


def _batch(model: Any, X: Any, start: int, stop: int) -> Any:
    """Examples start..stop-1 of X, an array of the backend in the model's dtype."""
    xp = get_xp()
    Xb = model.input_layout.slice(X, start, stop)
    if xp is numpy and type(Xb) is numpy.ndarray and Xb.dtype == model.dtype:
        return Xb  # (a no-op conversion skipped on the latency path)
    return xp.asarray(Xb, dtype=model.dtype)


def _batch_function(model: Any, fn: str | Callable[[Any], Any], threshold: float
                    ) -> Callable[[Any], Any]:
    if callable(fn):
        return fn
    if fn in ("forward", "predict_proba"):
        return lambda Xb: model.forward(Xb, training=False)
    if fn == "predict":
        return lambda Xb: decide(model.forward(Xb, training=False), model.task, threshold,
                                 model.class_axis)
    raise ValueError(f"fn must be one of {', '.join(FUNCTIONS)} or a callable, got {fn!r}")


def _ranges(m: int, batch_size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, m, batch_size):
        yield start, min(start + batch_size, m)


def predict_in_batches(
    model: Any,
    X: Any,
    fn: str | Callable[[Any], Any] = "predict_proba",
    batch_size: int | None = None,
    threshold: float = 0.5,
) -> Any:
    """``fn`` of all the examples X, batch by batch, in the output's layout.

    ``fn``: ``"predict_proba"``/``"forward"`` (A[L] in inference mode, ``(n_y, m)`` or
    ``(m, H, W, C)``), ``"predict"`` (the decisions of :func:`models.outputs.decide`), or a
    callable of one batch.  ``batch_size`` None: :func:`inference_batch_size`.  The output
    is allocated once, after the first batch shows its shape and dtype, and filled.
    """
    X = _as_input(model, X)
    run = _batch_function(model, fn, threshold)
    m = model.input_layout.n_examples(X)
    size = inference_batch_size(model) if batch_size is None else int(batch_size)
    if size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    if m <= size:  # one batch (a single example: the latency path)
        return run(_batch(model, X, 0, m))
    layout = model.output_layout
    out = None
    for start, stop in _ranges(m, size):
        Ab = run(_batch(model, X, start, stop))
        if out is None:
            shape = layout.full_shape(layout.example_shape(Ab.shape), m)
            check_size(math.prod(shape) * Ab.dtype.itemsize, f"the outputs of {m} examples")
            out = get_xp().empty(shape, dtype=Ab.dtype)
        out[(slice(None),) * layout.batch_axis + (slice(start, stop),)] = Ab
    return out


def _label_batch(model: Any, Y: Any, start: int, stop: int) -> Any:
    return model.output_layout.slice(Y, start, stop)


def _cost_terms(model: Any, X: Any, Y: Any, batch_size: int | None
                ) -> Iterator[tuple[int, int, Any, Any, float]]:
    """(start, stop, A_b, Y_b, m_b J_b) for each batch; checks that X and Y agree on m."""
    X = _as_input(model, X)
    m = model.input_layout.n_examples(X)
    n_labels = int(Y.shape[model.output_layout.batch_axis])
    if n_labels != m:
        raise ShapeError(f"X has {m} examples but Y has {n_labels}")
    if m == 0:
        raise GlassnetError("no examples to evaluate (X has m = 0)")
    size = inference_batch_size(model) if batch_size is None else int(batch_size)
    for start, stop in _ranges(m, max(1, size)):
        Ab = model.forward(_batch(model, X, start, stop), training=False)
        Yb = _label_batch(model, Y, start, stop)
        yield start, stop, Ab, Yb, model._loss_cost(Ab, Yb) * (stop - start)


def outputs_and_cost(model: Any, X: Any, Y: Any, batch_size: int | None = None
                     ) -> tuple[Any, float]:
    """A[L] in inference mode and the cost J on (X, Y), both batch by batch.

    Each batch's cost comes from its own logits (exact for the canonical pairs), so
    J = (1/m) sum over batches of m_b J_b, plus the regularization terms.  ``Y`` is in the
    loss's layout (``model.prepare_labels``).
    """
    layout = model.output_layout
    A, total, m = None, 0.0, 0
    for start, stop, Ab, _, cost in _cost_terms(model, X, Y, batch_size):
        if A is None:
            m = int(Y.shape[layout.batch_axis])
            if stop == m:
                A = Ab
            else:
                A = get_xp().empty(layout.full_shape(layout.example_shape(Ab.shape), m),
                                   dtype=Ab.dtype)
        if A is not Ab:
            A[(slice(None),) * layout.batch_axis + (slice(start, stop),)] = Ab
        total += cost
    return A, total / m + model._regularization_cost(m)


def right_and_count(model: Any, A: Any, Y: Any) -> tuple[float, int] | None:
    """(examples or entries predicted right, how many were scored) of one batch, for
    classifiers; None for regression.  Missing labels (NaN, -1) are not scored."""
    xp = get_xp()
    if getattr(model.loss, "allows_missing", False):
        M = label_mask(Y)
        right = ((A > 0.5) == (xp.where(M > 0, Y, 0) > 0.5)) * M
        return float(right.sum()), int(M.sum())
    if model.task == "multiclass":
        axis = model.output_layout.class_axis  # the classes: axis 0 of (C, m)
        hits = A.argmax(axis=axis) == Y.argmax(axis=axis)
        return float(hits.sum()), int(hits.size)
    if model.task in ("binary", "multilabel"):
        hits = (A > 0.5) == (Y > 0.5)
        return float(hits.sum()), int(hits.size)
    return None


def evaluate_in_batches(model: Any, X: Any, Y: Any, batch_size: int | None = None
                        ) -> dict[str, float]:
    """``{"cost": J, "accuracy": ...}`` (accuracy for classifiers) of ``model`` on (X, Y),
    batch by batch, keeping no batch's outputs: the memory of one batch whatever m is.
    ``Y`` is in the loss's layout (``model.prepare_labels``)."""
    total, right, count, m = 0.0, 0.0, 0, 0
    classifier = True
    for _, stop, Ab, Yb, cost in _cost_terms(model, X, Y, batch_size):
        total += cost
        m = stop
        scored = right_and_count(model, Ab, Yb)
        if scored is None:
            classifier = False
        else:
            right, count = right + scored[0], count + scored[1]
    out = {"cost": total / m + model._regularization_cost(m)}
    if classifier:
        out["accuracy"] = right / count if count else float("nan")
    return out
