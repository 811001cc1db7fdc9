"""The command line's last line of defence, its global options, and flags that used to be
ignored silently (issue 16 items 3 and 9)."""

from __future__ import annotations

import pytest

import glassnet.project.run as run
from glassnet.cli.main import main
from glassnet.core.limits import memory_budget


def _err(capsys) -> list[str]:
    return capsys.readouterr().err.strip().splitlines()


@pytest.fixture
def broken_training(monkeypatch):
    """run_training raising what the test sets."""
    box = {}

    def fake(*args, **kwargs):
        raise box["exc"]

    monkeypatch.setattr(run, "run_training", fake)
    return box


def test_an_unexpected_error_is_one_line_with_a_pointer_to_debug(capsys, broken_training,
                                                                  monkeypatch):
    broken_training["exc"] = ZeroDivisionError("division by zero")
    assert main(["train", "--epochs", "1"]) == 1
    assert _err(capsys) == ["glassnet: internal error: ZeroDivisionError: division by zero "
                            "(run with --debug for the traceback)"]
    assert main(["--debug", "train", "--epochs", "1"]) == 1
    err = _err(capsys)
    assert err[0].startswith("Traceback") and "ZeroDivisionError" in err[-2]
    assert err[-1] == "glassnet: internal error: ZeroDivisionError: division by zero"
    monkeypatch.setenv("GLASSNET_DEBUG", "1")
    assert main(["train", "--epochs", "1"]) == 1 and _err(capsys)[0].startswith("Traceback")
    monkeypatch.delenv("GLASSNET_DEBUG")
    broken_training["exc"] = RecursionError("maximum recursion depth exceeded")
    assert main(["train"]) == 1 and "RecursionError" in _err(capsys)[0]


def test_only_a_real_ctrl_c_is_aborted(capsys, broken_training):
    broken_training["exc"] = KeyboardInterrupt()
    assert main(["train"]) == 130
    assert _err(capsys) == ["glassnet: aborted"]
    broken_training["exc"] = EOFError("Compressed file ended before the end-of-stream marker")
    assert main(["train"]) == 2
    err = _err(capsys)
    assert len(err) == 1 and "aborted" not in err[0] and "end of a file" in err[0]


def test_memory_error_names_the_budget(capsys, broken_training):
    broken_training["exc"] = MemoryError()
    assert main(["--max-memory", "3G", "train"]) == 2
    err = _err(capsys)
    assert len(err) == 1 and "out of memory" in err[0] and "3.0 GiB" in err[0], err
    assert memory_budget() != 3 * 2**30  # the option holds for its command only


def test_max_memory_sets_the_budget_for_the_command(capsys, monkeypatch):
    seen = {}

    def fake(*args, **kwargs):
        seen["budget"] = memory_budget()
        raise SystemExit(0)

    monkeypatch.setattr(run, "run_training", fake)
    assert main(["--max-memory", "512M", "train"]) == 0
    assert seen["budget"] == 512 * 2**20
    assert main(["--max-memory", "lots", "train"]) == 2
    assert "--max-memory" in _err(capsys)[0]


def test_decay_rate_needs_inverse_time_decay(capsys, tmp_path):
    for extra in (["--decay", "exponential", "--decay-rate", "0.5"],
                  ["--decay", "step", "--decay-rate", "1"], ["--decay-rate", "0.3"]):
        assert main(["train", *extra, "--out", str(tmp_path / "r")]) == 2, extra
        err = _err(capsys)
        assert len(err) == 1 and "--decay-rate" in err[0] and "inverse_time" in err[0], err
    config = tmp_path / "c.toml"
    config.write_text('decay = "exponential"\ndecay_rate = 0.5\n')
    assert main(["train", "--config", str(config), "--out", str(tmp_path / "r")]) == 2
    assert _err(capsys)[0].startswith(f"glassnet: error: {config}: decay_rate")


def test_select_refuses_an_unknown_metric_naming_the_known_ones(capsys, tmp_path):
    import json

    for name, acc in (("a", 0.5), ("b", 0.7)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps(
            {"test_accuracy": acc, "train_seconds": 1.0, "costs": {"0": 1.0}}))
    runs = [str(tmp_path / "a"), str(tmp_path / "b")]
    assert main(["select", *runs, "--optimize", "bogus_metric"]) == 2
    err = _err(capsys)
    assert len(err) == 1 and "bogus_metric" in err[0]
    assert "known: test_accuracy, train_seconds" in err[0] and "costs.0" not in err[0]
    assert main(["select", *runs, "--constraint", "bogus<=1"]) == 2
    assert main(["select", *runs]) == 0


def test_search_workers_are_capped_at_the_cores():
    from glassnet.project.search.trials import Engine, available_cores

    engine = Engine(workers=available_cores() + 14)
    assert engine.workers == available_cores()
    assert engine.notes and "capped at the" in engine.notes[0]
    assert not Engine(workers=1).notes
