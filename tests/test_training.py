"""The training loop: mini-batches, callbacks, checkpoints and resume, divergence."""

from __future__ import annotations

import json

import numpy as np
import pytest

import glassnet as gn
from glassnet.cli.main import main
from glassnet.core.errors import TrainingDiverged
from glassnet.train.callbacks import Callback, Checkpoint, EarlyStopping
from glassnet.train.trainer import Trainer, fit


def _blobs(m=240, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, m)
    centers = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.0]])
    X = (centers[y] + rng.normal(0, 0.8, (m, 2))).T
    return X.astype(np.float32), y


def _model(seed=0, keep_prob=None):
    return gn.deep_network([2, 16, 8, 3], init="he", seed=seed, keep_prob=keep_prob)


def test_minibatch_epoch_cost_is_example_weighted_mean():
    X, y = _blobs(m=50)
    model = _model()
    costs = []
    original = model.train_step

    def spy(Xb, Yb):
        c = original(Xb, Yb)
        costs.append((c, Xb.shape[1]))
        return c

    model.train_step = spy
    hist = fit(
        model, X, y, optimizer="gd", learning_rate=0.1, epochs=1, batch_size=16, progress=False
    )
    sizes = [n for _, n in costs]
    assert sizes == [16, 16, 16, 2]  # the last partial batch is kept
    expected = sum(c * n for c, n in costs) / 50
    assert hist.costs[0] == pytest.approx(expected)


def test_shuffle_is_seeded_and_differs_between_epochs():
    X, y = _blobs(m=64)

    def run(seed):
        model = _model()
        original = model.train_step
        firsts = []

        def spy(Xb, Yb):
            firsts.append(np.asarray(Xb).copy())
            return original(Xb, Yb)

        model.train_step = spy
        fit(model, X, y, learning_rate=0.1, epochs=2, batch_size=16, progress=False, seed=seed)
        return firsts

    a, b, c = run(1), run(1), run(2)
    assert len(a) == 8  # 4 mini-batches per epoch
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))  # same seed, same order
    assert not np.array_equal(a[0], c[0])  # another seed, another order
    assert not np.array_equal(a[0], a[4])  # reshuffled each epoch
    # every example is seen exactly once per epoch
    epoch0 = np.concatenate(a[:4], axis=1)
    assert sorted(map(tuple, epoch0.T)) == sorted(map(tuple, X.T))


def test_resumed_run_equals_uninterrupted(tmp_path):
    X, y = _blobs()
    kwargs = dict(
        optimizer="adam",
        learning_rate=0.01,
        batch_size=32,
        seed=7,
        progress=False,
        schedule={"name": "inverse_time", "decay_rate": 0.5},
    )

    full = _model(keep_prob=0.8)
    Trainer(full, epochs=10, **kwargs).fit(X, y)

    # "killed" after 4 epochs: train 4 epochs with a checkpoint, then resume in a new process
    first = _model(keep_prob=0.8)
    Trainer(first, epochs=4, callbacks=[Checkpoint(tmp_path / "ckpt", every=2)], **kwargs).fit(X, y)
    resumed = _model(keep_prob=0.8)
    trainer = Trainer(resumed, epochs=10, **kwargs)
    trainer.load_checkpoint(tmp_path / "ckpt")
    assert trainer.start_epoch == 4
    hist = trainer.fit(X, y)
    for k, v in full.parameters.items():
        np.testing.assert_array_equal(v, resumed.parameters[k], err_msg=k)
    assert len(hist.epochs) == 10


def test_early_stopping_restores_best_weights():
    X, y = _blobs(m=200)
    rng = np.random.default_rng(3)
    y_dev = rng.integers(0, 3, 60)  # noise labels: the dev cost soon gets worse
    X_dev = rng.normal(0, 1, (2, 60)).astype(np.float32)
    model = _model()
    stop = EarlyStopping("dev_cost", patience=3)
    snapshots = {}

    class Snap(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            snapshots[epoch] = {k: v.copy() for k, v in trainer.model.parameters.items()}

    hist = fit(
        model,
        X,
        y,
        X_dev,
        y_dev,
        optimizer="adam",
        learning_rate=0.05,
        epochs=300,
        batch_size=50,
        callbacks=[stop, Snap()],
        progress=False,
    )
    assert hist.stopped_early
    assert hist.best_epoch == stop.best_epoch
    best = snapshots[stop.best_epoch]
    for k, v in model.parameters.items():
        np.testing.assert_array_equal(v, best[k])
    dev_costs = dict(zip(*hist.series("dev_cost"), strict=True))
    assert dev_costs[stop.best_epoch] == pytest.approx(min(dev_costs.values()))


def test_divergence_names_the_layer():
    X, y = _blobs()
    model = _model()
    model.parameters["W2"][0, 0] = np.inf
    with pytest.raises(TrainingDiverged, match="W2"):
        fit(model, X, y, learning_rate=0.1, epochs=2, progress=False)


def test_huge_learning_rate_diverges_with_clear_message():
    X, y = _blobs()
    X = X * 1e6
    model = gn.deep_network([2, 16, 1], hidden_activation="relu", seed=0, task="regression")
    with pytest.raises(TrainingDiverged, match="not finite"):
        fit(model, X, y.astype(np.float32), learning_rate=10.0, epochs=50, progress=False)


def test_clipping_bounds_the_update():
    X, y = _blobs()
    model = _model()
    before = {k: v.copy() for k, v in model.parameters.items()}
    fit(
        model,
        X * 100,
        y,
        optimizer="gd",
        learning_rate=1.0,
        epochs=1,
        clip_value=1e-3,
        progress=False,
    )
    for k, v in model.parameters.items():
        assert np.abs(v - before[k]).max() <= 1e-3 + 1e-7


def test_history_and_learning_curve(tmp_path):
    from glassnet.project.plots import learning_curve

    X, y = _blobs()
    hist = fit(
        _model(),
        X,
        y,
        X[:, :50],
        y[:50],
        optimizer="adam",
        learning_rate=0.01,
        epochs=5,
        batch_size=64,
        progress=False,
        record_every=1,
    )
    assert sorted(hist.costs) == [0, 1, 2, 3, 4]
    assert hist.costs[4] < hist.costs[0]
    assert len(hist.series("dev_accuracy")[0]) == 5
    path = learning_curve(hist, tmp_path / "curve.png")
    assert path.stat().st_size > 1000


def test_cli_resume_matches_uninterrupted(tmp_path):
    X, y = _blobs(m=300)
    data = tmp_path / "blobs.npz"
    np.savez(data, x=X.T, y=y)
    common = [
        "--data",
        str(data),
        "--hidden",
        "8",
        "--optimizer",
        "adam",
        "--learning-rate",
        "0.01",
        "--batch-size",
        "32",
        "--seed",
        "3",
        "--no-progress",
        "--json",
    ]
    assert main(["train", *common, "--iterations", "6", "--out", str(tmp_path / "full")]) == 0
    # a run with checkpoints every 2 epochs, whose last checkpoint we roll back to epoch 4
    out = tmp_path / "killed"
    assert (
        main(["train", *common, "--iterations", "4", "--checkpoint-every", "2", "--out", str(out)])
        == 0
    )
    run = json.loads((out / "run.json").read_text())
    run["config"]["epochs"] = 6  # as if the run had been asked for 6 and killed after 4
    (out / "run.json").write_text(json.dumps(run))
    assert main(["train", "--resume", str(out), "--json", "--no-progress"]) == 0
    a = np.load(tmp_path / "full" / "parameters.npz")
    b = np.load(out / "parameters.npz")
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_resume_without_checkpoint_is_a_clear_error(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing to resume" in err[0]


@pytest.mark.slow
def test_killed_process_resumes_to_the_uninterrupted_result(tmp_path):
    """SIGKILL a real `glassnet train` mid-run, resume it, compare with a run never killed."""
    import os
    import signal
    import subprocess
    import sys
    import time

    X, y = _blobs(m=2000)
    data = tmp_path / "blobs.npz"
    np.savez(data, x=X.T, y=y)
    args = [
        "--data",
        str(data),
        "--hidden",
        "64,64",
        "--optimizer",
        "adam",
        "--learning-rate",
        "0.003",
        "--batch-size",
        "16",
        "--seed",
        "5",
        "--iterations",
        "40",
        "--checkpoint-every",
        "1",
        "--no-progress",
        "--json",
    ]
    cmd = [
        sys.executable,
        "-c",
        "import sys; from glassnet.cli.main import main; sys.exit(main())",
        "train",
    ]
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [*cmd, *args, "--out", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    state = killed / "checkpoint" / "trainer.json"
    deadline = time.time() + 120
    done = 0
    while time.time() < deadline and proc.poll() is None:
        if state.is_file():
            try:
                done = json.loads(state.read_text())["epochs_done"]
            except (json.JSONDecodeError, KeyError, OSError):
                done = 0
            if done >= 3:
                break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be killed (machine too fast)")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / "parameters.npz").exists()  # the final model was never written
    resumed = subprocess.run(
        [*cmd, "--resume", str(killed), "--json", "--no-progress"], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    full = subprocess.run(
        [*cmd, *args, "--out", str(tmp_path / "full")], capture_output=True, text=True
    )
    assert full.returncode == 0, full.stderr
    a = np.load(tmp_path / "full" / "parameters.npz")
    b = np.load(killed / "parameters.npz")
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert json.loads(resumed.stdout)["test_accuracy"] == json.loads(full.stdout)["test_accuracy"]


# -- the learning rate: one holder (the optimizer), one path from the schedule -------------------


def test_the_schedule_sets_the_optimizers_rate_each_epoch():
    X, y = _blobs(m=60)
    trainer = Trainer(_model(), optimizer="gd", learning_rate=0.1, epochs=4, progress=False,
                      schedule={"name": "inverse_time", "decay_rate": 1.0})
    assert trainer.schedule.learning_rate == 0.1  # alpha0, taken from the optimizer
    assert not hasattr(trainer, "base_learning_rate")  # no second copy
    hist = trainer.fit(X, y)
    rates = [e["learning_rate"] for e in hist.epochs]
    assert rates == pytest.approx([0.1 / (1 + e) for e in range(4)])
    assert trainer.optimizer.learning_rate == pytest.approx(0.1 / 4)


def test_without_a_schedule_nothing_resets_the_rate():
    class Halve(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 1:
                trainer.optimizer.learning_rate /= 2

    X, y = _blobs(m=60)
    trainer = Trainer(_model(), learning_rate=0.2, epochs=4, callbacks=[Halve()], progress=False)
    rates = [e["learning_rate"] for e in trainer.fit(X, y).epochs]
    assert rates == pytest.approx([0.2, 0.2, 0.1, 0.1])


def test_two_initial_learning_rates_are_refused():
    from glassnet.optim.schedules import InverseTimeDecay

    with pytest.raises(ValueError, match="two initial learning rates"):
        Trainer(_model(), learning_rate=0.01, schedule=InverseTimeDecay(learning_rate=0.1))
    # the schedule's alpha0 alone is fine: it sets the optimizer's rate from epoch 0
    trainer = Trainer(_model(), schedule=InverseTimeDecay(learning_rate=0.1), epochs=1,
                      progress=False)
    X, y = _blobs(m=30)
    assert trainer.fit(X, y).epochs[0]["learning_rate"] == pytest.approx(0.1)
