"""The diagnosis does not read noise as findings (issue 15 item 12): each error with its
count and 95% Wilson interval, each gap with its interval, and a gap that could be zero is
said to be within noise instead of recommended on."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from glassnet.cli.strategy import diagnose_command
from glassnet.core.errors import GlassnetError
from glassnet.project.error_intervals import (
    MeasuredError,
    examples_to_tell,
    gap_interval,
    wilson_interval,
    within_noise,
)
from glassnet.project.strategy import diagnose


def test_wilson_interval_known_values():
    assert wilson_interval(0.5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    low, high = wilson_interval(0.0, 10)  # not empty at k = 0, unlike p +- z sqrt(pq/n)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    assert wilson_interval(2 / 19, 19) == pytest.approx((0.0294, 0.3139), abs=1e-4)
    with pytest.raises(ValueError, match="n > 0"):
        wilson_interval(0.1, 0)


def test_newcombe_interval_of_a_difference():
    # Newcombe (1998), method 10: 56/70 against 48/80, difference 0.2000 in [0.0524, 0.3339]
    low, high = gap_interval(MeasuredError(48 / 80, 80), MeasuredError(56 / 70, 70))
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    # the human-level error is exact: the gap's interval is the training error's, shifted
    lo, hi = wilson_interval(0.08, 100)
    assert gap_interval(MeasuredError(0.01), MeasuredError(0.08, 100)) == \
        pytest.approx((lo - 0.01, hi - 0.01))
    assert within_noise(MeasuredError(0.01), MeasuredError(0.05)) is None  # nothing to judge


def test_the_issue_case_small_train_dev_and_dev_sets_is_within_noise():
    """21 train-dev and 19 dev examples from the same file: no data mismatch to act on."""
    d = diagnose(0.01, 0.02, train_dev_error=1 / 21, dev_error=3 / 19,
                 n_train=360, n_train_dev=21, n_dev=19)
    assert d.data_mismatch == pytest.approx(3 / 19 - 1 / 21)  # +11.0%, a raw gap
    assert d.noise == {"avoidable_bias": True, "variance": True, "data_mismatch": True}
    assert d.largest is None and d.largest_in_noise == "data_mismatch"
    assert d.recommendations == []
    text = str(d)
    assert "No gap stands out from the noise: the largest, data mismatch (+11.03%" in text
    assert "with 21 train-dev and 19 dev examples" in text
    assert "(1 error of 21, 95% CI 0.8% .. 22.7%)" in text
    assert "(3 errors of 19, 95% CI 5.5% .. 37.6%)" in text
    assert "within noise)" in text and "<- largest" not in text and "Try:" not in text


def test_large_sets_keep_the_finding():
    d = diagnose(0.01, 0.015, train_dev_error=0.02, dev_error=0.10,
                 n_train=20000, n_train_dev=2000, n_dev=2000)
    assert d.largest == "data_mismatch" and not d.noise["data_mismatch"]
    low, high = d.gap_intervals["data_mismatch"]
    assert 0 < low < 0.08 < high
    assert "<- largest" in str(d) and "Largest problem: data mismatch" in str(d)


def test_a_larger_gap_within_noise_does_not_hide_a_real_smaller_one():
    # avoidable bias +4% on 10,000 training examples; dev overfitting +6% on 30 and 30
    d = diagnose(0.01, 0.05, dev_error=0.05, test_error=0.11,
                 n_train=10000, n_dev=30, n_test=30)
    assert d.noise["dev_overfitting"] and not d.noise["avoidable_bias"]
    assert d.largest == "avoidable_bias" and d.largest_in_noise is None
    assert any("overfitting to the dev set (+6.00%) is larger but within noise" in n
               for n in d.notes)


def test_without_counts_the_old_diagnosis_is_unchanged():
    d = diagnose(0.01, 0.015, train_dev_error=0.02, dev_error=0.10)
    assert d.largest == "data_mismatch" and d.noise == {} and d.gap_intervals == {}
    assert "Wilson" not in str(d) and "errors of" not in str(d)


def test_counts_come_from_a_runs_sets():
    class Sets:  # a run's Splits: (x, y) pairs or None
        train = (None, [0] * 300)
        train_dev = None
        dev = (None, [0] * 40)
        test = (None, [0] * 50)

    d = diagnose(0.0, 0.02, dev_error=0.05, test_error=0.06, splits=Sets())
    assert {k: m.n for k, m in d.measured.items()} == \
        {"human": None, "train": 300, "dev": 40, "test": 50}
    out = d.to_dict()
    json.dumps(out)
    assert out["counts"]["dev"] == {"errors": 2, "n": 40, "low": pytest.approx(0.0138, abs=1e-4),
                                    "high": pytest.approx(0.1650, abs=1e-4)}
    assert out["within_noise"]["dev_overfitting"] is True


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_dev": 0, "dev_error": 0.1}, "n_dev: expected a positive number"),
    ({"n_dev": 2.5, "dev_error": 0.1}, "n_dev: expected a positive number"),
    ({"n_test": 10}, "n_test is given without the error it counts"),
])
def test_bad_counts_are_refused(kwargs, match):
    with pytest.raises(GlassnetError, match=match):
        diagnose(0.01, 0.02, **kwargs)


def test_examples_to_tell_grows_as_the_gap_shrinks():
    a, b = MeasuredError(0.05, 20), MeasuredError(0.10, 20)
    c = MeasuredError(0.075, 20)
    assert examples_to_tell(a, b) < examples_to_tell(a, c)


def test_diagnose_command_takes_the_sizes():
    res = CliRunner().invoke(diagnose_command, [
        "--human", "1", "--train", "2", "--train-dev", "4.76", "--dev", "15.79", "--percent",
        "--n-train", "360", "--n-train-dev", "21", "--n-dev", "19"])
    assert res.exit_code == 0, res.output
    assert "No gap stands out from the noise" in res.output
    assert "(3 errors of 19" in res.output
    res = CliRunner().invoke(diagnose_command, [
        "--human", "0.01", "--train", "0.08", "--dev", "0.1", "--n-train", "5000",
        "--n-dev", "5000", "--json"])
    out = json.loads(res.output)
    assert out["largest"] == "avoidable_bias" and out["within_noise"]["variance"] is False


def test_a_run_with_small_held_out_sets_reports_noise():
    from glassnet.project.run import run_training

    result = run_training({"human_error": 0.01, "train_dev_fraction": 0.015,
                           "dev_fraction": 0.015, "epochs": 3, "optimizer": "adam",
                           "batch_size": 64, "progress": False})
    diagnosis = result.metrics["diagnosis"]
    assert diagnosis["counts"]["dev"]["n"] == 21 and diagnosis["counts"]["train_dev"]["n"] == 22
    assert diagnosis["within_noise"]["data_mismatch"] is True
    assert "95% Wilson intervals" in diagnosis["text"]
