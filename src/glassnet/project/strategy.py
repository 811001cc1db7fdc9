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

Given the number of examples behind each error (``n_train``, ``n_dev``, ...), every error
gets its count and 95% Wilson interval, every gap Newcombe's interval
(:mod:`glassnet.project.error_intervals`), and a gap whose interval holds zero is called
within noise and never recommended on: 2 errors in 19 dev examples against 1 in 21
train-dev examples (+5.8%) is no data mismatch one can act on.

Model selection (the notes' "optimizing and satisficing metric"): of N metrics,
maximize (or minimize) one and only require the other N - 1 to meet a
threshold, e.g. maximize accuracy subject to ``runtime_ms <= 100``
(:func:`select_model`).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glassnet.core.errors import GlassnetError
from glassnet.functions.metrics import accuracy, f1_score, precision, recall
from glassnet.project.error_intervals import (
    MeasuredError,
    examples_to_tell,
    gap_interval,
    within_noise,
)

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
    #: each set's error with its example count (``human``, ``train``, ``train_dev``, ...)
    measured: dict[str, MeasuredError] = field(default_factory=dict)
    #: the 95% interval of each gap whose sets have counts
    gap_intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: whether each gap with counts could be zero (then it is not recommended on)
    noise: dict[str, bool] = field(default_factory=dict)
    #: the largest positive gap when it is within noise and nothing larger stands out
    largest_in_noise: str | None = None
    #: the two sets each gap was measured between, e.g. ``{"variance": ("train", "dev")}``
    gap_sets: dict[str, tuple[str, str]] = field(default_factory=dict)

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
            "counts": {k: {"errors": m.errors, "n": m.n, "low": m.interval[0],
                           "high": m.interval[1]}
                       for k, m in self.measured.items() if m.n is not None},
            "gap_intervals": {k: list(v) for k, v in self.gap_intervals.items()},
            "within_noise": dict(self.noise),
            "largest_in_noise": self.largest_in_noise,
            "notes": list(self.notes),
            "text": str(self),
        }

    def __str__(self) -> str:
        sets = [(key, label, getattr(self, f"{key}_error")) for key, label in _SETS]
        present = [(key, label, v) for key, label, v in sets if v is not None]
        width = max(len(label) for _, label, _ in present) + len(" error")
        gap_width = max(len(PROBLEMS[k][0]) for k in PROBLEMS)
        title = "Diagnosis: bias / variance / data mismatch (human-level error as Bayes proxy"
        counted = any(m.n is not None for m in self.measured.values())
        lines = [title + ("; 95% Wilson intervals)" if counted else ")")]
        previous = None
        for key, label, value in present:
            gap_key = _GAP_BETWEEN.get((previous, key)) if previous else None
            gap = getattr(self, gap_key) if gap_key else None
            if gap is not None:
                mark = "  <- largest" if gap_key == self.largest else ""
                lines.append(f"  {'':{width}}      |  {PROBLEMS[gap_key][0]:{gap_width}}  "
                             f"{gap:+7.2%}{self._gap_note(gap_key)}{mark}")
            m = self.measured.get(key)
            count = f"  ({m.describe()})" if m is not None and m.n is not None else ""
            lines.append(f"  {label + ' error':{width}}  {value:7.2%}{count}")
            previous = key
        if self.largest:
            name = PROBLEMS[self.largest][0]
            what = self.formulas.get(self.largest, PROBLEMS[self.largest][1])
            gap = getattr(self, self.largest)
            lines.append(f"Largest problem: {name} ({gap:.2%} = {what}). Try:")
            lines += [f"  - {r}" for r in self.recommendations]
        elif self.largest_in_noise:
            lines.append(self._noise_verdict(self.largest_in_noise))
        else:
            lines.append("No gap is positive: the model is at human level on every set given.")
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _gap_note(self, key: str) -> str:
        if key not in self.gap_intervals:
            return ""
        low, high = self.gap_intervals[key]
        noise = ", within noise" if self.noise.get(key) else ""
        return f"  (95% CI {low:+.2%} .. {high:+.2%}{noise})"

    def _noise_verdict(self, key: str) -> str:
        """Why the largest gap ``key`` is not acted on: its sets are too small to tell it."""
        upper, lower = self.gap_sets[key]
        up, low = self.measured[upper], self.measured[lower]
        sizes = " and ".join(f"{m.n} {_LABELS[k]}" for k, m in ((upper, up), (lower, low))
                             if m.n is not None)
        lo, hi = self.gap_intervals[key]
        return (f"No gap stands out from the noise: the largest, {PROBLEMS[key][0]} "
                f"({getattr(self, key):+.2%}, 95% CI {lo:+.2%} .. {hi:+.2%}), could be zero "
                f"with {sizes} examples. Measure on larger sets before acting on it (about "
                f"{examples_to_tell(up, low)} examples per set would tell a gap this size).")


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


#: set key -> how the report names its examples
_LABELS = {"train": "training", "train_dev": "train-dev", "dev": "dev", "test": "test"}


def _check_count(name: str, n: Any, error: float | None) -> int | None:
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, int | float) or n != int(n) or n < 1:
        raise GlassnetError(f"{name}: expected a positive number of examples, got {n!r}")
    if error is None:
        raise GlassnetError(f"{name} is given without the error it counts")
    return int(n)


def _sizes_of(splits: Any) -> dict[str, int]:
    """``{"train": m, ...}`` of a run's sets (objects with ``(x, y)`` pairs or None)."""
    out = {}
    for key in _LABELS:
        pair = getattr(splits, key, None)
        if pair is not None:
            out[key] = len(pair[1])
    return out


def diagnose(
    human_error: float,
    train_error: float,
    train_dev_error: float | None = None,
    dev_error: float | None = None,
    test_error: float | None = None,
    *,
    n_train: int | None = None,
    n_train_dev: int | None = None,
    n_dev: int | None = None,
    n_test: int | None = None,
    splits: Any = None,
) -> Diagnosis:
    """Avoidable bias, variance, data mismatch and overfitting to dev from a table of errors.

    All errors are fractions (0.08 for 8%).  ``human_error`` is the best human
    level known, the proxy for Bayes error.  With a train-dev set::

        avoidable bias  = train - human          variance        = train_dev - train
        data mismatch   = dev - train_dev        dev overfitting = test - dev

    Without a train-dev set, variance = dev - train (mismatch is not separable);
    without a dev set the test error takes the dev error's place.

    ``n_train``, ``n_train_dev``, ``n_dev``, ``n_test``: the number of examples each error
    was measured on (or ``splits``, a run's sets, to take them from); with them every error
    gets its count and 95% Wilson interval, and a gap whose 95% interval holds zero is
    reported as within noise instead of being recommended on.
    """
    h = _check_error("human-level error", human_error)
    tr = _check_error("training error", train_error)
    trd = _check_error("train-dev error", train_dev_error)
    dv = _check_error("dev error", dev_error)
    te = _check_error("test error", test_error)
    if h is None or tr is None:
        raise GlassnetError("diagnose needs the human-level error and the training error")
    errors = {"train": tr, "train_dev": trd, "dev": dv, "test": te}
    given = {"train": n_train, "train_dev": n_train_dev, "dev": n_dev, "test": n_test}
    if splits is not None:
        for key, n in _sizes_of(splits).items():
            if given[key] is None and errors[key] is not None:
                given[key] = n
    counts = {k: _check_count(f"n_{k}", given[k], errors[k]) for k in errors}
    d = Diagnosis(h, tr, trd, dv, te)
    d.measured = {"human": MeasuredError(h)}
    d.measured.update({k: MeasuredError(v, counts[k]) for k, v in errors.items() if v is not None})
    notes = d.notes
    label = {"train": "training error", "train_dev": "train-dev error", "dev": "dev error",
             "test": "test error"}

    def gap(key: str, upper: str, lower: str, value: float) -> None:
        setattr(d, key, value)
        d.gap_sets[key] = (upper, lower)
        d.formulas[key] = f"{label[lower]} - {label[upper]}" if upper != "human" else \
            f"{label[lower]} - human-level error"
        up, low = d.measured[upper], d.measured[lower]
        noise = within_noise(up, low)
        if noise is not None:
            d.gap_intervals[key] = gap_interval(up, low)
            d.noise[key] = noise

    gap("avoidable_bias", "human", "train", tr - h)
    if h > tr and not d.noise.get("avoidable_bias"):
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
            if target < trd and not d.noise.get("data_mismatch"):
                notes.append(f"the {label[target_key]} is below the train-dev error: the "
                             f"{target_key} distribution may be easier than the training one")
    elif target is not None:
        gap("variance", "train", target_key, target - tr)
        notes.append(f"no train-dev set: the {target_key} - training gap mixes variance and "
                     "data mismatch (hold out a train-dev set, e.g. --train-dev 0.1, to "
                     "separate them)")
    if dv is not None and te is not None:
        gap("dev_overfitting", "dev", "test", te - dv)
    gaps = {k: v for k, v in d.gaps.items() if v > NEGLIGIBLE}
    real = {k: v for k, v in gaps.items() if not d.noise.get(k)}
    if real:
        d.largest = max(real, key=lambda k: real[k])  # first of equal maxima, table order
    if gaps:
        biggest = max(gaps, key=lambda k: gaps[k])
        if d.noise.get(biggest):
            if d.largest is None:
                d.largest_in_noise = biggest
            else:
                notes.append(f"{PROBLEMS[biggest][0]} ({gaps[biggest]:+.2%}) is larger but "
                             "within noise: its sets are too small to tell it from zero")
    return d


_METRICS: dict[str, Callable[..., float]] = {
    "accuracy": lambda t, p, **kw: accuracy(t, p),
    "error": lambda t, p, **kw: 1.0 - accuracy(t, p),
    "precision": precision,
    "recall": recall,
    "f1": f1_score,
}


_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq,
}
