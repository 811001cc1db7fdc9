"""Course 3 strategy: diagnosis on hand-made error tables, single-number metrics, selection."""

from __future__ import annotations

import json

import numpy
import pytest
from click.testing import CliRunner

from glassnet.cli.strategy import diagnose_command, select
from glassnet.core.errors import GlassnetError
from glassnet.functions.metrics import f1_from
from glassnet.project.selection import (
    candidate_metrics,
    prediction_time_ms,
    select_model,
    single_number_metric,
)
from glassnet.project.strategy import RECOMMENDATIONS, diagnose

# -- diagnosis: every recommendation path ---------------------------------------------------


def test_avoidable_bias_is_largest():
    # human 1%, train 8%, dev 10%: the notes' "focus on bias" example
    d = diagnose(human_error=0.01, train_error=0.08, dev_error=0.10)
    assert d.avoidable_bias == pytest.approx(0.07)
    assert d.variance == pytest.approx(0.02)  # dev - train without a train-dev set
    assert d.data_mismatch is None and d.dev_overfitting is None
    assert d.largest == "avoidable_bias"
    text = " ".join(d.recommendations)
    for word in ("bigger network", "longer", "Adam", "momentum", "RMSProp", "architecture"):
        assert word in text
    assert any("train-dev" in n for n in d.notes)


def test_variance_is_largest():
    d = diagnose(0.01, 0.015, train_dev_error=0.095, dev_error=0.10)
    assert d.avoidable_bias == pytest.approx(0.005)
    assert d.variance == pytest.approx(0.08)
    assert d.data_mismatch == pytest.approx(0.005)
    assert d.largest == "variance"
    text = " ".join(d.recommendations)
    for word in ("more training data", "L2", "dropout", "augmentation"):
        assert word in text


def test_data_mismatch_is_largest():
    d = diagnose(0.01, 0.015, train_dev_error=0.02, dev_error=0.10)
    assert d.variance == pytest.approx(0.005)
    assert d.data_mismatch == pytest.approx(0.08)
    assert d.largest == "data_mismatch"
    text = " ".join(d.recommendations)
    for word in ("error analysis", "more like the dev", "synthesis", "overfit"):
        assert word in text


def test_dev_overfitting_is_largest():
    d = diagnose(0.01, 0.015, train_dev_error=0.02, dev_error=0.025, test_error=0.10)
    assert d.dev_overfitting == pytest.approx(0.075)
    assert d.largest == "dev_overfitting"
    assert d.recommendations == RECOMMENDATIONS["dev_overfitting"]
    assert "bigger dev set" in d.recommendations[0]


def test_test_error_stands_in_for_missing_dev_set():
    d = diagnose(0.01, 0.02, train_dev_error=0.03, test_error=0.10)
    assert d.data_mismatch == pytest.approx(0.07)
    assert d.dev_overfitting is None
    assert d.formulas["data_mismatch"] == "test error - train-dev error"
    assert any("no dev set" in n for n in d.notes)


def test_nothing_to_fix_and_notes_on_odd_tables():
    d = diagnose(0.05, 0.05, dev_error=0.05)
    assert d.largest is None and d.recommendations == []
    assert "No gap is positive" in str(d)
    # the dev distribution may be easier: dev < train-dev gives a negative mismatch and a note
    d = diagnose(0.01, 0.02, train_dev_error=0.06, dev_error=0.03)
    assert d.data_mismatch == pytest.approx(-0.03)
    assert any("easier" in n for n in d.notes)
    # training error below human level
    d = diagnose(0.05, 0.01, dev_error=0.08)
    assert any("below human level" in n for n in d.notes)


def test_ties_go_to_the_first_problem_of_the_table():
    d = diagnose(0.0, 0.05, dev_error=0.10)
    assert d.avoidable_bias == pytest.approx(d.variance)
    assert d.largest == "avoidable_bias"


def test_report_and_dict():
    d = diagnose(0.01, 0.015, train_dev_error=0.02, dev_error=0.10, test_error=0.105)
    out = d.to_dict()
    json.dumps(out)  # JSON-able for metrics.json
    for key in ("human_error", "train_error", "train_dev_error", "dev_error", "test_error",
                "avoidable_bias", "variance", "data_mismatch", "dev_overfitting",
                "largest", "recommendations", "text"):
        assert key in out
    assert out["largest"] == "data_mismatch"
    text = out["text"]
    lines = text.splitlines()[1:]  # below the title
    # the table: the five errors in order, each gap between its two errors
    order = ["human-level error", "avoidable bias", "training error", "variance",
             "train-dev error", "data mismatch", " dev error", "overfitting to the dev set",
             "test error"]
    positions = [next(i for i, ln in enumerate(lines) if w in ln) for w in order]
    assert positions == sorted(positions)
    assert "<- largest" in lines[positions[5]]
    assert "10.00%" in lines[positions[6]] and "+8.00%" in lines[positions[5]]
    assert str(d) == text


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan"), "x"])
def test_bad_errors_are_refused(bad):
    with pytest.raises(GlassnetError):
        diagnose(0.01, bad)


def test_percent_given_by_mistake_gets_a_hint():
    with pytest.raises(GlassnetError, match="0.08 for 8%"):
        diagnose(0.01, 8)


def test_diagnose_command():
    runner = CliRunner()
    res = runner.invoke(diagnose_command, ["--human", "1", "--train", "1.5", "--train-dev", "9.5",
                                           "--dev", "10", "--percent"])
    assert res.exit_code == 0, res.output
    assert "Largest problem: variance" in res.output
    res = runner.invoke(diagnose_command, ["--human", "0.01", "--train", "0.08", "--dev", "0.1",
                                           "--json"])
    assert json.loads(res.output)["largest"] == "avoidable_bias"


# -- single-number metrics -----------------------------------------------------------------

def test_f1_of_the_notes_classifiers():
    # classifier A: precision 95%, recall 90%; B: 98%, 85% -> A wins on F1
    assert f1_from(0.95, 0.90) == pytest.approx(0.92432, abs=1e-5)
    assert f1_from(0.98, 0.85) == pytest.approx(0.91038, abs=1e-5)


def test_single_number_metric_binary_and_averages():
    # binary: TP 2, FP 1, FN 1 -> P = R = F1 = 2/3
    t, p = [1, 1, 1, 0, 0], [1, 1, 0, 1, 0]
    assert single_number_metric(t, p) == pytest.approx(2 / 3)
    assert single_number_metric(t, p, "precision") == pytest.approx(2 / 3)
    assert single_number_metric(t, p, "error") == pytest.approx(2 / 5)
    # three classes, by hand: F1 per class 1/2, 2/3, 1; supports 2, 3, 1
    t = [0, 0, 1, 1, 1, 2]
    p = [0, 1, 1, 1, 0, 2]
    macro = (0.5 + 2 / 3 + 1.0) / 3
    weighted = (2 * 0.5 + 3 * (2 / 3) + 1 * 1.0) / 6
    assert single_number_metric(t, p) == pytest.approx(macro)  # auto -> macro
    assert single_number_metric(t, p, average="weighted") == pytest.approx(weighted)
    assert single_number_metric(t, p, average="micro") == pytest.approx(4 / 6)
    with pytest.raises(GlassnetError):
        single_number_metric(t, p, "auc")


# -- optimizing and satisficing ------------------------------------------------------------

CANDIDATES = [
    {"name": "A", "accuracy": 0.90, "runtime_ms": 80},
    {"name": "B", "accuracy": 0.92, "runtime_ms": 95},
    {"name": "C", "accuracy": 0.95, "runtime_ms": 1500},
]


def test_select_model_maximizes_accuracy_under_runtime_constraint():
    sel = select_model(CANDIDATES, optimize="accuracy", constraints={"runtime_ms": ("<=", 100)})
    assert sel.best_name == "B" and sel.best == 1
    assert [sel.names[i] for i in sel.feasible] == ["B", "A"]
    assert "runtime_ms = 1500 fails <= 100" in sel.rejected[2][0]
    assert "<- chosen" in str(sel)
    # without the constraint the most accurate wins
    assert select_model(CANDIDATES).best_name == "C"
    # constraint forms: a bare number is an upper bound, strings parse
    assert select_model(CANDIDATES, constraints={"runtime_ms": 90}).best_name == "A"
    assert select_model(CANDIDATES, constraints={"runtime_ms": "< 96"}).best_name == "B"


def test_select_model_minimizes_errors_and_reports_infeasible():
    cands = {"x": {"dev_error": 0.1, "size_mb": 5}, "y": {"dev_error": 0.05, "size_mb": 50},
             "z": {"size_mb": 1}}
    sel = select_model(cands, optimize="dev_error", constraints={"size_mb": ("<=", 10)})
    assert sel.mode == "min" and sel.best_name == "x"
    assert sel.rejected[2] == ["no dev_error"]
    sel = select_model(cands, optimize="dev_error", constraints={"size_mb": ("<=", 0.5)})
    assert sel.best is None and "No candidate" in str(sel)
    with pytest.raises(GlassnetError):
        select_model(cands, constraints={"size_mb": ("~", 3)})
    with pytest.raises(GlassnetError):
        select_model([])


def test_select_command(tmp_path):
    for name, acc, secs in (("a", 0.9, 5.0), ("b", 0.95, 50.0)):
        d = tmp_path / name
        d.mkdir()
        (d / "metrics.json").write_text(json.dumps(
            {"test_accuracy": acc, "train_seconds": secs, "test": {"f1": acc - 0.01}}))
    runner = CliRunner()
    res = runner.invoke(select, [str(tmp_path / "a"), str(tmp_path / "b"),
                                 "--constraint", "train_seconds<=10"])
    assert res.exit_code == 0, res.output
    assert "a: test_accuracy = 0.9  <- chosen" in res.output
    res = runner.invoke(select, [str(tmp_path / "a"), str(tmp_path / "b"), "--optimize",
                                 "test.f1", "--json"])
    assert json.loads(res.output)["best"].endswith("b")
    res = runner.invoke(select, [str(tmp_path / "a"), "--constraint", "nonsense"])
    assert res.exit_code != 0


def test_candidate_metrics_of_a_model():
    from glassnet.models.builders import deep_network

    rng = numpy.random.default_rng(0)
    model = deep_network([4, 5, 3], seed=0)
    X = rng.standard_normal((4, 50)).astype(numpy.float32)
    y = rng.integers(0, 3, 50)
    assert prediction_time_ms(model, X) > 0
    row = candidate_metrics(model, X, y, name="m")
    assert set(row) >= {"accuracy", "runtime_ms", "n_parameters", "f1", "name"}
    assert row["n_parameters"] == 4 * 5 + 5 + 5 * 3 + 3
    assert 0 <= row["accuracy"] <= 1
