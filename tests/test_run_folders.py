"""Run folders: locked for the run, written only by the run's own new folder or at the end,
checked before training; --resume with flags (issue 16 items 5, 6 and 9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from glassnet.cli.main import main
from glassnet.core.locking import LOCK_NAME
from glassnet.project.run import run_training

QUICK = ["--hidden", "8", "--epochs", "2", "--batch-size", "32", "--no-progress", "--json"]


def _blobs(path: Path, m: int = 120, n_x: int = 2, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, m)
    x = rng.normal(0, 1, (m, n_x)) + y[:, None]
    np.savez(path, x=x.astype(np.float32), y=y)
    return path


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _last_err(capsys) -> list[str]:
    return capsys.readouterr().err.strip().splitlines()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the diverging run's overflow
def test_a_failing_run_leaves_the_earlier_run_byte_identical(tmp_path, capsys):
    data = _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    assert main(["train", "--data", str(data), *QUICK, "--checkpoint-every", "1",
                 "--out", str(out)]) == 0
    before = _files(out)
    assert {"run.json", "parameters.npz", "architecture.json", "metrics.json"} <= set(before)
    # a test set that does not fit the model (3 features, the model takes 2): refused before
    # training, naming the set, and the earlier run is untouched
    bad_test = _blobs(tmp_path / "bad_test.npz", n_x=3)
    capsys.readouterr()
    code = main(["train", "--data", str(data), "--test-data", str(bad_test), *QUICK,
                 "--checkpoint-every", "1", "--out", str(out), "--overwrite"])
    err = _last_err(capsys)
    assert code == 2 and len(err) == 1 and "test set" in err[0] and "shape" in err[0], err
    assert _files(out) == before
    # labels the model cannot take (a class 7 for a 3-class model)
    x = np.random.default_rng(1).normal(size=(10, 2)).astype(np.float32)
    np.savez(tmp_path / "bad_labels.npz", x=x, y=np.full(10, 7))
    code = main(["train", "--data", str(data), "--test-data", str(tmp_path / "bad_labels.npz"),
                 *QUICK, "--out", str(out), "--overwrite"])
    err = _last_err(capsys)
    assert code == 2 and len(err) == 1 and "test set" in err[0] and "labels" in err[0], err
    assert _files(out) == before
    # a run that fails while training (it diverges) with --overwrite: the same
    code = main(["train", "--data", str(data), "--hidden", "8", "--epochs", "30",
                 "--learning-rate", "1e30", "--optimizer", "gd", "--no-progress",
                 "--checkpoint-every", "1", "--out", str(out), "--overwrite"])
    assert code == 2
    assert _files(out) == before and not (out / ".partial").exists()
    # and a good --overwrite run replaces every file, the old checkpoint included
    assert main(["train", "--data", str(data), *QUICK, "--seed", "7", "--out", str(out),
                 "--overwrite"]) == 0
    after = _files(out)
    assert after["parameters.npz"] != before["parameters.npz"]
    assert not any(name.startswith("checkpoint") for name in after)  # no stale checkpoint
    assert json.loads(after["run.json"])["config"]["seed"] == 7


def test_a_run_that_fails_before_training_leaves_no_folder(tmp_path, capsys):
    data = _blobs(tmp_path / "d.npz")
    out = tmp_path / "new"
    assert main(["train", "--data", str(data), "--test-data", str(tmp_path / "missing.npz"),
                 *QUICK, "--out", str(out)]) == 2
    assert not out.exists()


def test_sizes_are_checked_before_allocating(tmp_path, capsys):
    code = main(["train", "--hidden", "100000,100000", "--out", str(tmp_path / "big")])
    err = _last_err(capsys)
    assert code == 2 and len(err) == 1, err
    assert "the network (hidden 100000,100000" in err[0] and "memory budget" in err[0]
    assert not (tmp_path / "big").exists()
    code = main(["--max-memory", "100K", "train", "--hidden", "64,64", "--out",
                 str(tmp_path / "small")])
    err = _last_err(capsys)
    assert code == 2 and "100.0 KiB" in err[0], err
    # augmentation: images only, and a crop (padding) no larger than the images
    code = main(["train", "--augment", '{"crop": 1000}', "--out", str(tmp_path / "aug")])
    err = _last_err(capsys)
    assert code == 2 and len(err) == 1 and "--augment" in err[0] and "image model" in err[0]


def test_augment_crop_larger_than_the_images_is_refused(tmp_path):
    from glassnet.project.config import ConfigError, RunConfig
    from glassnet.project.prechecks import check_augment

    cfg = RunConfig(augment={"crop": 1000}, model="small_convnet")
    with pytest.raises(ConfigError, match="crop 1000 .* larger than the 8x8 images"):
        check_augment(cfg, (8, 8, 1), "image", 100)
    check_augment(cfg.replace(augment={"crop": 4}), (8, 8, 1), "image", 100)


def test_resume_takes_more_epochs_and_refuses_what_would_change_the_run(tmp_path, capsys):
    data = _blobs(tmp_path / "d.npz")
    common = ["--data", str(data), "--hidden", "8", "--batch-size", "32", "--seed", "3",
              "--no-progress", "--json"]
    assert main(["train", *common, "--epochs", "6", "--out", str(tmp_path / "full")]) == 0
    out = tmp_path / "short"
    assert main(["train", *common, "--epochs", "4", "--checkpoint-every", "2",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    code = main(["train", "--resume", str(out), "--learning-rate", "0.5", "--hidden", "9",
                 "--epochs", "6"])
    err = _last_err(capsys)
    assert code == 2 and len(err) == 1, err
    assert "--hidden" in err[0] and "--learning-rate" in err[0] and "--epochs" in err[0]
    assert "would change the run" in err[0]
    # a flag equal to the saved setting is fine; more epochs continue the same run
    assert main(["train", "--resume", str(out), "--epochs", "6", "--seed", "3", "--json",
                 "--no-progress"]) == 0
    a = np.load(tmp_path / "full" / "parameters.npz")
    b = np.load(out / "parameters.npz")
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert json.loads((out / "run.json").read_text())["config"]["epochs"] == 6
    for extra in (["--overwrite"], ["--preset", "course"], ["--out", str(tmp_path / "x")]):
        capsys.readouterr()
        assert main(["train", "--resume", str(out), *extra]) == 2, extra
        assert len(_last_err(capsys)) == 1


def test_a_run_killed_before_its_first_checkpoint_starts_over_bit_exact(tmp_path, capsys):
    data = _blobs(tmp_path / "d.npz")
    common = ["--data", str(data), "--hidden", "8", "--epochs", "3", "--batch-size", "32",
              "--checkpoint-every", "2", "--no-progress", "--json"]
    assert main(["train", *common, "--out", str(tmp_path / "full")]) == 0
    # "killed" after run.json was written and before the first checkpoint
    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "run.json").write_text((tmp_path / "full" / "run.json").read_text())
    (killed / LOCK_NAME).write_text(json.dumps({"pid": 2**22 + 12345, "host": None}))
    capsys.readouterr()
    assert main(["train", "--resume", str(killed), "--json", "--no-progress"]) == 0
    assert "started over" in json.loads(capsys.readouterr().out)["notes"][-1]
    a = np.load(tmp_path / "full" / "parameters.npz")
    b = np.load(killed / "parameters.npz")
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert not (killed / LOCK_NAME).exists()  # the dead process's lock was taken over


def test_an_interrupted_commit_is_finished_by_the_next_run(tmp_path):
    from glassnet.project.run_folder import COMPLETE, PARTIAL, RunFolder

    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text("old")
    (out / "metrics.json").write_text("old")
    partial = out / PARTIAL
    partial.mkdir()
    (partial / "run.json").write_text("new")
    (partial / COMPLETE).write_text(json.dumps({"files": ["run.json", "architecture.json"]}))
    with RunFolder(out, overwrite=True) as folder:  # recovers on entry, then fails
        assert (out / "run.json").read_text() == "new"
        assert not (out / "metrics.json").exists()  # the old run's file, not the new run's
        assert not folder.committed
    assert not partial.exists() and (out / "run.json").read_text() == "new"


_RUN = textwrap.dedent("""
    import sys, time
    import glassnet.project.run_folder as rf
    from glassnet.cli.main import main
    enter = rf.RunFolder.__enter__
    def slow_enter(self):
        got = enter(self)
        open(sys.argv[1], "w").close()  # tell the test the lock is held
        time.sleep(float(sys.argv[2]))
        return got
    rf.RunFolder.__enter__ = slow_enter
    sys.exit(main(sys.argv[3:]))
""")


def test_a_run_into_a_folder_locked_by_a_living_process_says_so(tmp_path, capsys):
    data = _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    out.mkdir()
    other = os.getppid()  # a living process that is not this one
    (out / LOCK_NAME).write_text(json.dumps({"pid": other, "host": None}))
    assert main(["train", "--data", str(data), *QUICK, "--out", str(out)]) == 2
    err = _last_err(capsys)
    assert len(err) == 1 and f"in use by the run of process {other}" in err[0], err
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]  # nothing written


@pytest.mark.slow
def test_two_runs_into_one_out_one_wins_the_other_says_so(tmp_path):
    data = _blobs(tmp_path / "d.npz")
    out = tmp_path / "run"
    script = tmp_path / "run.py"
    script.write_text(_RUN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    args = ["train", "--data", str(data), *QUICK, "--out", str(out)]
    held = tmp_path / "held"
    first = subprocess.Popen([sys.executable, str(script), str(held), "2", *args], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            if held.exists() or first.poll() is not None:
                break
            subprocess.run(["sleep", "0.05"])
        assert held.exists(), first.communicate()
        second = subprocess.run([sys.executable, str(script), str(tmp_path / "h2"), "0", *args,
                                 "--overwrite"], env=env, capture_output=True, text=True)
    finally:
        stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert second.returncode == 2, second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and f"process {first.pid}" in lines[0] and "in use" in lines[0]
    assert json.loads(stdout)["out"] == str(out) and (out / "parameters.npz").is_file()
    assert not (out / LOCK_NAME).exists()


def test_the_library_holds_the_lock_and_replaces_only_at_the_end(tmp_path):
    from glassnet.core.errors import RunLockedError
    from glassnet.core.locking import RunLock

    settings = {"hidden": [4], "epochs": 1, "progress": False}
    with RunLock(tmp_path / "run"), pytest.raises(RunLockedError, match="already locked"):
        run_training(settings, out=tmp_path / "run")
    first = run_training(settings, out=tmp_path / "run")
    assert first.metrics["epochs_run"] == 1
    from glassnet.project.run_folder import RunExistsError

    with pytest.raises(RunExistsError, match="holds an earlier run"):
        run_training(settings, out=tmp_path / "run", overwrite=False)


def test_a_resume_continues_from_an_interrupted_resumes_checkpoint(tmp_path):
    import shutil

    from glassnet.project.run_folder import PARTIAL

    data = _blobs(tmp_path / "d.npz")
    settings = {"data": str(data), "hidden": [8], "batch_size": 32, "checkpoint_every": 1,
                "progress": False}
    run_training({**settings, "epochs": 6}, out=tmp_path / "six")
    killed = tmp_path / "killed"
    run_training({**settings, "epochs": 4}, out=killed)
    # as if `--resume killed --epochs 6` had been killed after its epoch-6 checkpoint (in
    # .partial, not yet moved in): the next resume continues from there, not from epoch 4
    partial = killed / PARTIAL
    partial.mkdir()
    shutil.copytree(tmp_path / "six" / "checkpoint", partial / "checkpoint")
    shutil.copy(tmp_path / "six" / "run.json", partial / "run.json")
    from glassnet.project.run_folder import read_run_config

    cfg = read_run_config(killed).replace(epochs=6)
    result = run_training(cfg, out=killed, resume=True)
    assert result.metrics["notes"][-1] == "resumed from the checkpoint after epoch 6"
    a, b = np.load(tmp_path / "six" / "parameters.npz"), np.load(killed / "parameters.npz")
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert not partial.exists()


def test_a_character_model_too_large_is_refused_before_allocating(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text("hello world\n" * 50)
    code = main(["train", "--model", "char_lstm", "--data", str(text), "--units", "100000",
                 "--out", str(tmp_path / "lm")])
    err = _last_err(capsys)
    assert code == 2 and len(err) == 1 and "char_lstm network" in err[0], err
    assert "memory budget" in err[0] and not (tmp_path / "lm").exists()


@pytest.mark.slow
def test_an_overwrite_run_killed_while_training_leaves_the_earlier_run_intact(tmp_path):
    """SIGKILL a real `glassnet train --overwrite` between checkpoints: the earlier run's
    files are byte-identical, and the next run into the folder clears what it left."""
    import signal
    import time

    data = _blobs(tmp_path / "d.npz", m=2000)
    out = tmp_path / "run"
    cmd = [sys.executable, "-c", "import sys; from glassnet.cli.main import main; "
           "sys.exit(main())", "train", "--data", str(data), "--no-progress", "--json",
           "--batch-size", "16", "--checkpoint-every", "1", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    first = subprocess.run([*cmd, "--hidden", "8", "--epochs", "2"], env=env,
                           capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    before = _files(out)
    proc = subprocess.Popen([*cmd, "--hidden", "64,64", "--epochs", "60", "--overwrite"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = out / ".partial" / "checkpoint" / "trainer.json"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not state.is_file():
        time.sleep(0.02)
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be killed (machine too fast)")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    after = {k: v for k, v in _files(out).items() if not k.startswith((".partial", LOCK_NAME))}
    assert after == before  # the earlier run, byte for byte
    # the dead run's lock is taken over and its .partial removed by the next run
    again = subprocess.run([*cmd, "--hidden", "8", "--epochs", "1", "--overwrite"], env=env,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert not (out / ".partial").exists() and not (out / LOCK_NAME).exists()
