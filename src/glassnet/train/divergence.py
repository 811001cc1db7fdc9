"""Why training could not go on, in one line: data that is not finite in the compute dtype,
and a run that diverged (where, which layer's output or gradient first became NaN/inf, and
what to try).

    training diverged at epoch 3/60, iteration 5 of 17: the output of layer 2
    (Dense(16, relu)) is the first that is not finite (its input reaches |x| = 3.1e+37);
    lower the learning rate (now 0.5, try 0.05) or clip the gradients (clip_norm)
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from glassnet.core.backend import get_xp, to_numpy


def nonfinite_data_message(raw: Any, dtype: Any, what: str) -> str:
    """Why ``raw`` is not finite once cast to ``dtype``: NaN/inf values (the first one's
    index), or finite values beyond ``dtype``'s range (the largest absolute value)."""
    arr = numpy.asarray(to_numpy(raw))
    dtype = numpy.dtype(dtype)
    if arr.dtype.kind in "fc":
        bad = ~numpy.isfinite(arr)
        if bad.any():
            index = tuple(int(i) for i in numpy.unravel_index(int(numpy.argmax(bad)), arr.shape))
            return f"{what}: contains NaN or inf (at index {index} of shape {arr.shape})"
    peak = float(numpy.abs(arr).max()) if arr.size else 0.0
    limit = float(numpy.finfo(dtype).max) if dtype.kind == "f" else float("inf")
    return (f"{what}: values overflow {dtype.name} (max |x| = {peak:.3g}; {dtype.name} holds "
            f"up to {limit:.3g}): use --dtype float64 (dtype='float64') or scale the data")


def where(epoch: int, epochs: int, step: int, steps: int) -> str:
    """``epoch 3/60, iteration 5 of 17`` (mini-batches) or ``iteration 12/2500`` (batch GD)."""
    if steps <= 1:
        return f"iteration {epoch + 1}/{epochs}"
    return f"epoch {epoch + 1}/{epochs}, iteration {step + 1} of {steps}"


def _advice(learning_rate: float | None, task: str | None) -> str:
    lr = "" if learning_rate is None else \
        f" (now {learning_rate:g}, try {learning_rate / 10:g})"
    extra = "; scale the targets of a regression" if task == "regression" else ""
    return f"lower the learning rate{lr} or clip the gradients (clip_norm){extra}"


def all_finite(a: Any) -> bool:
    """Whether every entry of ``a`` is finite: one sum, the full check only when the sum is
    not finite (a NaN/inf, or finite values whose sum overflows)."""
    xp = numpy if isinstance(a, numpy.ndarray) else get_xp()  # host data stays on the host
    with numpy.errstate(over="ignore", invalid="ignore"):
        total = a.sum()
    return bool(xp.isfinite(total)) or bool(xp.isfinite(a).all())


def _peak(a: Any) -> float:
    xp = get_xp()
    finite = xp.where(xp.isfinite(a), xp.abs(a), 0)
    return float(finite.max()) if a.size else 0.0


def _layer_words(model: Any, layer: Any) -> str:
    layers = list(getattr(model, "layers", []))
    number = next((i + 1 for i, other in enumerate(layers) if other is layer), None)
    return f"layer {number} ({layer.describe()})" if number else layer.describe()


def divergence_message(model: Any, X: Any, at: str, learning_rate: float | None) -> str:
    """The cost of the mini-batch ``X`` was not finite at ``at``: name the first parameter
    or layer output (in inference mode, layer by layer) that is not, or say that the loss
    overflowed on finite outputs."""
    head = f"training diverged at {at}: "
    advice = _advice(learning_rate, getattr(model, "task", None))
    naming = getattr(model, "naming", None)
    with numpy.errstate(all="ignore"):
        for entry in getattr(naming, "params", []):
            if not all_finite(model.parameters[entry.name]):
                return (f"{head}parameter {entry.name} of {_layer_words(model, entry.layer)} is "
                        f"not finite (the previous update overflowed it); {advice}")
        A = X
        for layer in getattr(model, "layers", []):
            A_in, A = A, layer.forward(A, training=False)
            if not all_finite(A):
                return (f"{head}the output of {_layer_words(model, layer)} is the first that "
                        f"is not finite (its input reaches |x| = {_peak(A_in):.3g}); {advice}")
        peak = _peak(A) if getattr(model, "layers", None) else float("nan")
    dtype = numpy.dtype(model.dtype).name
    return (f"{head}every layer's output is finite but the cost is not finite (the network's "
            f"output reaches |A| = {peak:.3g}, too large for the loss in {dtype}); {advice}")


#: gradients up to this size are summed after every step (see nonfinite_gradients)
CHEAP_CHECK_SIZE = 65_536


def nonfinite_gradients(model: Any) -> list[str]:
    """The names of the gradients (``dW2`` ...) that are not finite.

    Called after every step, so it is cheap when all is well: the gradients of up to
    :data:`CHEAP_CHECK_SIZE` components (every bias, most kernels) are summed into one
    Python float; only a non-finite total looks at each array.  The large weight
    gradients are skipped: a NaN or inf reaching ``dZ`` shows in that layer's ``db``
    (the sum of ``dZ`` over the batch), and the rare overflow of ``dW = dZ A^T`` alone
    makes ``W`` non-finite, which the next step's cost reports naming the parameter
    (summing dW1 of a 784-256-128-10 network was 6% of its step)."""
    grads = model.grads.items()
    total = 0.0
    with numpy.errstate(over="ignore", invalid="ignore"):
        for _, g in grads:
            if g.size <= CHEAP_CHECK_SIZE:
                total += float(g.sum())
    if math.isfinite(total):
        return []
    return [key for key, g in grads if not all_finite(g)]


def gradient_message(model: Any, bad: list[str], at: str, learning_rate: float | None) -> str:
    """The line naming the gradient of ``bad`` that backpropagation made non-finite first
    (the last layer's), and the others."""
    bad = list(bad)
    layers = {"d" + e.name: e.layer for e in getattr(getattr(model, "naming", None), "params", [])}
    order = list(getattr(model, "layers", []))

    def depth(key: str) -> int:  # backpropagation meets the last layer first
        layer = layers.get(key)
        return -order.index(layer) if layer in order else 0

    bad.sort(key=depth)
    first = bad[0]
    words = f" of {_layer_words(model, layers[first])}" if first in layers else ""
    others = f" (then {', '.join(bad[1:])})" if len(bad) > 1 else ""
    advice = _advice(learning_rate, getattr(model, "task", None))
    return (f"training diverged at {at}: the cost is finite but the gradient {first}{words} is "
            f"not{others}; {advice}")
