"""Choosing among models (Course 3): a single-number metric, one optimizing metric and
satisficing constraints."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy

from glassnet.core.errors import GlassnetError
from glassnet.functions.metrics import accuracy
from glassnet.project.strategy import _METRICS, _OPS


def single_number_metric(
    y_true: Any, y_pred: Any, metric: str = "f1", average: str = "auto",
    n_classes: int | None = None,
) -> float:
    """One number to compare classifiers by (the notes: F1 rather than P and R).

    ``metric`` is f1, precision, recall, accuracy or error; ``average`` is
    binary, macro, weighted, micro or auto (binary for two classes, macro for
    more).  The computation is :mod:`glassnet.metrics`'s.
    """
    if metric not in _METRICS:
        raise GlassnetError(f"unknown metric {metric!r}: expected one of {', '.join(_METRICS)}")
    if average == "auto":
        t = numpy.asarray(y_true).reshape(-1)
        p = numpy.asarray(y_pred).reshape(-1)
        k = n_classes or int(max(t.max(initial=0), p.max(initial=0))) + 1
        average = "binary" if k <= 2 else "macro"
    return float(_METRICS[metric](y_true, y_pred, average=average, n_classes=n_classes))


def prediction_time_ms(model: Any, X: Any, repeats: int = 3) -> float:
    """Milliseconds per example of ``model.predict_proba(X)`` (best of ``repeats`` runs).

    The satisficing metric of the notes' example ("running time <= 100 ms").
    """
    from glassnet.core.backend import get_xp

    xp = get_xp()
    m = X.shape[model.batch_axis]
    if m == 0:
        raise GlassnetError("prediction time: no examples")
    best = math.inf
    for _ in range(max(1, int(repeats))):
        start = time.perf_counter()
        A = model.predict_proba(X)
        if hasattr(xp, "cuda"):
            xp.cuda.Stream.null.synchronize()
        del A
        best = min(best, time.perf_counter() - start)
    return 1000.0 * best / m


_MINIMIZED_HINTS = ("error", "cost", "loss", "time", "_ms", "latency", "size", "parameters")


def _direction(metric: str, mode: str | None) -> str:
    if mode is not None:
        if mode not in ("max", "min"):
            raise GlassnetError(f"mode must be 'max' or 'min', got {mode!r}")
        return mode
    return "min" if any(h in metric.lower() for h in _MINIMIZED_HINTS) else "max"


def _constraint(spec: Any) -> tuple[str, float]:
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return "<=", float(spec)
    if isinstance(spec, str):  # "<= 100"
        for op in sorted(_OPS, key=len, reverse=True):
            if spec.strip().startswith(op):
                return op, float(spec.strip()[len(op):])
    if isinstance(spec, Sequence) and len(spec) == 2 and spec[0] in _OPS:
        return str(spec[0]), float(spec[1])
    raise GlassnetError(
        f"constraint {spec!r}: expected (op, value) with op in {', '.join(_OPS)}, "
        "a string like '<= 100', or a number (an upper bound)"
    )


@dataclass
class Selection:
    """Result of :func:`select_model`.

    ``best`` is the index of the chosen candidate (None when none meets the
    constraints); ``feasible`` the indices meeting them, best first;
    ``rejected`` maps an index to why it was left out.
    """

    candidates: list[Mapping[str, Any]]
    names: list[str]
    optimize: str
    mode: str
    constraints: dict[str, tuple[str, float]]
    best: int | None
    feasible: list[int]
    rejected: dict[int, list[str]]

    @property
    def best_candidate(self) -> Mapping[str, Any] | None:
        return None if self.best is None else self.candidates[self.best]

    @property
    def best_name(self) -> str | None:
        return None if self.best is None else self.names[self.best]

    def to_dict(self) -> dict[str, Any]:
        return {
            "optimize": self.optimize,
            "mode": self.mode,
            "constraints": {k: list(v) for k, v in self.constraints.items()},
            "best": self.best_name,
            "best_index": self.best,
            "ranking": [self.names[i] for i in self.feasible],
            "rejected": {self.names[i]: r for i, r in self.rejected.items()},
            "text": str(self),
        }

    def __str__(self) -> str:
        verb = "maximize" if self.mode == "max" else "minimize"
        cons = ", ".join(f"{k} {op} {v:g}" for k, (op, v) in self.constraints.items())
        head = f"Model selection: {verb} {self.optimize}"
        lines = [head + (f" subject to {cons}" if cons else "")]
        for rank, i in enumerate(self.feasible, 1):
            mark = "  <- chosen" if i == self.best else ""
            lines.append(f"  {rank:>2}. {self.names[i]}: {self.optimize} = "
                         f"{float(self.candidates[i][self.optimize]):.4g}{mark}")
        for i, reasons in self.rejected.items():
            lines.append(f"   x {self.names[i]}: {'; '.join(reasons)}")
        if self.best is None:
            lines.append("No candidate meets every constraint.")
        return "\n".join(lines)


def select_model(
    candidates: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
    optimize: str = "accuracy",
    constraints: Mapping[str, Any] | None = None,
    mode: str | None = None,
) -> Selection:
    """Choose by one optimizing metric among the candidates meeting satisficing constraints.

    ``candidates`` is a list of metric dicts (a ``"name"`` key names one) or a
    dict ``name -> metrics``.  ``constraints`` maps a metric to ``(op, value)``,
    e.g. ``{"runtime_ms": ("<=", 100)}`` (a bare number is an upper bound).
    ``mode`` max/min; by default metrics named like error, cost, loss or time
    are minimized and the others maximized.  A candidate lacking a metric, or
    with a NaN value, fails it.
    """
    if isinstance(candidates, Mapping):
        names = [str(k) for k in candidates]
        items = [dict(v) for v in candidates.values()]
    else:
        items = [dict(c) for c in candidates]
        names = [str(c.get("name", f"candidate {i}")) for i, c in enumerate(items)]
    if not items:
        raise GlassnetError("select_model: no candidates")
    direction = _direction(optimize, mode)
    cons = {str(k): _constraint(v) for k, v in (constraints or {}).items()}
    for key, what in [(optimize, "optimizing metric"), *((k, "constraint") for k in cons)]:
        if not any(key in c for c in items):
            raise GlassnetError(f"unknown {what} {key!r}: no candidate has it; known: "
                                f"{known_metrics(items)}")
    feasible, rejected = [], {}
    for i, c in enumerate(items):
        reasons = []
        for key, (op, bound) in [(optimize, (None, None)), *cons.items()]:
            value = c.get(key)
            try:
                v = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                reasons.append(f"no {key}")
                continue
            if math.isnan(v):
                reasons.append(f"{key} is NaN")
            elif op is not None and not _OPS[op](v, bound):
                reasons.append(f"{key} = {v:.4g} fails {op} {bound:g}")
        if reasons:
            rejected[i] = reasons
        else:
            feasible.append(i)
    sign = -1.0 if direction == "max" else 1.0
    feasible.sort(key=lambda i: (sign * float(items[i][optimize]), i))
    best = feasible[0] if feasible else None
    return Selection(items, names, optimize, direction, cons, best, feasible, rejected)


def known_metrics(candidates: Sequence[Mapping[str, Any]], limit: int = 30) -> str:
    """The metrics the candidates report (numbers; per-epoch costs left out), for messages."""
    keys = sorted({str(k) for c in candidates for k, v in c.items()
                   if k != "name" and not str(k).startswith("costs.")
                   and isinstance(v, int | float) and not isinstance(v, bool)})
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys)} in all)" if len(keys) > limit else "") if keys else \
        "none"


def candidate_metrics(
    model: Any, X: Any, y: Any, name: str | None = None, repeats: int = 3,
    extra: Iterable[str] = ("f1",),
) -> dict[str, Any]:
    """The metrics :func:`select_model` compares: accuracy, F1, runtime_ms, n_parameters.

    ``X`` is the model's input (``(n_x, m)`` or images); ``y`` class indices ``(m,)``.
    """
    pred = numpy.asarray(model.predict(X)).reshape(-1)
    y = numpy.asarray(y).reshape(-1)
    n = max(2, int(getattr(model, "n_outputs", 2)))
    out: dict[str, Any] = {
        "accuracy": accuracy(y, pred),
        "runtime_ms": prediction_time_ms(model, X, repeats),
        "n_parameters": int(model.n_parameters),
    }
    for metric in extra:
        out[metric] = single_number_metric(y, pred, metric, n_classes=n)
    if name is not None:
        out["name"] = name
    return out
