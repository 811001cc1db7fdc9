"""One sampled hyperparameter (Course 2: random, on the appropriate scale) and one
satisficing constraint (Course 3): the pieces of a search space."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy

from glassnet.core.errors import GlassnetError

# distribution type names accepted in a space file -> canonical name
TYPE_ALIASES: dict[str, str] = {
    "log": "log", "loguniform": "log", "log_uniform": "log", "log10": "log",
    "linear": "linear", "uniform": "linear",
    "int": "int", "integer": "int", "randint": "int",
    "log_int": "log_int", "int_log": "log_int", "logint": "log_int",
    "choice": "choice", "categorical": "choice",
    "one_minus_log": "one_minus_log", "1-log": "one_minus_log", "log_one_minus": "one_minus_log",
}


# the keys that combine into ``hidden = [hidden_units] * hidden_layers``
HIDDEN_LAYERS, HIDDEN_UNITS = "hidden_layers", "hidden_units"


MINIMIZED_SUFFIXES = ("cost", "error", "loss", "seconds")


CSV_NAME, JSON_NAME, BEST_NAME = "results.csv", "results.json", "best_config.toml"


PLOT_NAME, NEXT_SPACE_NAME = "search.png", "zoomed_space.toml"


def _py(value: Any) -> Any:
    """NumPy scalars to Python ones (for TOML, JSON and the training config)."""
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_py(v) for v in value]
    return value


def _number(name: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GlassnetError(f"hyperparameter {name!r}: {key} must be a finite number, "
                            f"got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Param:
    """One sampled hyperparameter and its distribution.

    ``type`` and the sampling coordinate ``u`` in which values are uniform:

    =============  ==========================  =====================================
    log            u = log10(x)                 x = 10^r, r ~ U[log10 low, log10 high]
    one_minus_log  u = log10(1 - x)             x = 1 - 10^r, r ~ U[log10(1-high), log10(1-low)]
    linear         u = x                        x ~ U[low, high]
    int            u = x                        x uniform on the integers low..high
    log_int        u = log10(x)                 x = round(10^r) (e.g. batch sizes)
    choice         (none)                       x uniform over ``values``
    =============  ==========================  =====================================
    """

    name: str
    type: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] = ()

    # construction -------------------------------------------------------------------
    @classmethod
    def from_spec(cls, name: str, spec: Any) -> Param:
        """From ``{type = "log", low = 1e-4, high = 1}`` (or a bare list = a choice)."""
        if isinstance(spec, list | tuple):
            spec = {"type": "choice", "values": list(spec)}
        if not isinstance(spec, Mapping):
            raise GlassnetError(
                f"hyperparameter {name!r}: expected a table such as "
                f"{{type = \"log\", low = 1e-4, high = 1}}, got {spec!r} (constants go in [fixed])"
            )
        raw_type = spec.get("type")
        if raw_type is None:
            raise GlassnetError(f"hyperparameter {name!r}: missing 'type' "
                                f"(one of {', '.join(sorted(set(TYPE_ALIASES.values())))})")
        key = str(raw_type).strip().lower()
        kind = TYPE_ALIASES.get(key) or TYPE_ALIASES.get(key.replace("-", "_"))
        if kind is None:
            raise GlassnetError(
                f"hyperparameter {name!r}: unknown distribution type {raw_type!r}; known: "
                f"{', '.join(sorted(set(TYPE_ALIASES.values())))}"
            )
        allowed = {"type", "values"} if kind == "choice" else {"type", "low", "high"}
        extra = sorted(set(spec) - allowed)
        if extra:
            raise GlassnetError(f"hyperparameter {name!r} ({kind}): unexpected key(s) "
                                f"{', '.join(extra)}; expected {', '.join(sorted(allowed))}")
        if kind == "choice":
            values = spec.get("values")
            if not isinstance(values, list | tuple) or len(values) == 0:
                raise GlassnetError(f"hyperparameter {name!r}: a choice needs a non-empty "
                                    f"list 'values', got {values!r}")
            return cls(name, kind, values=tuple(_py(v) for v in values))
        for key in ("low", "high"):
            if key not in spec:
                raise GlassnetError(f"hyperparameter {name!r} ({kind}): missing '{key}'")
        low, high = _number(name, "low", spec["low"]), _number(name, "high", spec["high"])
        param = cls(name, kind, low, high)
        param.validate()
        return param

    def validate(self) -> None:
        """Clear errors for intervals the distribution cannot sample."""
        name, kind, low, high = self.name, self.type, self.low, self.high
        if kind == "choice":
            return
        assert low is not None and high is not None
        if not low < high:
            raise GlassnetError(f"hyperparameter {name!r} ({kind}): low must be < high, "
                                f"got low = {low:g}, high = {high:g}")
        if kind in ("log", "log_int") and low <= 0:
            raise GlassnetError(f"hyperparameter {name!r} ({kind}): a log scale needs "
                                f"low > 0, got low = {low:g}")
        if kind in ("int", "log_int") and (low != round(low) or high != round(high)):
            raise GlassnetError(f"hyperparameter {name!r} ({kind}): low and high must be "
                                f"integers, got {low:g}, {high:g}")
        if kind == "one_minus_log" and not (0 <= low and high < 1):
            raise GlassnetError(f"hyperparameter {name!r} (one_minus_log): needs "
                                f"0 <= low < high < 1 (1 - beta > 0), got {low:g}, {high:g}")

    # coordinates in which the draw is uniform -------------------------------------------
    def to_u(self, x: Any) -> numpy.ndarray:
        """The sampling coordinate u of value(s) x (see the class table)."""
        x = numpy.asarray(x, dtype=numpy.float64)
        if self.type in ("log", "log_int"):
            return numpy.log10(x)
        if self.type == "one_minus_log":
            return numpy.log10(1.0 - x)
        return x

    def from_u(self, u: Any) -> numpy.ndarray:
        u = numpy.asarray(u, dtype=numpy.float64)
        if self.type in ("log", "log_int"):
            return 10.0 ** u
        if self.type == "one_minus_log":
            return 1.0 - 10.0 ** u
        return u

    @property
    def u_bounds(self) -> tuple[float, float]:
        a, b = (float(v) for v in self.to_u([self.low, self.high]))
        return (a, b) if a <= b else (b, a)

    @property
    def axis_scale(self) -> str:
        """How a plot shows it: 'log', 'one_minus_log', 'linear' or 'category'."""
        return {"log": "log", "log_int": "log", "one_minus_log": "one_minus_log",
                "linear": "linear", "int": "linear", "choice": "category"}[self.type]

    # sampling --------------------------------------------------------------------------
    def sample(self, rng: numpy.random.Generator, n: int) -> list[Any]:
        """n independent draws (Python ints/floats, or the choice's own values)."""
        if self.type == "choice":
            return [self.values[i] for i in rng.integers(0, len(self.values), size=n)]
        if self.type == "int":
            return [int(v) for v in rng.integers(int(self.low), int(self.high) + 1, size=n)]
        lo, hi = self.u_bounds
        u = rng.uniform(lo, hi, size=n)  # r ~ U[lo, hi] in the sampling coordinate
        x = self.from_u(u)
        if self.type == "log_int":
            return [int(v) for v in numpy.clip(numpy.rint(x), self.low, self.high)]
        return [float(v) for v in x]

    # coarse to fine --------------------------------------------------------------------
    def narrowed(self, top_values: Sequence[Any], best: Any, factor: float) -> Param:
        """The interval to search next around the best trials' values.

        In the sampling coordinate u the new interval has ``factor`` times the
        old width, is centred on the mean u of ``top_values`` (the geometric mean
        for a log scale), is shifted to contain the best value, and stays inside
        the old interval.  A choice keeps the values the top trials used.
        """
        if self.type == "choice":
            kept = tuple(v for v in self.values if any(v == t for t in top_values))
            return replace(self, values=kept or self.values)
        lo, hi = self.u_bounds
        width = factor * (hi - lo)
        u_top = self.to_u(list(top_values))
        u_best = float(self.to_u(best))
        new_lo = float(numpy.mean(u_top)) - width / 2
        new_lo = min(new_lo, u_best)               # contain the best trial
        new_lo = max(new_lo, u_best - width)
        new_lo = min(max(new_lo, lo), hi - width)  # stay inside the old interval
        a, b = sorted(float(v) for v in self.from_u([new_lo, new_lo + width]))
        if self.type in ("int", "log_int"):
            a, b = math.floor(a + 1e-9), math.ceil(b - 1e-9)
            a, b = max(a, int(self.low)), min(b, int(self.high))
            if b <= a:  # keep at least two integers to choose from
                b = min(a + 1, int(self.high))
                a = b - 1
            return replace(self, low=float(a), high=float(b))
        a, b = max(a, self.low), min(b, self.high)
        ra, rb = float(f"{a:.6g}"), float(f"{b:.6g}")  # readable bounds when they stay apart
        if ra < rb and (self.type != "log" or ra > 0) and (
                self.type != "one_minus_log" or rb < 1):
            a, b = ra, rb
        return replace(self, low=a, high=b)

    def to_spec(self) -> dict[str, Any]:
        if self.type == "choice":
            return {"type": "choice", "values": list(self.values)}
        is_int = self.type in ("int", "log_int")
        return {"type": self.type,
                "low": int(self.low) if is_int else self.low,
                "high": int(self.high) if is_int else self.high}


@dataclass(frozen=True)
class Constraint:
    """A satisficing metric: ``metric <= value`` (or ``>=``)."""

    metric: str
    op: str
    value: float

    @classmethod
    def parse(cls, key: str, spec: Any) -> Constraint:
        """``train_seconds = 10`` (<=), ``max_train_seconds = 10``, ``min_dev_f1 = 0.9``,
        or a string ``"<= 10"`` / ``">= 0.9"``."""
        op = "<="
        metric = str(key)
        if isinstance(spec, str):
            text = spec.strip()
            for candidate in ("<=", ">=", "<", ">"):
                if text.startswith(candidate):
                    op, text = candidate, text[len(candidate):]
                    break
            try:
                spec = float(text)
            except ValueError:
                raise GlassnetError(f"constraint {key!r}: expected a number, '<= N' or "
                                    f"'>= N', got {spec!r}") from None
        elif metric.startswith("max_"):
            metric = metric[4:]
        elif metric.startswith("min_"):
            metric, op = metric[4:], ">="
        value = _number(f"constraint {key}", "value", spec)
        return cls(metric, {"<": "<=", ">": ">="}.get(op, op), value)

    def satisfied(self, metrics: Mapping[str, Any]) -> bool:
        v = metrics.get(self.metric)
        if not isinstance(v, int | float) or not math.isfinite(v):
            return False
        return v <= self.value if self.op == "<=" else v >= self.value

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


def _goal(metric: str, goal: Any) -> str:
    if goal is None:
        return "minimize" if metric.endswith(MINIMIZED_SUFFIXES) else "maximize"
    g = str(goal).lower()
    if g in ("max", "maximize", "maximise"):
        return "maximize"
    if g in ("min", "minimize", "minimise"):
        return "minimize"
    raise GlassnetError(f"search space: goal must be 'maximize' or 'minimize', got {goal!r}")


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | numpy.integer):
        raise GlassnetError(f"search: {name} must be an integer, got {value!r}")
    return int(value)


def _positive_int(name: str, value: Any) -> int:
    v = _int(name, value)
    if v < 1:
        raise GlassnetError(f"search: {name} must be >= 1, got {v}")
    return v


def _factor(value: Any) -> float:
    v = _number("zoom", "factor", value)
    if not 0 < v <= 1:
        raise GlassnetError(f"search: the zoom factor must be in (0, 1], got {v:g}")
    return v


def _toml_key(key: str) -> str:
    k = str(key)
    if k and all(c.isascii() and (c.isalnum() or c in "_-") for c in k):
        return k
    return _toml_value(k)


def _toml_value(value: Any) -> str:
    value = _py(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # 0.001, 1e-05, 1e+16: all valid TOML floats
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if value is None:
        raise GlassnetError("TOML has no null value")
    raise GlassnetError(f"cannot write {type(value).__name__} to TOML")


def to_toml(table: Mapping[str, Any], comment: str = "") -> str:
    """TOML text of ``table``: its scalars and arrays first, then one ``[section]``
    per sub-table; tables nested deeper are written inline (``{ a = 1 }``).
    ``None`` values are left out (TOML has no null)."""
    lines = [f"# {line}".rstrip() for line in comment.splitlines()] if comment else []

    def emit(tab: Mapping[str, Any], prefix: str) -> None:
        if prefix:
            if lines:
                lines.append("")
            lines.append(f"[{prefix}]")
        depth = prefix.count(".") + 1 if prefix else 0
        sections = {k: v for k, v in tab.items() if isinstance(v, Mapping) and depth < 1}
        for k, v in tab.items():
            if v is not None and k not in sections:
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in sections.items():
            emit(v, f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k))

    emit(table, "")
    return "\n".join(lines) + "\n"

