"""Progress where no bar can be drawn, and a history that is right however the run ends
(issue 15 item 11): plain lines on a stream that is not a terminal, costs that hold the
first and the last epoch, seconds that count every session of a resumed run."""

from __future__ import annotations

import io
import itertools
import json
from types import SimpleNamespace

import numpy as np
import pytest

import glassnet as gn
import glassnet.train.progress as progress
import glassnet.train.trainer as trainer_module
from glassnet.cli.main import main
from glassnet.train.callbacks import Checkpoint, EarlyStopping
from glassnet.train.progress import ProgressLines, format_line, make_progress
from glassnet.train.trainer import Trainer


def _blobs(m=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, m)
    centers = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.0]])
    return (centers[y] + rng.normal(0, 0.8, (m, 2))).T.astype(np.float32), y


def _model():
    return gn.deep_network([2, 8, 3], init="he", seed=0)


@pytest.fixture
def ticking(monkeypatch):
    """The trainer's clock advances one second per reading: seconds without timing."""
    ticks = itertools.count()
    monkeypatch.setattr(trainer_module, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))


def test_the_line_says_epoch_cost_dev_cost_accuracy_and_time():
    line = format_line("epoch", 2, 60, {"cost": 0.5, "dev_cost": 0.25, "dev_accuracy": 0.9}, 1.25)
    assert line == "epoch 3/60: cost 0.500000, dev cost 0.250000, dev accuracy 90.00%, 1.2 s"
    assert format_line("iteration", 0, 5, {"cost": 1.0}, 0.0, stopping=True) == \
        "iteration 1/5: cost 1.000000, 0.0 s (early stopping)"


def test_lines_are_rate_limited_but_the_first_and_last_always_shown():
    now = [0.0]
    out = io.StringIO()
    lines = ProgressLines(10, stream=out, every_seconds=2.0, clock=lambda: now[0])
    for epoch in range(10):
        lines.update(epoch, {"cost": 1.0 / (epoch + 1)}, now[0])
        now[0] += 0.5  # an epoch takes half a second: one line per four epochs
    lines.close()
    shown = [int(row.split()[1].split("/")[0]) for row in out.getvalue().splitlines()]
    assert shown == [1, 5, 9, 10]


def test_a_line_held_back_by_the_rate_limit_is_shown_on_close():
    out = io.StringIO()
    lines = ProgressLines(10, stream=out, every_seconds=100.0, clock=lambda: 0.0)
    for epoch in range(4):
        lines.update(epoch, {"cost": 1.0}, 0.0)
    lines.close()  # the run ended at epoch 4 of 10 (an exception, a callback)
    assert [r.split(":")[0] for r in out.getvalue().splitlines()] == ["epoch 1/10", "epoch 4/10"]


def test_not_a_terminal_gives_lines_off_gives_nothing(capsys):
    assert isinstance(make_progress(None, 5, 0, "epoch"), ProgressLines)  # capsys: no tty
    assert make_progress(False, 5, 0, "epoch") is None


def test_fit_prints_a_line_per_epoch_on_stderr_when_it_is_not_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(progress, "EVERY_SECONDS", 0.0)
    X, y = _blobs()
    Trainer(_model(), optimizer="adam", learning_rate=0.01, epochs=4,
            batch_size=32).fit(X, y, X[:, :30], y[:30])
    captured = capsys.readouterr()
    rows = captured.err.splitlines()
    assert [r.split(":")[0] for r in rows] == [f"epoch {k}/4" for k in range(1, 5)]
    assert all("cost " in r and "dev cost " in r and "dev accuracy " in r and r.endswith(" s")
               for r in rows)
    assert captured.out == ""  # stdout keeps only the results


def test_batch_gradient_descent_counts_iterations(capsys):
    X, y = _blobs()
    Trainer(_model(), learning_rate=0.1, epochs=3).fit(X, y)
    rows = capsys.readouterr().err.splitlines()
    assert rows[0].startswith("iteration 1/3: cost ") and rows[-1].startswith("iteration 3/3")


def test_early_stopping_history_ends_where_it_stopped_with_its_time(capsys, ticking):
    X, y = _blobs()
    stop = EarlyStopping(patience=0)
    hist = Trainer(_model(), optimizer="adam", learning_rate=0.3, epochs=200, batch_size=16,
                   record_every=1000, callbacks=[stop]).fit(X, y, X[:, :20], y[:20])
    assert hist.stopped_early and len(hist.epochs) < 200
    last = len(hist.epochs) - 1
    assert sorted(hist.costs) == [0, last]  # not just epoch 0 with record_every > epochs
    assert hist.costs[last] == hist.epochs[-1]["cost"] != hist.costs[0]
    assert hist.seconds >= len(hist.epochs)  # the fake clock ticks once per reading
    assert capsys.readouterr().err.splitlines()[-1].endswith("(early stopping)")


@pytest.mark.parametrize(("epochs", "record_every", "keys"),
                         [(1, 100, [0]), (7, 100, [0, 6]), (7, 3, [0, 3, 6]),
                          (6, 1, list(range(6)))])
def test_costs_hold_the_first_and_last_epoch_for_any_record_every(epochs, record_every, keys):
    X, y = _blobs()
    hist = Trainer(_model(), learning_rate=0.1, epochs=epochs, record_every=record_every,
                   progress=False).fit(X, y)
    assert sorted(hist.costs) == keys and len(hist.epochs) == epochs


def test_a_resumed_run_counts_the_time_of_both_sessions(tmp_path, ticking):
    X, y = _blobs()
    ckpt = tmp_path / "ckpt"
    first = Trainer(_model(), optimizer="adam", epochs=4, batch_size=32, seed=3,
                    callbacks=[Checkpoint(ckpt, every=2)], progress=False)
    first.fit(X, y)
    saved = json.loads((ckpt / "trainer.json").read_text())["history"]
    assert saved["seconds"] > 0  # kept current every epoch, so the checkpoint has it
    again = Trainer(_model(), optimizer="adam", epochs=6, batch_size=32, seed=3,
                    progress=False)
    again.load_checkpoint(ckpt)
    hist = again.fit(X, y)
    assert hist.seconds > saved["seconds"]
    assert len(hist.epochs) == 6 and sorted(hist.costs) == [0, 3, 5]


def test_cli_json_stays_one_object_while_lines_go_to_stderr(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(progress, "EVERY_SECONDS", 0.0)
    X, y = _blobs()
    np.savez(tmp_path / "blobs.npz", x=X.T, y=y)
    code = main(["train", "--data", str(tmp_path / "blobs.npz"), "--hidden", "4",
                 "--epochs", "3", "--optimizer", "adam", "--batch-size", "32",
                 "--out", str(tmp_path / "run"), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["epochs_run"] == 3
    assert [r.split(":")[0] for r in captured.err.splitlines()] == \
        ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
