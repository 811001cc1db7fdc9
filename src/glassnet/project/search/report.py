"""A search's report: the ranked table, results.csv/json, best_config.toml and the plot."""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy

from glassnet.project.search.params import (
    BEST_NAME,
    CSV_NAME,
    JSON_NAME,
    NEXT_SPACE_NAME,
    PLOT_NAME,
    Param,
    _py,
    to_toml,
)
from glassnet.project.search.space import SearchSpace


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
    notes: list[str] = field(default_factory=list)  # e.g. the workers capped at the cores

    @property
    def best(self) -> dict[str, Any]:
        return self.trials[0]

    @property
    def best_config(self) -> dict[str, Any]:
        return dict(self.trials[0]["config"])

    @property
    def metric(self) -> str:
        return self.space.metric



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
