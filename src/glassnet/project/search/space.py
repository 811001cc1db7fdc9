"""A search space (the [search], [fixed] and [params] tables of a space file), its
random samples and its coarse-to-fine zoom."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.errors import GlassnetError
from glassnet.project.search.params import (
    HIDDEN_LAYERS,
    HIDDEN_UNITS,
    Constraint,
    Param,
    _factor,
    _goal,
    _int,
    _positive_int,
    _py,
    to_toml,
)


def _table(data: Mapping[str, Any], section: str) -> dict[str, Any]:
    """The ``[section]`` table of a space file ({} when absent); one line if it is not one."""
    table = data.get(section)
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise GlassnetError(f"search space: [{section}] must be a table, got "
                            f"{type(table).__name__} {str(table)[:40]!r}")
    return dict(table)


def _check_fixed(fixed: Mapping[str, Any]) -> None:
    """The ``[fixed]`` settings' values have the types and ranges of RunConfig's."""
    from glassnet.project.config import RunConfig

    RunConfig.check_keys({k: v for k, v in fixed.items() if k in _known_config_keys()},
                         source="search space [fixed]")


def _known_config_keys() -> set[str]:
    from glassnet.project.config import PRESET_KEY, RunConfig

    return {*RunConfig.names(), PRESET_KEY}  # preset = "course": the course's recipe


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
        settings = _table(data, "search")
        fixed = {str(k): v for k, v in _table(data, "fixed").items()}
        raw_params: dict[str, Any] = {}
        for section in ("params", "hyperparameters"):
            raw_params.update(_table(data, section))
        for key, value in data.items():
            if key not in ("search", "fixed", "params", "hyperparameters"):
                raw_params[key] = value
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
        _check_fixed(fixed)
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


def as_space(space: SearchSpace | Mapping[str, Any] | str | os.PathLike) -> SearchSpace:
    """A :class:`SearchSpace` from itself, a parsed dict or a file path."""
    if isinstance(space, SearchSpace):
        return space
    if isinstance(space, Mapping):
        return SearchSpace.from_dict(space)
    return SearchSpace.from_file(space)
