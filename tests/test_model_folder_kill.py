"""A save killed at any step leaves a folder that loads as the old model or the new one,
bit for bit (issue 16 item 5); the next save cleans up and the run's other files stay.

A child process (``os.fork``) saves the new model over the old one with ``os.fsync``,
``os.replace``, ``os.rename``, ``os.link``, ``os.mkdir``, ``os.unlink`` and ``os.rmdir``
counted, and dies (``os._exit``) just before call k, for every k of a whole save.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from glassnet.core.errors import ModelFileError
from glassnet.models.builders import deep_network
from glassnet.models.saving import ARCHITECTURE_FILE, PARAMETERS_FILE, load_model, save_model

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

_STEPS = ("fsync", "replace", "rename", "link", "mkdir", "unlink", "rmdir")
_RUN_FILES = {"metrics.json": b'{"accuracy": 0.5}', ".lock": b'{"pid": 1}',
              "run.json": b"{}"}


def _model(seed: int, classes: list[str]):
    model = deep_network([5, 4, 3], seed=seed)
    model.metadata["classes"] = classes
    model.extras["input_mean"] = np.full(5, seed, np.float32)
    return model


def _fingerprint(model) -> tuple:
    arrays = {**model.parameters, **model.state, **{f"x:{k}": v for k, v in model.extras.items()}}
    return (tuple((k, v.dtype.str, v.shape, v.tobytes()) for k, v in sorted(arrays.items())),
            repr(model.metadata))


def _count_steps(monkeypatch, folder: Path, model) -> int:
    calls = [0]
    for name in _STEPS:
        real = getattr(os, name)

        def counted(*args, _real=real, **kwargs):
            calls[0] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(os, name, counted)
    save_model(model, folder)
    monkeypatch.undo()
    return calls[0]


def _save_killed_at(folder: Path, model, k: int) -> None:
    pid = os.fork()
    if pid == 0:  # the child: count the steps, die before step k
        try:
            calls = [0]
            for name in _STEPS:
                real = getattr(os, name)

                def step(*args, _real=real, **kwargs):
                    calls[0] += 1
                    if calls[0] == k:
                        os._exit(17)
                    return _real(*args, **kwargs)

                setattr(os, name, step)
            save_model(model, folder)
            os._exit(0)
        except BaseException:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) in (0, 17), f"the save failed at kill point {k}"


@pytest.mark.parametrize("start", ["saved", "with-run-files", "none"])
def test_a_save_killed_at_every_step_leaves_the_old_or_the_new_model(tmp_path, monkeypatch,
                                                                      start):
    old, new, newer = _model(1, ["a", "b", "c"]), _model(2, ["x", "y", "z"]), _model(3, ["n"])
    pristine = tmp_path / "pristine"
    pristine.mkdir()
    if start != "none":
        save_model(old, pristine)
    if start == "with-run-files":
        for name, data in _RUN_FILES.items():
            (pristine / name).write_bytes(data)
        (pristine / "checkpoint").mkdir()
        (pristine / "checkpoint" / "trainer.json").write_bytes(b"{}")
    n_steps = _count_steps(monkeypatch, tmp_path / "probe", new) if start == "none" else \
        _count_steps(monkeypatch, shutil.copytree(pristine, tmp_path / "probe"), new)
    assert n_steps >= 10
    want = {"old": _fingerprint(old), "new": _fingerprint(new)}
    outcomes = []
    for k in range(1, n_steps + 2):
        folder = tmp_path / f"k{k}"
        shutil.copytree(pristine, folder)
        _save_killed_at(folder, new, k)
        try:
            got = _fingerprint(load_model(folder))
        except ModelFileError:
            assert start == "none", f"kill point {k}: the folder loads as neither model"
            outcomes.append("none")
        else:
            assert got in want.values(), f"kill point {k}: a model that is neither old nor new"
            outcomes.append("old" if got == want["old"] else "new")
        # the next save finishes or discards what the killed one left, and nothing else
        save_model(newer, folder)
        assert _fingerprint(load_model(folder)) == _fingerprint(newer)
        names = sorted(os.listdir(folder))
        expected = sorted([ARCHITECTURE_FILE, PARAMETERS_FILE] + (
            [*_RUN_FILES, "checkpoint"] if start == "with-run-files" else []))
        assert names == expected, f"kill point {k}: left {names}"
        if start == "with-run-files":
            assert all((folder / n).read_bytes() == d for n, d in _RUN_FILES.items())
        shutil.rmtree(folder)
    # before the commit the old model, after it the new one: never back again
    first_new = outcomes.index("new")
    assert set(outcomes[:first_new]) == {"none" if start == "none" else "old"}
    assert set(outcomes[first_new:]) == {"new"}
    print(f"{start}: {n_steps + 1} kill points: {outcomes.count('old')} old, "
          f"{outcomes.count('none')} no model yet, {outcomes.count('new')} new")


def test_a_second_save_killed_while_finishing_a_killed_one_still_loads(tmp_path, monkeypatch):
    """Kill a save after its commit (its files half moved), then kill the next save, which
    first finishes the first, at every step: the folder is the second model or the third."""
    old, new, newer = _model(1, ["a"]), _model(2, ["b"]), _model(3, ["c"])
    pristine = tmp_path / "pristine"
    save_model(old, pristine)
    n_steps = _count_steps(monkeypatch, shutil.copytree(pristine, tmp_path / "probe"), new)
    half = tmp_path / "half"
    committed = []  # the kill points after the commit, before the roll-forward ended
    for k in range(1, n_steps + 1):
        shutil.rmtree(half, ignore_errors=True)
        shutil.copytree(pristine, half)
        _save_killed_at(half, new, k)
        if (half / ".model-next").is_dir():
            committed.append(k)
    assert len(committed) >= 3
    shutil.rmtree(half)
    shutil.copytree(pristine, half)
    _save_killed_at(half, new, committed[-2])  # some files moved, the others not yet
    assert (half / ".model-next").is_dir()
    n_second = _count_steps(monkeypatch, shutil.copytree(half, tmp_path / "probe2"), newer)
    want = {_fingerprint(new), _fingerprint(newer)}
    for j in range(1, n_second + 2):
        folder = shutil.copytree(half, tmp_path / f"j{j}")
        _save_killed_at(folder, newer, j)
        assert _fingerprint(load_model(folder)) in want, f"second kill point {j}"
        shutil.rmtree(folder)
    print(f"second save over a half-moved one: {n_second + 1} kill points, each new or newer")
