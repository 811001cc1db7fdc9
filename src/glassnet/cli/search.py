"""``glassnet search``: random hyperparameter search from a space file.

Registered on the ``glassnet`` group in :mod:`glassnet.cli` with
``cli.add_command(search)``.
"""

from __future__ import annotations

import json
import sys

import click

from glassnet.core.errors import GlassnetError


@click.command("search")
@click.option("--space", "space_file", required=True, type=str,
              help="The search space: a TOML/YAML/JSON file with [search], [fixed] and "
                   "[params] tables (see examples/search_space.toml).")
@click.option("--trials", type=int, help="Trials per round (default: the file's, else 20).")
@click.option("--workers", type=int,
              help="Local worker processes, one trial each (default: all cores).")
@click.option("--cluster", type=str,
              help="A Dask scheduler address (tcp://host:8786) to run trials on a cluster, "
                   "or 'local' for a Dask cluster on this machine.")
@click.option("--rounds", type=int,
              help="Coarse to fine: after each round, zoom into the best trials' region.")
@click.option("--top-k", type=int, help="Trials that define the zoomed region (5).")
@click.option("--out", type=str, default="runs/search", show_default=True,
              help="Output folder: results.csv, best_config.toml, search.png.")
@click.option("--seed", type=int, help="Seed of the sampling and of the trials' seeds.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: on a terminal).")
def search(space_file: str, trials: int | None, workers: int | None, cluster: str | None,
           rounds: int | None, top_k: int | None, out: str, seed: int | None, as_json: bool,
           progress: bool | None) -> None:
    """Random hyperparameter search: many models trained in parallel, the best kept.

    Samples each hyperparameter at random on its own scale (log for the
    learning rate, 1 - beta on a log scale for beta, linear for layers and
    units), trains every trial on all local cores (joblib/loky) or on a Dask
    cluster, and prints the trials best first.  Saves the ranked results, the
    best configuration (train it with glassnet train --config), a plot of the
    metric against each hyperparameter and the zoomed space for a finer search.
    """
    from glassnet.project.search.report import format_table
    from glassnet.project.search.space import SearchSpace
    from glassnet.project.search.trials import run_search

    for name, value in (("--trials", trials), ("--workers", workers), ("--rounds", rounds),
                        ("--top-k", top_k)):
        if value is not None and value < 1:
            raise GlassnetError(f"{name} must be >= 1, got {value}")
    space = SearchSpace.from_file(space_file)
    if progress is None:
        progress = sys.stderr.isatty() and not as_json
    result = run_search(space, trials=trials, workers=workers, cluster=cluster, rounds=rounds,
                        out=out, seed=seed, top_k=top_k, progress=progress)
    best = result.best
    if as_json:
        payload = {
            "metric": result.metric, "goal": result.space.goal,
            "best": {"trial": best["trial"], "value": best["metric"], "params": best["params"],
                     "config": best["config"], "feasible": best["feasible"]},
            "trials": [{"rank": i, "trial": r["trial"], "round": r["round"],
                        "value": r["metric"], "feasible": r["feasible"], "params": r["params"],
                        "seconds": r["seconds"], "pid": r["pid"], "error": r["error"]}
                       for i, r in enumerate(result.trials, 1)],
            "workers": result.workers, "engine": result.engine, "seconds": result.seconds,
            "files": {k: str(v) for k, v in result.paths.items()},
            "notes": result.notes,
        }
        click.echo(json.dumps(payload, default=str))
        return
    for note in result.notes:
        click.echo(f"note: {note}")
    n = len(result.trials)
    click.echo(f"{n} trials ({result.space.rounds} round{'s' * (result.space.rounds > 1)}) on "
               f"{result.workers} worker{'s' * (result.workers > 1)} ({result.engine}) in "
               f"{result.seconds:.1f} s; {result.metric} ({result.space.goal}), best first:")
    click.echo(format_table(result))
    if any(not r["feasible"] and r["error"] is None for r in result.trials):
        constraints = ", ".join(str(c) for c in result.space.constraints)
        click.echo(f"* violates a constraint ({constraints}): ranked after the others")
    failed = [r for r in result.trials if r["error"] is not None]
    for r in failed[:3]:
        click.echo(f"trial {r['trial']} failed: {r['error']}")
    paths = result.paths
    click.echo(f"best configuration: {paths['best_config']}  "
               f"(glassnet train --config {paths['best_config']})")
    click.echo(f"results: {paths['csv']}; plot: {paths['plot']}; "
               f"finer space: {paths['zoomed_space']}")
