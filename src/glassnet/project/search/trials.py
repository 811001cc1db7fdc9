"""Running a search: trials in parallel (local processes or a Dask cluster), resumable,
ranked by the optimizing metric under the satisficing constraints."""

from __future__ import annotations

import math
import os
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.errors import GlassnetError
from glassnet.project.search.params import PLOT_NAME, _factor, _int, _positive_int, _py
from glassnet.project.search.report import SearchResult, _write_tables, save_search, search_plot
from glassnet.project.search.space import SearchSpace, as_space


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


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


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
        cores = available_cores()
        self.workers = workers or cores
        self.notes: list[str] = []
        if not cluster and self.workers > cores:  # more processes than cores only slow down
            self.notes.append(f"--workers {self.workers}: capped at the {cores} core"
                              f"{'s' * (cores > 1)} of this machine")
            self.workers = cores
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
                          time.perf_counter() - started, out_dir, notes=engine.notes)
    if out_dir is not None:
        result.paths = save_search(result, out_dir)
    return result


def _validate_config(config: dict[str, Any]) -> None:
    """Fail before any training on settings ``run_training`` would reject."""
    from glassnet.project.config import RunConfig

    try:
        RunConfig.from_dict(config)
    except GlassnetError as exc:
        raise GlassnetError(
            f"search space gives an invalid training configuration: {exc}") from None
