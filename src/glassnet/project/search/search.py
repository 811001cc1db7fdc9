"""Random hyperparameter search, as Course 2 teaches it.

The notes' recipe, and where each part lives here:

* **Random, not a grid.**  Each trial draws every hyperparameter independently,
  so N trials try N distinct values of *each* hyperparameter (a grid of N
  points tries only N^(1/k) values of each of k).  :meth:`SearchSpace.sample`.
* **The appropriate scale.**  Linear for the number of layers and of hidden
  units; logarithmic for the learning rate: for alpha in [1e-4, 1] draw
  ``r ~ U[-4, 0]`` and set ``alpha = 10^r``; for an averaging coefficient beta
  in [0.9, 0.999] sample ``1 - beta`` on the log scale: ``r ~ U[-3, -1]``,
  ``beta = 1 - 10^r`` (beta's effect ~ 1/(1 - beta) is sensitive near 1).
  :class:`Param`.
* **Coarse to fine.**  Search a broad region, then zoom into the region of the
  best trials and sample densely there.  :meth:`SearchSpace.zoom`, ``rounds``.
* **Pandas or caviar.**  With few resources one babysits one model
  (``glassnet train`` with its progress bar, checkpoints and ``--resume``);
  with enough, many models train in parallel and the best is picked
  (:func:`run_search`: all local cores through joblib's loky process pool by
  default, ``workers=1`` for one at a time, or a Dask cluster by its scheduler
  address).
* **Optimizing and satisficing metrics** (Course 3): the search maximizes one
  single-number metric subject to ``metric <= value`` constraints; a trial that
  violates a constraint ranks after every trial that satisfies all of them.

A space is a TOML (or YAML/JSON) file::

    [search]
    metric = "dev_accuracy"        # the optimizing metric (maximized)
    trials = 20                    # per round
    rounds = 1                     # > 1: coarse to fine
    seed = 0
    [search.constraints]           # satisficing metrics: metric <= value
    train_seconds = 10.0

    [fixed]                        # constant settings of every trial
    epochs = 20
    optimizer = "adam"
    dev_fraction = 0.2

    [params]                       # the sampled hyperparameters
    learning_rate = { type = "log", low = 1e-4, high = 1e-1 }
    beta1 = { type = "one_minus_log", low = 0.9, high = 0.999 }
    hidden_layers = { type = "int", low = 1, high = 3 }
    hidden_units = { type = "int", low = 16, high = 128 }
    batch_size = { type = "choice", values = [32, 64, 128] }

``hidden_layers`` and ``hidden_units`` combine into the network's ``hidden``
list (``[units] * layers``); every other name is a key of
:func:`glassnet.experiment.run_training`'s configuration.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import socket
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
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


# -- one hyperparameter ------------------------------------------------------------------

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


# -- satisficing metrics -----------------------------------------------------------------

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


# -- the space -----------------------------------------------------------------------------

def _known_config_keys() -> set[str]:
    from glassnet.project.run import DEFAULTS

    return set(DEFAULTS)


@dataclass
class SearchSpace:
    """Sampled hyperparameters, constant settings and the search settings.

    ``metric`` is maximized unless ``goal = "minimize"`` (the default goal is
    minimize for names ending in cost, error, loss or seconds).
    """

    params: dict[str, Param]
    fixed: dict[str, Any] = field(default_factory=dict)
    metric: str = "dev_accuracy"
    goal: str = "maximize"
    constraints: list[Constraint] = field(default_factory=list)
    trials: int = 20
    rounds: int = 1
    seed: int = 0
    top_k: int = 5
    zoom_factor: float = 0.5
    workers: int | None = None
    cluster: str | None = None

    # parsing ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchSpace:
        """From the parsed file: ``[search]``, ``[fixed]``, ``[params]`` tables.

        Hyperparameter tables may also sit at the top level, next to ``[search]``.
        """
        if not isinstance(data, Mapping):
            raise GlassnetError("search space: expected a table at the top level")
        data = {str(k).replace("-", "_"): v for k, v in data.items()}
        settings = dict(data.get("search") or {})
        fixed = dict(data.get("fixed") or {})
        raw_params: dict[str, Any] = {}
        for section in ("params", "hyperparameters"):
            raw_params.update(data.get(section) or {})
        for key, value in data.items():
            if key not in ("search", "fixed", "params", "hyperparameters"):
                raw_params[key] = value
        for what, table in (("[search]", settings), ("[fixed]", fixed), ("[params]", raw_params)):
            if not isinstance(table, Mapping):
                raise GlassnetError(f"search space: {what} must be a table")
        if not raw_params:
            raise GlassnetError("search space: no hyperparameters to sample; add a [params] "
                                "table such as learning_rate = {type = \"log\", low = 1e-4, "
                                "high = 1}")
        known = _known_config_keys() | {HIDDEN_LAYERS, HIDDEN_UNITS}
        for what, names in (("hyperparameter", raw_params), ("[fixed] setting", fixed)):
            unknown = sorted(set(map(str, names)) - known)
            if unknown:
                raise GlassnetError(f"search space: unknown {what}(s) {', '.join(unknown)}; "
                                    f"known: {', '.join(sorted(known))}")
        both = sorted(set(raw_params) & set(fixed))
        if both:
            raise GlassnetError(f"search space: {', '.join(both)} both sampled and fixed")
        params = {str(k): Param.from_spec(str(k), v) for k, v in raw_params.items()}
        hidden_keys = {HIDDEN_LAYERS, HIDDEN_UNITS} & (set(params) | set(fixed))
        if hidden_keys and len(hidden_keys) == 1:
            raise GlassnetError("search space: hidden_layers and hidden_units go together "
                                "(hidden = [hidden_units] * hidden_layers); give both")
        if hidden_keys and ("hidden" in params or "hidden" in fixed):
            raise GlassnetError("search space: give either hidden or hidden_layers/hidden_units")

        allowed = {"metric", "goal", "constraints", "trials", "rounds", "seed", "top_k",
                   "zoom_factor", "factor", "workers", "cluster"}
        unknown = sorted(set(settings) - allowed)
        if unknown:
            raise GlassnetError(f"search space: unknown [search] setting(s) {', '.join(unknown)};"
                                f" known: {', '.join(sorted(allowed))}")
        metric = str(settings.get("metric", "dev_accuracy"))
        goal = settings.get("goal")
        goal = _goal(metric, goal)
        raw_constraints = settings.get("constraints") or {}
        if not isinstance(raw_constraints, Mapping):
            raise GlassnetError("search space: [search.constraints] must be a table of "
                                "metric = value entries (metric <= value)")
        constraints = [Constraint.parse(k, v) for k, v in raw_constraints.items()]
        space = cls(
            params=params, fixed=fixed, metric=metric, goal=goal, constraints=constraints,
            trials=_positive_int("trials", settings.get("trials", 20)),
            rounds=_positive_int("rounds", settings.get("rounds", 1)),
            seed=_int("seed", settings.get("seed", 0)),
            top_k=_positive_int("top_k", settings.get("top_k", 5)),
            zoom_factor=_factor(settings.get("zoom_factor", settings.get("factor", 0.5))),
            workers=(None if settings.get("workers") is None
                     else _positive_int("workers", settings["workers"])),
            cluster=settings.get("cluster"),
        )
        space.check_metric()
        return space

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> SearchSpace:
        """Read a ``.toml``, ``.yaml``/``.yml`` or ``.json`` space file."""
        p = Path(path)
        if not p.is_file():
            raise GlassnetError(f"{p}: no such search-space file")
        suffix = p.suffix.lower()
        try:
            text = p.read_text("utf-8")
            if suffix == ".toml":
                import tomllib

                data = tomllib.loads(text)
            elif suffix in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text)
            elif suffix == ".json":
                data = json.loads(text)
            else:
                raise GlassnetError(f"{p}: search spaces are .toml, .yaml or .json files")
        except GlassnetError:
            raise
        except Exception as exc:  # noqa: BLE001 - any parser error becomes one clear line
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise GlassnetError(f"{p}: cannot parse the search space ({first})") from None
        try:
            return cls.from_dict(data)
        except GlassnetError as exc:
            raise GlassnetError(f"{p}: {exc}") from None

    def check_metric(self) -> None:
        """A dev-set metric needs a dev set: fail before training anything."""
        for prefix, key in (("train_dev_", "train_dev_fraction"), ("dev_", "dev_fraction")):
            if self.metric.startswith(prefix):
                if key not in self.params and not (self.fixed.get(key) or 0) > 0:
                    raise GlassnetError(f"search space: the metric {self.metric} needs a held-out "
                                        f"set: set {key} > 0 in [fixed] (e.g. {key} = 0.2)")
                return

    # sampling --------------------------------------------------------------------------
    def sample_params(self, rng: numpy.random.Generator, n: int) -> list[dict[str, Any]]:
        """n random points: each hyperparameter drawn independently (no grid)."""
        columns = {name: p.sample(rng, n) for name, p in self.params.items()}
        return [{name: columns[name][i] for name in self.params} for i in range(n)]

    def make_config(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The training configuration of one point: fixed settings + sampled values."""
        config = {**self.fixed, **params}
        if HIDDEN_LAYERS in config:
            layers, units = config.pop(HIDDEN_LAYERS), config.pop(HIDDEN_UNITS)
            config["hidden"] = [int(units)] * int(layers)
        return {k: _py(v) for k, v in config.items()}

    def sample(self, rng: numpy.random.Generator, n: int) -> list[dict[str, Any]]:
        """n random training configurations (see :meth:`sample_params`)."""
        return [self.make_config(p) for p in self.sample_params(rng, n)]

    # ranking and coarse to fine --------------------------------------------------------
    def rank(self, results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Sorted best first: feasible trials (all constraints met) by the metric,
        then trials violating a constraint, then failed ones."""
        return sorted((dict(r) for r in results), key=self._rank_key)

    def _rank_key(self, r: Mapping[str, Any]) -> tuple:
        v = r.get("metric")
        ok = r.get("error") is None and isinstance(v, int | float) and math.isfinite(v)
        score = (-v if self.goal == "maximize" else v) if ok else math.inf
        return (not ok, not r.get("feasible", True), score, r.get("round", 0), r.get("trial", 0))

    def zoom(self, results: Iterable[Mapping[str, Any]], top_k: int | None = None,
             factor: float | None = None) -> SearchSpace:
        """The narrowed space around the ``top_k`` best trials (coarse to fine).

        Log-scale parameters narrow in log space, linear and integer ones on
        their interval (to ``factor`` of the width), choices keep the values the
        top trials used.  The search settings and fixed settings carry over.
        """
        top_k = self.top_k if top_k is None else top_k
        factor = self.zoom_factor if factor is None else _factor(factor)
        ranked = [r for r in self.rank(results) if r.get("error") is None
                  and isinstance(r.get("metric"), int | float) and math.isfinite(r["metric"])]
        if not ranked:
            raise GlassnetError("cannot zoom: no trial finished with a metric value")
        feasible = [r for r in ranked if r.get("feasible", True)]
        top = (feasible or ranked)[: max(1, int(top_k))]
        params = {}
        for name, p in self.params.items():
            values = [r["params"][name] for r in top]
            params[name] = p.narrowed(values, values[0], factor)
        return replace(self, params=params, constraints=list(self.constraints),
                       fixed=dict(self.fixed))

    # writing ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        search: dict[str, Any] = {
            "metric": self.metric, "goal": self.goal, "trials": self.trials,
            "rounds": self.rounds, "seed": self.seed, "top_k": self.top_k,
            "zoom_factor": self.zoom_factor,
        }
        if self.workers is not None:
            search["workers"] = self.workers
        if self.cluster is not None:
            search["cluster"] = self.cluster
        if self.constraints:
            search["constraints"] = {c.metric: f"{c.op} {c.value!r}" for c in self.constraints}
        return {"search": search, "fixed": dict(self.fixed),
                "params": {n: p.to_spec() for n, p in self.params.items()}}

    def to_toml(self, comment: str = "") -> str:
        return to_toml(self.to_dict(), comment)


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


def as_space(space: SearchSpace | Mapping[str, Any] | str | os.PathLike) -> SearchSpace:
    """A :class:`SearchSpace` from itself, a parsed dict or a file path."""
    if isinstance(space, SearchSpace):
        return space
    if isinstance(space, Mapping):
        return SearchSpace.from_dict(space)
    return SearchSpace.from_file(space)


# -- a small TOML writer (flat tables, inline tables, arrays) ------------------------------

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


# -- one trial (runs in a worker process) --------------------------------------------------

def flatten_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The scalar metrics of a run: ``train_accuracy``, ``dev_cost``, ``train_seconds``...

    Nested per-split tables (``metrics["dev"]["cost"]``) become ``dev_cost``.
    """
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        value = _py(value)
        if isinstance(value, bool):
            flat[key] = float(value)
        elif isinstance(value, int | float):
            flat[key] = value
        elif isinstance(value, Mapping) and key in ("train", "dev", "test", "train_dev"):
            for sub, v in value.items():
                v = _py(v)
                if isinstance(v, int | float) and not isinstance(v, bool):
                    flat.setdefault(f"{key}_{sub}", v)
    return flat


def run_trial(task: Mapping[str, Any]) -> dict[str, Any]:
    """Train one configuration and return its record (the function every engine runs).

    ``task``: ``trial``, ``round``, ``params`` (the sampled values), ``config``
    (the full training configuration, seed included), optional ``blas_threads``
    (default 1: parallel trials must not oversubscribe the cores with BLAS
    threads).  The record adds ``metrics`` (scalars), ``seconds``, ``pid``,
    ``cpu_seconds``, ``host``, ``started_at``/``finished_at`` (wall-clock
    times) and ``error`` (None, or the message of a failed run).
    """
    from threadpoolctl import threadpool_limits

    from glassnet.project.run import run_training
    from glassnet.train import trainer as training  # noqa: F401 - imported before the clock starts

    if task["config"].get("data") is None:  # the default digits come from scikit-learn
        import sklearn.datasets  # noqa: F401
    record = {k: task[k] for k in ("trial", "round", "params", "config")}
    record.update(metrics={}, error=None, pid=os.getpid(), host=socket.gethostname(),
                  started_at=time.time())
    started, cpu_started = time.perf_counter(), time.process_time()
    threads = task.get("blas_threads", 1)
    try:
        with threadpool_limits(limits=threads):
            result = run_training(dict(task["config"]), progress=False)
        record["metrics"] = flatten_metrics(result.metrics)
    except Exception as exc:  # noqa: BLE001 - a diverged or invalid trial must not end the search
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        record["error"] = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    record["seconds"] = time.perf_counter() - started
    record["cpu_seconds"] = time.process_time() - cpu_started
    record["finished_at"] = time.time()
    return record


# -- parallel engines ----------------------------------------------------------------------

class Engine:
    """Where trials run: joblib's loky process pool, or a Dask cluster.

    The same :func:`run_trial` runs in both; a context manager so that a
    cluster is connected (or a local one started) once for all rounds::

        with Engine(workers=4) as engine:
            for record in engine.map(tasks): ...

    ``workers``: local processes (None = all cores; for ``cluster="local"``
    the Dask workers to start).  ``cluster``: a Dask scheduler address
    (``tcp://host:8786``) or ``"local"``.
    """

    def __init__(self, workers: int | None = None, cluster: str | None = None) -> None:
        self.cluster = cluster
        self.workers = workers or os.cpu_count() or 1
        self.client: Any = None
        self._local: Any = None

    @property
    def name(self) -> str:
        return f"dask {self.cluster}" if self.cluster else "joblib/loky"

    def __enter__(self) -> Engine:
        if self.cluster:
            self.client, self._local = _dask_client(str(self.cluster), self.workers)
            try:
                self.client.wait_for_workers(1, timeout=60)
            except TimeoutError:
                self.close()
                raise GlassnetError(f"the Dask cluster at {self.cluster} has no workers") from None
            self.workers = len(self.client.scheduler_info().get("workers", {})) or 1
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._local is not None:
            self._local.close()
            self._local = None

    def map(self, tasks: Sequence[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
        """Records of :func:`run_trial` on ``tasks``, in the order they finish."""
        if not tasks:
            return
        if self.cluster:
            from dask.distributed import as_completed

            futures = self.client.map(run_trial, [dict(t) for t in tasks], pure=False)
            for future in as_completed(futures):
                yield future.result()
            return
        import joblib

        n_jobs = min(self.workers, len(tasks))
        parallel = joblib.Parallel(n_jobs=n_jobs, backend="loky",
                                   return_as="generator_unordered")
        yield from parallel(joblib.delayed(run_trial)(dict(t)) for t in tasks)


def _dask_client(cluster: str, workers: int | None) -> tuple[Any, Any]:
    """(client, local cluster or None) for a scheduler address or ``"local"``."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise GlassnetError(
            "--cluster needs Dask's distributed scheduler, which is not installed: "
            "pip install 'glassnet[distributed]'"
        ) from None
    if cluster.lower() == "local":
        local = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                             processes=True, dashboard_address=None)
        return Client(local), local
    try:
        return Client(cluster, timeout=30), None
    except (OSError, TimeoutError) as exc:
        raise GlassnetError(f"cannot reach the Dask scheduler at {cluster}: {exc}") from None


def execute(tasks: Sequence[Mapping[str, Any]], workers: int | None = None,
            cluster: str | None = None) -> Iterator[dict[str, Any]]:
    """Run :func:`run_trial` on every task (see :class:`Engine`); yield records as
    trials finish."""
    if not tasks:
        return
    with Engine(workers, cluster) as engine:
        yield from engine.map(tasks)


# -- the search ----------------------------------------------------------------------------

@dataclass
class SearchResult:
    """All trials (best first), the spaces of each round and where things were saved."""

    trials: list[dict[str, Any]]
    space: SearchSpace
    spaces: list[SearchSpace]
    workers: int
    engine: str
    seconds: float
    out: Path | None = None
    paths: dict[str, Path] = field(default_factory=dict)

    @property
    def best(self) -> dict[str, Any]:
        return self.trials[0]

    @property
    def best_config(self) -> dict[str, Any]:
        return dict(self.trials[0]["config"])

    @property
    def metric(self) -> str:
        return self.space.metric


def _trial_seeds(seed: int, n: int) -> list[int]:
    """n distinct training seeds derived from the search seed."""
    state = numpy.random.SeedSequence([int(seed), 1]).generate_state(n + 8, dtype=numpy.uint32)
    seen: list[int] = []
    for s in state:
        s = int(s) & 0x7FFFFFFF
        if s not in seen:
            seen.append(s)
        if len(seen) == n:
            return seen
    return [int(seed) * 100_003 + i for i in range(n)]  # pragma: no cover - ~impossible


def _absolute_paths(fixed: dict[str, Any]) -> dict[str, Any]:
    """Relative data paths made absolute so that workers and the saved config find them."""
    out = dict(fixed)
    for key in ("data", "test_data"):
        if isinstance(out.get(key), str) and Path(out[key]).exists():
            out[key] = str(Path(out[key]).resolve())
    return out


def _score(space: SearchSpace, record: dict[str, Any]) -> dict[str, Any]:
    m = record.get("metrics") or {}
    v = m.get(space.metric)
    record["metric"] = float(v) if isinstance(v, int | float) else math.nan
    record["violations"] = [str(c) for c in space.constraints if not c.satisfied(m)]
    record["feasible"] = record.get("error") is None and not record["violations"]
    return record


def run_search(
    space: SearchSpace | Mapping[str, Any] | str | os.PathLike,
    trials: int | None = None,
    workers: int | None = None,
    cluster: str | None = None,
    rounds: int | None = None,
    out: str | os.PathLike | None = None,
    seed: int | None = None,
    top_k: int | None = None,
    factor: float | None = None,
    progress: bool = False,
    blas_threads: int = 1,
) -> SearchResult:
    """Random search over ``space``: ``trials`` per round, in parallel.

    ``rounds > 1`` searches coarse to fine: after each round the space zooms
    into the region of the ``top_k`` best trials (:meth:`SearchSpace.zoom` by
    ``factor``).  ``workers`` local processes (None = all cores, through
    joblib's loky backend) or a Dask ``cluster`` (scheduler address or
    "local").  Arguments left None come from the space's ``[search]`` table.

    With ``out``: ``results.csv`` and ``results.json`` (rewritten as trials
    finish, so a killed search keeps what it finished), ``best_config.toml``
    (``glassnet train --config`` reads it), ``search.png`` (the metric against
    each hyperparameter) and ``zoomed_space.toml`` (the next, finer space).
    """
    space = as_space(space)
    overrides: dict[str, Any] = {}
    if trials is not None:
        overrides["trials"] = _positive_int("trials", trials)
    if rounds is not None:
        overrides["rounds"] = _positive_int("rounds", rounds)
    if seed is not None:
        overrides["seed"] = _int("seed", seed)
    if top_k is not None:
        overrides["top_k"] = _positive_int("top_k", top_k)
    if factor is not None:
        overrides["zoom_factor"] = _factor(factor)
    if workers is not None:
        overrides["workers"] = _positive_int("workers", workers)
    if cluster is not None:
        overrides["cluster"] = cluster
    space = replace(space, fixed=_absolute_paths(space.fixed), **overrides)
    root = numpy.random.SeedSequence(space.seed)
    rng = numpy.random.default_rng(root.spawn(1)[0])
    seeds = _trial_seeds(space.seed, space.trials * space.rounds)
    pinned_seed = "seed" in space.fixed or "seed" in space.params

    out_dir = Path(out) if out is not None else None
    started = time.perf_counter()
    records: list[dict[str, Any]] = []
    spaces: list[SearchSpace] = []
    current = space
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=space.trials * space.rounds, desc="search", unit="trial", leave=False)
    engine = Engine(space.workers, space.cluster)
    try:
        with engine:
            for rnd in range(space.rounds):
                if rnd > 0:  # coarse to fine: zoom around the best trials so far
                    current = current.zoom(records)
                spaces.append(current)
                tasks = []
                for i, params in enumerate(current.sample_params(rng, space.trials)):
                    number = rnd * space.trials + i
                    config = current.make_config(params)
                    if not pinned_seed:
                        config["seed"] = seeds[number]
                    _validate_config(config)
                    tasks.append({"trial": number, "round": rnd, "params": params,
                                  "config": config, "blas_threads": blas_threads})
                for record in engine.map(tasks):
                    records.append(_score(space, record))
                    if record["error"] is None and space.metric not in record["metrics"]:
                        raise GlassnetError(
                            f"the trials do not report the metric {space.metric!r}; "
                            f"available: {', '.join(sorted(record['metrics']))}")
                    if bar is not None:
                        bar.update(1)
                        best = space.rank(records)[0]
                        if best.get("error") is None:
                            bar.set_postfix({space.metric: f"{best['metric']:.4g}"})
                    if out_dir is not None:
                        _write_tables(out_dir, space, spaces, space.rank(records),
                                      engine.workers, engine.name, time.perf_counter() - started)
                this_round = [r for r in records if r["round"] == rnd]
                if all(r["error"] is not None for r in this_round):
                    raise GlassnetError(f"every trial of round {rnd + 1} failed; the first: "
                                        f"{this_round[0]['error']}")
                if out_dir is not None:
                    search_plot(space.rank(records), spaces, out_dir / PLOT_NAME)
    finally:
        if bar is not None:
            bar.close()

    ranked = space.rank(records)
    result = SearchResult(ranked, space, spaces, engine.workers, engine.name,
                          time.perf_counter() - started, out_dir)
    if out_dir is not None:
        result.paths = save_search(result, out_dir)
    return result


def _validate_config(config: dict[str, Any]) -> None:
    """Fail before any training on settings ``run_training`` would reject."""
    from glassnet.project.run import normalize_config

    try:
        normalize_config(dict(config))
    except GlassnetError as exc:
        raise GlassnetError(
            f"search space gives an invalid training configuration: {exc}") from None


# -- outputs -------------------------------------------------------------------------------

_REPORTED = ("train_accuracy", "dev_accuracy", "test_accuracy", "dev_cost", "train_seconds",
             "epochs_run", "n_parameters")


def _fmt(value: Any) -> str:
    value = _py(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_fmt(v) for v in value) + "]"
    return "" if value is None else str(value)


def results_csv(space: SearchSpace, ranked: Sequence[Mapping[str, Any]]) -> str:
    """CSV text: rank, round, trial, the metric, feasible, each hyperparameter, then
    seconds, seed, pid, host, the usual metrics and the error of failed trials."""
    extra = [m for m in _REPORTED if m != space.metric
             and any(m in (r.get("metrics") or {}) for r in ranked)]
    extra += [c.metric for c in space.constraints if c.metric not in extra
              and c.metric != space.metric]
    header = (["rank", "round", "trial", space.metric, "feasible", *space.params,
               "seconds", "seed", "pid", "host", *extra, "violations", "error"])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for rank, r in enumerate(ranked, 1):
        m = r.get("metrics") or {}
        writer.writerow([rank, r["round"], r["trial"], _fmt(r["metric"]), r["feasible"],
                         *(_fmt(r["params"][p]) for p in space.params),
                         f"{r['seconds']:.3f}", r["config"].get("seed", ""), r["pid"],
                         r.get("host", ""), *(_fmt(m.get(k)) for k in extra),
                         "; ".join(r.get("violations") or []), r.get("error") or ""])
    return buf.getvalue()


def _write_tables(out: Path, space: SearchSpace, spaces: Sequence[SearchSpace],
                  ranked: Sequence[Mapping[str, Any]], workers: int, engine: str,
                  seconds: float) -> None:
    from glassnet.core.atomic import atomic_write_json, atomic_write_text

    atomic_write_text(out / CSV_NAME, results_csv(space, ranked))
    atomic_write_json(out / JSON_NAME, {
        "metric": space.metric, "goal": space.goal,
        "constraints": [str(c) for c in space.constraints],
        "workers": workers, "engine": engine, "seconds": seconds,
        "spaces": [s.to_dict() for s in spaces],
        "trials": [{**r, "rank": i} for i, r in enumerate(ranked, 1)],
    })


def save_search(result: SearchResult, out: str | os.PathLike) -> dict[str, Path]:
    """Write results.csv/json, best_config.toml, search.png and zoomed_space.toml."""
    from glassnet.core.atomic import atomic_write_text

    out = Path(out)
    space, ranked = result.space, result.trials
    _write_tables(out, space, result.spaces, ranked, result.workers, result.engine,
                  result.seconds)
    best = ranked[0]
    comment = (f"best of {len(ranked)} trials (trial {best['trial']}, round {best['round']}): "
               f"{space.metric} = {best['metric']:.6g}"
               + ("" if best["feasible"] else f"; violates {', '.join(best['violations'])}")
               + f"\ntrain it: glassnet train --config {out / BEST_NAME}")
    atomic_write_text(out / BEST_NAME, to_toml(best["config"], comment))
    next_space = result.spaces[-1].zoom(ranked)
    atomic_write_text(out / NEXT_SPACE_NAME, next_space.to_toml(
        f"the next, finer space around the best trials of {out / CSV_NAME}\n"
        f"glassnet search --space {out / NEXT_SPACE_NAME}"))
    paths = {"csv": out / CSV_NAME, "json": out / JSON_NAME, "best_config": out / BEST_NAME,
             "zoomed_space": out / NEXT_SPACE_NAME}
    paths["plot"] = search_plot(ranked, result.spaces, out / PLOT_NAME)
    return paths


def search_plot(ranked: Sequence[Mapping[str, Any]], spaces: Sequence[SearchSpace],
                path: str | os.PathLike) -> Path:
    """Save :func:`search_figure` as a PNG (atomically)."""
    from glassnet.project.plots import save_figure

    return save_figure(search_figure(ranked, spaces), path)


def search_figure(ranked: Sequence[Mapping[str, Any]], spaces: Sequence[SearchSpace]) -> Any:
    """The metric against each sampled hyperparameter, one panel each.

    Log axes for log-scale parameters (and ``1 - beta`` on a log axis, beta
    growing to the right, for one_minus_log); choices as categories.  Colours
    are rounds of coarse to fine; hollow markers violate a constraint; the
    star is the best trial.
    """
    from glassnet.project.plots import _pyplot

    plt = _pyplot()
    from matplotlib import ticker
    space = spaces[0]
    names = list(space.params)
    done = [r for r in ranked if r.get("error") is None and math.isfinite(r["metric"])]
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, name in zip(axes.flat, names, strict=False):
        p = space.params[name]
        jitter = numpy.random.default_rng(0)
        for rnd in sorted({r["round"] for r in done}):
            for feasible in (True, False):
                rows = [r for r in done if r["round"] == rnd and r["feasible"] == feasible]
                if not rows:
                    continue
                xs = _plot_x(p, [r["params"][name] for r in rows], jitter)
                ys = [r["metric"] for r in rows]
                color = colors[rnd % len(colors)]
                label = (f"round {rnd + 1}" if len(spaces) > 1 else "trials") + (
                    "" if feasible else " (violates a constraint)")
                ax.scatter(xs, ys, s=28, label=label, alpha=0.8,
                           facecolors=color if feasible else "none", edgecolors=color)
        if done:
            best = done[0]
            ax.scatter(_plot_x(p, [best["params"][name]], None), [best["metric"]], marker="*",
                       s=220, color="crimson", zorder=5, label="best")
        if p.axis_scale in ("log", "one_minus_log"):
            ax.set_xscale("log")
            decades = abs(numpy.subtract(*p.u_bounds))
            subs = (1.0,) if decades > 2.5 else (1.0, 3.0) if decades > 1.2 else (1.0, 2.0, 5.0)
            ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:.3g}"))
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
            if p.axis_scale == "one_minus_log":
                ax.invert_xaxis()  # beta grows to the right
                ax.set_xlabel(f"1 - {name} (log scale)")
            else:
                ax.set_xlabel(f"{name} (log scale)")
        elif p.axis_scale == "category":
            ax.set_xticks(range(len(p.values)))
            ax.set_xticklabels([_short(v) for v in p.values])
            ax.set_xlabel(name)
        else:
            if p.type == "int":
                ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
            ax.set_xlabel(name)
        ax.set_ylabel(space.metric)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper center", ncol=min(4, len(labels)),
                   bbox_to_anchor=(0.5, 1.0 + 0.04 / nrows), frameon=False)
    fig.suptitle(f"random search: {space.metric} ({space.goal}) over {len(ranked)} trials",
                 y=1.0 + 0.1 / nrows)
    fig.tight_layout()
    return fig


def _plot_x(p: Param, values: list[Any], rng: numpy.random.Generator | None) -> list[float]:
    if p.type == "choice":
        idx = [next(i for i, v in enumerate(p.values) if v == x) if any(v == x for v in p.values)
               else -1 for x in values]
        spread = rng.uniform(-0.12, 0.12, len(idx)) if rng is not None else numpy.zeros(len(idx))
        return [i + float(s) for i, s in zip(idx, spread, strict=True)]
    if p.type == "one_minus_log":
        return [1.0 - float(v) for v in values]
    return [float(v) for v in values]


def format_table(result: SearchResult, limit: int | None = None) -> str:
    """The ranked trials as an aligned text table (rank, metric, hyperparameters, seconds)."""
    space = result.space
    header = ["rank", space.metric, *space.params, "seconds"]
    rows = []
    for rank, r in enumerate(result.trials[:limit] if limit else result.trials, 1):
        if r.get("error") is not None:
            metric = "failed"
        else:
            metric = f"{r['metric']:.4f}" + ("" if r["feasible"] else " *")
        rows.append([str(rank), metric, *(_short(r["params"][p]) for p in space.params),
                     f"{r['seconds']:.1f}"])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def _short(value: Any) -> str:
    value = _py(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return _fmt(value)
