"""Looking into a model: its layer table, and the first layer that turned NaN or inf."""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp


def diagnose_nonfinite(model: Any, X: Any, cost: float) -> str:
    """Name the first layer whose parameters or output are NaN/inf."""
    xp = get_xp()
    for entry in model.naming.params:
        if not bool(xp.isfinite(model.parameters[entry.name]).all()):
            return (
                f"cost is {cost}: parameter {entry.name} of layer {entry.layer.describe()} "
                "is not finite"
            )
    if not bool(xp.isfinite(X).all()):
        return f"cost is {cost}: the input contains NaN or inf"
    A = X
    for i, layer in enumerate(model.layers):
        A = layer.forward(A, training=False)
        if not bool(xp.isfinite(A).all()):
            return (
                f"cost is {cost}: the output of layer {i + 1} ({layer.describe()}) "
                "is not finite (try a smaller learning rate or gradient clipping)"
            )
    return f"cost is {cost}: the loss is not finite (check the labels)"


def summary(model: Any) -> str:
    """A table of layers, output shapes and parameter counts."""
    rows = [("layer", "output shape", "parameters", "names")]
    shape_in = model.input_shape
    rows.append(("input", str(("m",) + tuple(shape_in or ())), "0", ""))
    for layer in model.layers:
        keys = [e.name for e in model.naming.params if e.layer is layer]
        rows.append(
            (
                layer.describe(),
                str(("m",) + tuple(layer.output_shape or ())),
                f"{layer.n_parameters:,}",
                " ".join(keys),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.append(f"total parameters: {model.n_parameters:,}  (loss: {model.loss.name})")
    return "\n".join(lines)
