"""Random hyperparameter search: scales, coarse to fine, ranking, parallel trials, CLI."""

from __future__ import annotations

import json
import math
import os
import sys
import tomllib

import numpy
import pytest
from scipy import stats

from glassnet.core.errors import GlassnetError
from glassnet.project.search.params import Constraint, Param
from glassnet.project.search.report import search_figure, to_toml
from glassnet.project.search.space import SearchSpace
from glassnet.project.search.trials import execute, run_search, run_trial

TINY_FIXED = {"epochs": 2, "optimizer": "adam", "batch_size": 128, "dev_fraction": 0.2,
              "print_every": 1}


def tiny_space(**search) -> dict:
    return {
        "search": {"metric": "dev_accuracy", "trials": 4, "seed": 0, **search},
        "fixed": dict(TINY_FIXED),
        "params": {
            "learning_rate": {"type": "log", "low": 1e-3, "high": 1e-1},
            "hidden_layers": {"type": "int", "low": 1, "high": 2},
            "hidden_units": {"type": "int", "low": 4, "high": 16},
        },
    }


# -- sampling scales -----------------------------------------------------------------------

def test_log_scale_is_uniform_in_the_exponent():
    """alpha in [1e-4, 1]: r ~ U[-4, 0], alpha = 10^r: each decade gets a quarter."""
    p = Param.from_spec("learning_rate", {"type": "log", "low": 1e-4, "high": 1.0})
    x = numpy.array(p.sample(numpy.random.default_rng(0), 20000))
    assert x.min() >= 1e-4 and x.max() <= 1.0
    r = numpy.log10(x)
    assert stats.kstest(r, stats.uniform(loc=-4, scale=4).cdf).pvalue > 1e-3
    per_decade = numpy.histogram(r, bins=[-4, -3, -2, -1, 0])[0] / len(r)
    numpy.testing.assert_allclose(per_decade, 0.25, atol=0.015)
    # a linear draw on the same interval would put ~90% in the top decade
    assert per_decade[-1] < 0.3
    # ... and the same samples fail a KS test against a linear (uniform in x) draw
    assert stats.kstest(x, stats.uniform(loc=1e-4, scale=1 - 1e-4).cdf).pvalue < 1e-6


def test_one_minus_log_samples_one_minus_beta_on_a_log_scale():
    """beta in [0.9, 0.999]: 1 - beta = 10^r, r ~ U[-3, -1]."""
    p = Param.from_spec("beta", {"type": "one_minus_log", "low": 0.9, "high": 0.999})
    beta = numpy.array(p.sample(numpy.random.default_rng(1), 20000))
    assert beta.min() >= 0.9 and beta.max() <= 0.999
    r = numpy.log10(1 - beta)
    assert stats.kstest(r, stats.uniform(loc=-3, scale=2).cdf).pvalue > 1e-3
    # as much sampling effort for 0.99..0.999 as for 0.9..0.99 (linear: 9% vs 91%)
    assert abs(numpy.mean(beta > 0.99) - 0.5) < 0.02


def test_int_choice_and_log_int():
    rng = numpy.random.default_rng(2)
    layers = Param.from_spec("hidden_layers", {"type": "int", "low": 1, "high": 4})
    v = layers.sample(rng, 4000)
    assert all(isinstance(x, int) for x in v)
    counts = numpy.bincount(v, minlength=5)[1:]
    assert counts.min() > 900  # all four values, about 1000 each
    assert set(v) == {1, 2, 3, 4}

    hidden = Param.from_spec("hidden", [[8], [16, 8], [32, 16, 8]])  # a bare list = choice
    assert hidden.type == "choice"
    drawn = hidden.sample(rng, 300)
    assert {tuple(h) for h in drawn} == {(8,), (16, 8), (32, 16, 8)}
    assert all(isinstance(h, list) for h in drawn)

    batch = Param.from_spec("batch_size", {"type": "log_int", "low": 16, "high": 1024})
    b = numpy.array(batch.sample(rng, 5000))
    assert b.min() >= 16 and b.max() <= 1024 and b.dtype.kind == "i"
    assert abs(numpy.mean(b <= 128) - 0.5) < 0.03  # 16..128 is half of 16..1024 in log2


def test_space_combines_layers_and_units_and_is_reproducible():
    space = SearchSpace.from_dict(tiny_space())
    a = space.sample(numpy.random.default_rng(5), 6)
    b = space.sample(numpy.random.default_rng(5), 6)
    assert a == b
    for cfg in a:
        assert "hidden_layers" not in cfg and "hidden_units" not in cfg
        assert 1 <= len(cfg["hidden"]) <= 2 and len(set(cfg["hidden"])) == 1
        assert cfg["epochs"] == 2 and cfg["optimizer"] == "adam"
        assert 1e-3 <= cfg["learning_rate"] <= 1e-1
    # random, not a grid: six trials try six distinct learning rates
    assert len({cfg["learning_rate"] for cfg in a}) == 6


@pytest.mark.parametrize("params, message", [
    ({"learning_rate": {"type": "gaussian", "low": 0, "high": 1}}, "unknown distribution"),
    ({"learning_rate": {"type": "log", "low": 0.1, "high": 0.1}}, "low must be < high"),
    ({"learning_rate": {"type": "linear", "low": 1.0, "high": 0.5}}, "low must be < high"),
    ({"learning_rate": {"type": "log", "low": 0.0, "high": 1.0}}, "low > 0"),
    ({"learning_rate": {"type": "log", "low": -1, "high": 1.0}}, "low > 0"),
    ({"beta": {"type": "one_minus_log", "low": 0.9, "high": 1.0}}, "high < 1"),
    ({"hidden_layers": {"type": "int", "low": 1.5, "high": 3}}, "integers"),
    ({"learning_rate": {"type": "log", "low": 1e-4}}, "missing 'high'"),
    ({"learning_rate": {"low": 1e-4, "high": 1}}, "missing 'type'"),
    ({"learning_rate": {"type": "choice", "values": []}}, "non-empty"),
    ({"learning_rate": 0.1}, "constants go in [fixed]"),
    ({"learnin_rate": {"type": "log", "low": 1e-4, "high": 1}}, "unknown hyperparameter"),
    ({"hidden_layers": {"type": "int", "low": 1, "high": 3}}, "go together"),
])
def test_bad_spaces_raise_clear_errors(params, message):
    with pytest.raises(GlassnetError, match=message.replace("[", r"\[").replace("]", r"\]")):
        SearchSpace.from_dict({"fixed": {"dev_fraction": 0.2}, "params": params})


def test_bad_space_files_and_settings(tmp_path):
    with pytest.raises(GlassnetError, match="no such"):
        SearchSpace.from_file(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[params\nlearning_rate = 1")
    with pytest.raises(GlassnetError, match="cannot parse"):
        SearchSpace.from_file(bad)
    with pytest.raises(GlassnetError, match="dev_fraction"):  # dev metric without a dev set
        SearchSpace.from_dict({"params": {"l2": {"type": "log", "low": 1e-4, "high": 1}}})
    space = tiny_space()
    space["fixed"]["optimiser"] = "adam"
    with pytest.raises(GlassnetError, match="unknown \\[fixed\\] setting"):
        SearchSpace.from_dict(space)
    space = tiny_space(trials=0)
    with pytest.raises(GlassnetError, match="trials must be >= 1"):
        SearchSpace.from_dict(space)


# -- ranking with satisficing constraints ------------------------------------------------

def _record(trial, value, seconds=1.0, error=None, **params):
    return {"trial": trial, "round": 0, "params": params, "config": {}, "metric": value,
            "metrics": {"dev_accuracy": value, "train_seconds": seconds}, "error": error,
            "seconds": seconds, "pid": 0}


def test_constraints_rank_violators_after_satisfying_trials():
    space = SearchSpace.from_dict({**tiny_space(), "search": {
        "metric": "dev_accuracy", "constraints": {"train_seconds": 5.0}}})
    assert space.constraints == [Constraint("train_seconds", "<=", 5.0)]
    records = [
        _record(0, 0.95, seconds=9.0),              # best metric, too slow
        _record(1, 0.90, seconds=2.0),
        _record(2, 0.93, seconds=4.0),
        _record(3, math.nan, error="TrainingDiverged: cost is nan"),
        _record(4, 0.97, seconds=12.0),
    ]
    from glassnet.project.search.trials import _score

    for r in records:
        _score(space, r)
    ranked = space.rank(records)
    assert [r["trial"] for r in ranked] == [2, 1, 4, 0, 3]
    assert [r["feasible"] for r in ranked] == [True, True, False, False, False]
    assert ranked[2]["violations"] == ["train_seconds <= 5"]


def test_constraint_forms_and_goal():
    assert Constraint.parse("max_train_seconds", 10) == Constraint("train_seconds", "<=", 10.0)
    assert Constraint.parse("min_dev_f1", 0.9) == Constraint("dev_f1", ">=", 0.9)
    assert Constraint.parse("dev_f1", ">= 0.8") == Constraint("dev_f1", ">=", 0.8)
    assert Constraint.parse("n_parameters", "<= 5000").satisfied({"n_parameters": 4000})
    assert not Constraint.parse("n_parameters", 5000).satisfied({"n_parameters": 6000})
    assert not Constraint.parse("n_parameters", 5000).satisfied({})  # unmeasured = violated
    with pytest.raises(GlassnetError, match="expected a number"):
        Constraint.parse("dev_f1", "about 0.8")
    # a cost is minimized
    space = SearchSpace.from_dict({**tiny_space(), "search": {"metric": "dev_cost"}})
    assert space.goal == "minimize"
    ranked = space.rank([_record(0, 0.5), _record(1, 0.2), _record(2, 0.9)])
    assert [r["trial"] for r in ranked] == [1, 0, 2]


# -- coarse to fine ------------------------------------------------------------------------

def test_zoom_narrows_around_the_best_trials():
    space = SearchSpace.from_dict({
        "search": {"metric": "dev_accuracy"},
        "fixed": {"dev_fraction": 0.2, "hidden_layers": 1},
        "params": {
            "learning_rate": {"type": "log", "low": 1e-4, "high": 1.0},
            "beta": {"type": "one_minus_log", "low": 0.9, "high": 0.999},
            "hidden_units": {"type": "int", "low": 10, "high": 210},
            "keep_prob": {"type": "linear", "low": 0.5, "high": 1.0},
            "optimizer": {"type": "choice", "values": ["gd", "momentum", "adam"]},
        },
    })
    rng = numpy.random.default_rng(3)
    points = space.sample_params(rng, 200)
    results = []
    for i, p in enumerate(points):
        # a bowl peaking at alpha = 1e-2, beta = 0.99, 150 units, keep_prob 0.8, adam
        value = (1 - 0.1 * (math.log10(p["learning_rate"]) + 2) ** 2
                 - 0.1 * (math.log10(1 - p["beta"]) + 2) ** 2
                 - ((p["hidden_units"] - 150) / 200) ** 2 - (p["keep_prob"] - 0.8) ** 2
                 - 0.3 * (p["optimizer"] != "adam"))
        results.append({**_record(i, value), "params": p, "feasible": True})
    fine = space.zoom(results, top_k=5, factor=0.5)
    best = space.rank(results)[0]["params"]

    lr = fine.params["learning_rate"]
    assert lr.type == "log" and lr.low >= 1e-4 and lr.high <= 1.0
    assert math.log10(lr.high) - math.log10(lr.low) == pytest.approx(2.0, rel=1e-3)  # half of 4
    assert lr.low <= 1e-2 <= lr.high and lr.low <= best["learning_rate"] <= lr.high
    beta = fine.params["beta"]
    assert math.log10(1 - beta.low) - math.log10(1 - beta.high) == pytest.approx(1.0, rel=1e-3)
    assert beta.low <= 0.99 <= beta.high and 0.9 <= beta.low and beta.high <= 0.999
    units = fine.params["hidden_units"]
    assert units.high - units.low <= 101 and units.low <= 150 <= units.high
    kp = fine.params["keep_prob"]
    assert kp.high - kp.low == pytest.approx(0.25) and kp.low <= 0.8 <= kp.high
    assert fine.params["optimizer"].values == ("adam",)
    # the finer space samples only inside the zoomed region, and zooms again
    for p in fine.sample_params(numpy.random.default_rng(0), 100):
        assert lr.low <= p["learning_rate"] <= lr.high and p["optimizer"] == "adam"
    finer = fine.zoom(results[:1] + [{**results[0], "trial": 1}], top_k=1, factor=0.5)
    assert finer.params["learning_rate"].high / finer.params["learning_rate"].low == (
        pytest.approx(10.0, rel=1e-3))


def test_zoom_keeps_two_integers_and_stays_in_bounds():
    p = Param.from_spec("hidden_layers", {"type": "int", "low": 1, "high": 3})
    q = p.narrowed([3, 3, 3], 3, 0.1)
    assert (q.low, q.high) == (2, 3)
    q = p.narrowed([1], 1, 0.5)
    assert q.low == 1 and q.high == 2


def test_space_round_trips_through_toml():
    space = SearchSpace.from_dict({**tiny_space(), "search": {
        "metric": "dev_accuracy", "trials": 7, "constraints": {"train_seconds": 3.5}}})
    space.params["activation"] = Param.from_spec("activation", ["relu", "tanh"])
    space.params["beta1"] = Param.from_spec("beta1", {"type": "one_minus_log", "low": 0.9,
                                                      "high": 0.999})
    again = SearchSpace.from_dict(tomllib.loads(space.to_toml("a comment\nover two lines")))
    assert again.params == space.params and again.fixed == space.fixed
    assert again.constraints == space.constraints and again.trials == 7


def test_toml_writer_round_trips_awkward_values():
    table = {"s": 'quote " backslash \\ tab\t newline\n é \x7f', "f": 1e-05, "g": 1e16,
             "i": -3, "b": True, "lst": [1, 2.5, "x", [3]], "none": None, "inf": math.inf,
             "n64": numpy.float64(0.25), "i64": numpy.int64(7),
             "sec": {"a": 1, "inner": {"k": "v"}}, "odd key": 1}
    back = tomllib.loads(to_toml(table, "header"))
    expected = {k: v for k, v in table.items() if v is not None}
    expected["lst"] = [1, 2.5, "x", [3]]
    assert back == expected


# -- trials in parallel processes ----------------------------------------------------------

def test_run_trial_records_failures_instead_of_raising(tmp_path):
    rec = run_trial({"trial": 0, "round": 0, "params": {},
                     "config": {**TINY_FIXED, "data": str(tmp_path / "missing.npz")}})
    assert rec["error"] is not None and rec["metrics"] == {} and rec["pid"] == os.getpid()


def test_missing_dask_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails
    with pytest.raises(GlassnetError, match=r"pip install 'glassnet\[distributed\]'"):
        list(execute([{"trial": 0, "round": 0, "params": {}, "config": {}}],
                     cluster="tcp://127.0.0.1:8786"))


@pytest.mark.slow
def test_trials_run_in_parallel_processes_and_are_sorted(tmp_path):
    space = tiny_space()
    # trials long enough (about a second each) that the two workers' start-up times, which
    # differ by up to a second, cannot let one worker finish its share before the other starts
    space["fixed"]["epochs"] = 40
    result = run_search(space, trials=6, workers=2, out=tmp_path)
    trials = result.trials
    assert len(trials) == 6 and all(t["error"] is None for t in trials)
    pids = {t["pid"] for t in trials}
    assert len(pids) == 2 and os.getpid() not in pids
    # two trials in different processes overlapped in time
    assert any(a["pid"] != b["pid"] and a["started_at"] < b["finished_at"]
               and b["started_at"] < a["finished_at"] for a in trials for b in trials)
    values = [t["metric"] for t in trials]
    assert values == sorted(values, reverse=True) and 0.1 < values[0] <= 1
    assert len({t["config"]["seed"] for t in trials}) == 6  # distinct derived seeds
    # the files: sorted CSV, a best config that `glassnet train --config` reads, the plot
    rows = (tmp_path / "results.csv").read_text().splitlines()
    assert rows[0].startswith("rank,round,trial,dev_accuracy,feasible,learning_rate")
    assert [float(r.split(",")[3]) for r in rows[1:]] == pytest.approx(values)
    from glassnet.cli.common import _read_config_file

    best = _read_config_file(str(tmp_path / "best_config.toml"))
    assert best == trials[0]["config"]
    assert (tmp_path / "search.png").stat().st_size > 10_000
    assert SearchSpace.from_file(tmp_path / "zoomed_space.toml").params["learning_rate"].high <= 0.1
    data = json.loads((tmp_path / "results.json").read_text())
    assert [t["trial"] for t in data["trials"]] == [t["trial"] for t in trials]
    # the best configuration, trained again, gives the same dev accuracy
    from glassnet.project.run import run_training

    again = run_training(best, progress=False)
    assert again.metrics["dev_accuracy"] == pytest.approx(trials[0]["metric"], abs=1e-12)


@pytest.mark.slow
def test_coarse_to_fine_rounds(tmp_path):
    result = run_search(tiny_space(), trials=3, rounds=2, workers=2, top_k=2, out=tmp_path)
    assert len(result.trials) == 6 and len(result.spaces) == 2
    coarse, fine = result.spaces
    lr0, lr1 = coarse.params["learning_rate"], fine.params["learning_rate"]
    assert math.log10(lr1.high / lr1.low) == pytest.approx(0.5 * math.log10(lr0.high / lr0.low),
                                                           rel=1e-3)
    for t in result.trials:
        if t["round"] == 1:
            assert lr1.low <= t["params"]["learning_rate"] <= lr1.high


def test_search_figure_uses_log_axes_for_log_scales():
    space = SearchSpace.from_dict({"fixed": {"dev_fraction": 0.2, "hidden_layers": 1}, "params": {
        "learning_rate": {"type": "log", "low": 1e-4, "high": 1},
        "beta1": {"type": "one_minus_log", "low": 0.9, "high": 0.999},
        "hidden_units": {"type": "int", "low": 4, "high": 16},
        "batch_size": {"type": "choice", "values": [32, 64]},
    }})
    rng = numpy.random.default_rng(0)
    records = [{**_record(i, 0.5 + 0.01 * i), "params": p, "feasible": i % 3 > 0}
               for i, p in enumerate(space.sample_params(rng, 12))]
    fig = search_figure(space.rank(records), [space])
    scales = {ax.get_xlabel().split(" ")[0]: ax.get_xscale() for ax in fig.axes
              if ax.get_xlabel()}
    assert scales == {"learning_rate": "log", "1": "log", "hidden_units": "linear",
                      "batch_size": "linear"}
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert "1 - beta1 (log scale)" in labels
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.slow
def test_dask_cluster_runs_the_same_trials(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        result = run_search(tiny_space(), trials=4, cluster=cluster.scheduler_address)
    assert result.engine.startswith("dask tcp://")
    assert len(result.trials) == 4 and all(t["error"] is None for t in result.trials)
    assert os.getpid() not in {t["pid"] for t in result.trials}
    # the same trial function and seeds as the local engine: identical metrics
    local = run_search(tiny_space(), trials=4, workers=2)
    by_trial = {t["trial"]: t["metric"] for t in local.trials}
    assert {t["trial"]: t["metric"] for t in result.trials} == pytest.approx(by_trial)


# -- command line --------------------------------------------------------------------------

def _write_space(path, **search) -> str:
    space = tiny_space(**search)
    path.write_text(to_toml(space))
    return str(path)


@pytest.mark.slow
def test_cli_search_end_to_end(tmp_path):
    from click.testing import CliRunner

    from glassnet.cli.search import search

    space = _write_space(tmp_path / "space.toml", constraints={"train_seconds": 60.0})
    out = tmp_path / "out"
    res = CliRunner().invoke(search, ["--space", space, "--trials", "3", "--workers", "2",
                                      "--out", str(out), "--seed", "4"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("rank"))
    assert lines[header].split() == ["rank", "dev_accuracy", "learning_rate", "hidden_layers",
                                     "hidden_units", "seconds"]
    ranks = [int(line.split()[0]) for line in lines[header + 1: header + 4]]
    assert ranks == [1, 2, 3]
    shown = [float(line.split()[1]) for line in lines[header + 1: header + 4]]
    assert shown == sorted(shown, reverse=True)
    assert f"best configuration: {out / 'best_config.toml'}" in res.output
    assert tomllib.loads((out / "best_config.toml").read_text())["epochs"] == 2

    res = CliRunner().invoke(search, ["--space", space, "--trials", "2", "--workers", "2",
                                      "--out", str(tmp_path / "o2"), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["metric"] == "dev_accuracy" and len(payload["trials"]) == 2
    assert payload["best"]["value"] == payload["trials"][0]["value"]


def test_cli_reports_bad_spaces(tmp_path):
    from click.testing import CliRunner

    from glassnet.cli.search import search

    bad = tmp_path / "bad.toml"
    bad.write_text('[fixed]\ndev_fraction = 0.2\n[params]\n'
                   'learning_rate = { type = "log", low = 0, high = 1 }\n')
    res = CliRunner().invoke(search, ["--space", str(bad), "--trials", "2"])
    assert isinstance(res.exception, GlassnetError)
    assert "low > 0" in str(res.exception) and str(bad) in str(res.exception)
    res = CliRunner().invoke(search, ["--space", str(bad), "--trials", "0"])
    assert isinstance(res.exception, GlassnetError) and "--trials" in str(res.exception)


def test_example_space_parses():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "search_space.toml"
    space = SearchSpace.from_file(path)
    assert space.params["learning_rate"].type == "log"
    assert space.params["beta1"].type == "one_minus_log"
    assert space.fixed["dev_fraction"] == 0.2 and space.fixed["optimizer"] == "adam"
    cfg = space.sample(numpy.random.default_rng(0), 1)[0]
    from glassnet.project.config import RunConfig

    RunConfig.from_dict(cfg)  # a valid training configuration


@pytest.mark.slow
def test_unknown_metric_stops_the_search_with_the_available_ones():
    with pytest.raises(GlassnetError, match="dev_acuracy.*available: .*dev_accuracy"):
        run_search(tiny_space(metric="dev_acuracy", trials=2), workers=1)


@pytest.mark.slow
def test_a_round_of_failed_trials_is_an_error(tmp_path):
    space = tiny_space(trials=2)
    space["fixed"]["data"] = str(tmp_path / "missing.npz")
    with pytest.raises(GlassnetError, match="every trial of round 1 failed"):
        run_search(space, workers=1)
