"""ML strategy (Course 3): single-number metrics, optimizing vs satisficing, and diagnosis.

The notes' table of errors, with human-level error as the proxy for Bayes error::

    human-level error  ----+
                           |  avoidable bias     = training error  - human-level error
    training error     ----+
                           |  variance           = train-dev error - training error
    train-dev error    ----+
                           |  data mismatch      = dev error       - train-dev error
    dev error          ----+
                           |  overfitting to dev = test error      - dev error
    test error         ----+

The train-dev set has the training distribution but is not trained on.  Without
one, ``variance = dev error - training error`` and data mismatch cannot be told
apart from variance.  Without a dev set the test set stands in for it.

The basic recipe (orthogonalization: one knob per problem) picks what to try
for the largest gap; :func:`diagnose` names it and lists the notes' remedies.

Model selection (the notes' "optimizing and satisficing metric"): of N metrics,
maximize (or minimize) one and only require the other N - 1 to meet a
threshold, e.g. maximize accuracy subject to ``runtime_ms <= 100``
(:func:`select_model`).
"""

from __future__ import annotations

import math
import operator
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy

from glassnet.core.errors import GlassnetError
from glassnet.functions.metrics import accuracy, f1_score, precision, recall

# -- the recipe ----------------------------------------------------------------------------

#: problem key -> (what the notes call it, what it measures)
PROBLEMS: dict[str, tuple[str, str]] = {
    "avoidable_bias": ("avoidable bias", "training error - human-level error"),
    "variance": ("variance", "train-dev error - training error"),
    "data_mismatch": ("data mismatch", "dev error - train-dev error"),
    "dev_overfitting": ("overfitting to the dev set", "test error - dev error"),
}

#: the notes' basic recipe: what to try for each problem
RECOMMENDATIONS: dict[str, list[str]] = {
    "avoidable_bias": [
        "train a bigger network (more hidden units or more layers)",
        "train longer",
        "use a better optimization algorithm (momentum, RMSProp, Adam)",
        "search other architectures and hyperparameters",
    ],
    "variance": [
        "get more training data",
        "add regularization (L2, dropout, data augmentation)",
        "search other architectures and hyperparameters",
    ],
    "data_mismatch": [
        "carry out manual error analysis to understand how the training set differs "
        "from the dev/test sets (glassnet errors)",
        "make the training data more like the dev/test data, or collect more data like them",
        "artificial data synthesis (beware: the network may overfit to the small "
        "synthesized subset it sees over and over)",
    ],
    "dev_overfitting": [
        "get a bigger dev set (the model was tuned to this one)",
    ],
}

# below this gap (absolute error) nothing is worth a name
NEGLIGIBLE = 1e-9


def _check_error(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise GlassnetError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(v) or not 0.0 <= v <= 1.0:
        hint = ""
        if math.isfinite(v) and 1.0 < v <= 100.0:
            hint = f" (errors are fractions: write {v / 100:g} for {v:g}%)"
        raise GlassnetError(f"{name}: expected an error rate in [0, 1], got {value!r}{hint}")
    return v


@dataclass
class Diagnosis:
    """Errors of one model on its sets, the gaps between them and what to do next.

    Every error is a fraction in [0, 1]; a gap is None when a set needed for it
    is missing.  ``largest`` is the key of the largest positive gap (a key of
    :data:`PROBLEMS`) or None when no gap is positive.
    """

    human_error: float
    train_error: float
    train_dev_error: float | None = None
    dev_error: float | None = None
    test_error: float | None = None
    avoidable_bias: float | None = None
    variance: float | None = None
    data_mismatch: float | None = None
    dev_overfitting: float | None = None
    largest: str | None = None
    notes: list[str] = field(default_factory=list)
    #: how each measured gap was computed, e.g. ``{"variance": "dev error - training error"}``
    formulas: dict[str, str] = field(default_factory=dict)

    @property
    def gaps(self) -> dict[str, float]:
        """The gaps that could be measured, in the table's order."""
        out = {}
        for key in PROBLEMS:
            v = getattr(self, key)
            if v is not None:
                out[key] = v
        return out

    @property
    def recommendations(self) -> list[str]:
        """What the basic recipe says to try for the largest problem."""
        return list(RECOMMENDATIONS[self.largest]) if self.largest else []

    def to_dict(self) -> dict[str, Any]:
        """Numbers, the largest problem, the recommendations and ``text`` (the report)."""
        return {
            "human_error": self.human_error,
            "train_error": self.train_error,
            "train_dev_error": self.train_dev_error,
            "dev_error": self.dev_error,
            "test_error": self.test_error,
            "avoidable_bias": self.avoidable_bias,
            "variance": self.variance,
            "data_mismatch": self.data_mismatch,
            "dev_overfitting": self.dev_overfitting,
            "largest": self.largest,
            "largest_name": PROBLEMS[self.largest][0] if self.largest else None,
            "recommendations": self.recommendations,
            "formulas": dict(self.formulas),
            "notes": list(self.notes),
            "text": str(self),
        }

    def __str__(self) -> str:
        sets = [(key, label, getattr(self, f"{key}_error")) for key, label in _SETS]
        present = [(key, label, v) for key, label, v in sets if v is not None]
        width = max(len(label) for _, label, _ in present) + len(" error")
        gap_width = max(len(PROBLEMS[k][0]) for k in PROBLEMS)
        lines = ["Diagnosis: bias / variance / data mismatch (human-level error as Bayes proxy)"]
        previous = None
        for key, label, value in present:
            gap_key = _GAP_BETWEEN.get((previous, key)) if previous else None
            gap = getattr(self, gap_key) if gap_key else None
            if gap is not None:
                mark = "  <- largest" if gap_key == self.largest else ""
                lines.append(f"  {'':{width}}      |  {PROBLEMS[gap_key][0]:{gap_width}}  "
                             f"{gap:+7.2%}{mark}")
            lines.append(f"  {label + ' error':{width}}  {value:7.2%}")
            previous = key
        if self.largest:
            name = PROBLEMS[self.largest][0]
            what = self.formulas.get(self.largest, PROBLEMS[self.largest][1])
            gap = getattr(self, self.largest)
            lines.append(f"Largest problem: {name} ({gap:.2%} = {what}). Try:")
            lines += [f"  - {r}" for r in self.recommendations]
        else:
            lines.append("No gap is positive: the model is at human level on every set given.")
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


#: the sets of the table, top to bottom: (attribute prefix, label)
_SETS = (("human", "human-level"), ("train", "training"), ("train_dev", "train-dev"),
         ("dev", "dev"), ("test", "test"))
#: the gap shown between two consecutive sets present in the table
_GAP_BETWEEN = {
    ("human", "train"): "avoidable_bias",
    ("train", "train_dev"): "variance",
    ("train", "dev"): "variance",
    ("train", "test"): "variance",
    ("train_dev", "dev"): "data_mismatch",
    ("train_dev", "test"): "data_mismatch",
    ("dev", "test"): "dev_overfitting",
}


def diagnose(
    human_error: float,
    train_error: float,
    train_dev_error: float | None = None,
    dev_error: float | None = None,
    test_error: float | None = None,
) -> Diagnosis:
    """Avoidable bias, variance, data mismatch and overfitting to dev from a table of errors.

    All errors are fractions (0.08 for 8%).  ``human_error`` is the best human
    level known, the proxy for Bayes error.  With a train-dev set::

        avoidable bias  = train - human          variance        = train_dev - train
        data mismatch   = dev - train_dev        dev overfitting = test - dev

    Without a train-dev set, variance = dev - train (mismatch is not separable);
    without a dev set the test error takes the dev error's place.
    """
    h = _check_error("human-level error", human_error)
    tr = _check_error("training error", train_error)
    trd = _check_error("train-dev error", train_dev_error)
    dv = _check_error("dev error", dev_error)
    te = _check_error("test error", test_error)
    if h is None or tr is None:
        raise GlassnetError("diagnose needs the human-level error and the training error")
    d = Diagnosis(h, tr, trd, dv, te)
    notes = d.notes
    label = {"train": "training error", "train_dev": "train-dev error", "dev": "dev error",
             "test": "test error"}

    def gap(key: str, upper: str, lower: str, value: float) -> None:
        setattr(d, key, value)
        d.formulas[key] = f"{label[lower]} - {label[upper]}" if upper != "human" else \
            f"{label[lower]} - human-level error"

    gap("avoidable_bias", "human", "train", tr - h)
    if h > tr:
        notes.append("the training error is below human level: the human-level error "
                     "overestimates Bayes error, so avoidable bias cannot be measured well")
    # the set we aim at: dev, else test
    target, target_key = (dv, "dev") if dv is not None else (te, "test")
    if dv is None and te is not None:
        notes.append("no dev set: the test error stands in for the dev error "
                     "(tuning on it would overfit the test set)")
    if trd is not None:
        gap("variance", "train", "train_dev", trd - tr)
        if target is not None:
            gap("data_mismatch", "train_dev", target_key, target - trd)
            if target < trd:
                notes.append(f"the {label[target_key]} is below the train-dev error: the "
                             f"{target_key} distribution may be easier than the training one")
    elif target is not None:
        gap("variance", "train", target_key, target - tr)
        notes.append(f"no train-dev set: the {target_key} - training gap mixes variance and "
                     "data mismatch (hold out a train-dev set, e.g. --train-dev 0.1, to "
                     "separate them)")
    if dv is not None and te is not None:
        gap("dev_overfitting", "dev", "test", te - dv)
    gaps = d.gaps
    if gaps:
        key = max(gaps, key=lambda k: gaps[k])  # first of equal maxima in the table's order
        d.largest = key if gaps[key] > NEGLIGIBLE else None
    return d


# -- single-number metrics ----------------------------------------------------------------

_METRICS: dict[str, Callable[..., float]] = {
    "accuracy": lambda t, p, **kw: accuracy(t, p),
    "error": lambda t, p, **kw: 1.0 - accuracy(t, p),
    "precision": precision,
    "recall": recall,
    "f1": f1_score,
}


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


# -- optimizing and satisficing ----------------------------------------------------------

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq,
}
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
