"""Where one run writes, so that a failing run never harms an earlier one.

:class:`RunFolder` holds :class:`~glassnet.core.locking.RunLock` on the run folder
``out`` for the whole run (a second run into it gets one line naming the process;
a dead process's lock is taken over) and chooses where the run's files go:

* a fresh folder (no earlier run in it) is the run's own: ``run.json`` and the
  checkpoints are written there from the start, so a killed run can be resumed;
* a folder holding an earlier run (``overwrite``) or the run being resumed is not
  touched while the run trains: everything goes to ``out/.partial/``, and
  :meth:`RunFolder.commit` moves it in once the run has ended successfully.

The commit first writes ``.partial/.complete`` (the names it will move); a run killed
during the commit is finished by the next run into the folder, which also removes an
abandoned ``.partial/`` (of a run that failed or was killed while training).  During
the commit the run's files go in as one unit where model folders have one
(:mod:`glassnet.models.folder_swap`; else the old ``architecture.json`` goes first and
the new one comes last), so the folder never holds a mixed model.

    >>> with RunFolder("runs/x", overwrite=True) as folder:
    ...     train(..., checkpoints=folder.work / "checkpoint")
    ...     save_everything(folder.work)
    ...     folder.commit()
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from glassnet.core.atomic import atomic_write_json
from glassnet.core.errors import GlassnetError
from glassnet.core.locking import LOCK_NAME, RunLock
from glassnet.project.config import ConfigError, RunConfig

PARTIAL = ".partial"
COMPLETE = ".complete"
RUN_FILE = "run.json"
ARCHITECTURE = "architecture.json"
# every file a run writes: a new run replaces them all (a file the new run does not
# write, such as an old checkpoint/, is removed so that it cannot be mixed with it)
RUN_FILES = (RUN_FILE, "checkpoint", "checkpoint.new", "checkpoint.old", "parameters.npz",
             "metrics.json", "history.json", "learning_curve.png", "vocabulary.json",
             ARCHITECTURE)
# the settings a resumed run may change (the others would not continue the same run)
RESUMABLE = ("epochs", "print_every", "checkpoint_every", "threads", "progress", "human_error")


class RunExistsError(GlassnetError):
    """A run folder that holds an earlier run (replace it with ``overwrite``)."""


def holds_run(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a run (its ``run.json`` or a saved model)."""
    return any((Path(folder) / name).exists() for name in (RUN_FILE, ARCHITECTURE))


def read_run_config(folder: str | os.PathLike) -> RunConfig:
    """The settings saved in ``folder/run.json``; one line naming the file if they are bad."""
    path = Path(folder) / RUN_FILE
    if not path.is_file():
        raise GlassnetError(f"{folder}: nothing to resume (no {RUN_FILE}; train with "
                            "--checkpoint-every)")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise GlassnetError(f"{path}: not a valid run file ({type(exc).__name__})") from None
    if not isinstance(data, dict) or "config" not in data:
        raise GlassnetError(f"{path}: not a run file (expected {{\"config\": {{...}}}})")
    return RunConfig.from_dict(_as_saved(data["config"], path), source=str(path))


def _as_saved(config: Any, path: Path) -> Any:
    if not isinstance(config, dict):
        raise ConfigError(None, f"{path}: config must be a table of settings, got "
                                f"{type(config).__name__}")
    return config


def resume_conflicts(saved: RunConfig, changes: dict[str, Any]) -> list[str]:
    """The settings of ``changes`` that differ from the resumed run's and may not change."""
    changed = RunConfig.from_dict(changes, base=saved)
    return [k for k in RunConfig.names()
            if k not in RESUMABLE and getattr(changed, k) != getattr(saved, k)]


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - not POSIX
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _install_files(out: Path, partial: Path, names: list[str]) -> None:
    """Put the plain files ``names`` of ``partial`` into ``out`` as one unit
    (:func:`glassnet.models.folder_swap.write_unit`: a reader finds the old files or the
    new ones, the model included)."""
    from glassnet.models.folder_swap import write_unit

    def copier(src: Path) -> Callable[[BinaryIO], None]:
        def copy(fh: BinaryIO) -> None:  # streamed: a large parameters.npz is not held twice
            with open(src, "rb") as f:
                shutil.copyfileobj(f, fh)
        return copy

    write_unit(out, {n: copier(partial / n) for n in names})


class RunFolder:
    """The locked run folder ``out`` and the folder the run writes into (:attr:`work`)."""

    def __init__(self, out: str | os.PathLike, resume: bool = False,
                 overwrite: bool = True) -> None:
        self.out = Path(out)
        self.partial = self.out / PARTIAL
        self.resume = resume
        self.overwrite = overwrite
        self.lock = RunLock(self.out)
        self.created = False
        self.in_place = True
        self.committed = False

    @property
    def work(self) -> Path:
        """Where the run writes: ``out`` itself (a fresh folder) or ``out/.partial``."""
        return self.out if self.in_place else self.partial

    def __enter__(self) -> RunFolder:
        self.created = not self.out.exists()
        self.lock.acquire()
        try:
            if self.partial.exists():
                self._recover()
            earlier = holds_run(self.out)
            if self.resume and not (self.out / RUN_FILE).is_file():
                raise GlassnetError(f"{self.out}: nothing to resume (no {RUN_FILE}; train with "
                                    "--checkpoint-every)")
            if earlier and not self.resume and not self.overwrite:
                raise RunExistsError(f"{self.out}: holds an earlier run; pass --overwrite to "
                                    "replace it, or choose another --out")
            self.in_place = not earlier
            if not self.in_place:
                self.partial.mkdir(exist_ok=True)
        except BaseException:
            self._release(failed=True)
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._release(failed=exc_type is not None or not self.committed)

    # -- resuming -------------------------------------------------------------------------
    def checkpoint_to_resume(self, cfg: RunConfig) -> Path | None:
        """The checkpoint a resumed run continues from: the furthest of ``out/checkpoint``
        and that of an interrupted resume of the same run (in ``.partial``); None when the
        run was killed before its first checkpoint (it then starts over)."""
        from glassnet.train.checkpoint import find_checkpoint

        best, done = None, -1
        for folder in (self.out, self.partial):
            if folder == self.partial and not self._same_run(cfg):
                continue
            try:
                ckpt = find_checkpoint(folder / "checkpoint")
                epochs = int(json.loads((ckpt / "trainer.json").read_text())["epochs_done"])
            except (GlassnetError, OSError, ValueError, KeyError, TypeError):
                continue
            if epochs > done:
                best, done = ckpt, epochs
        return best

    def _same_run(self, cfg: RunConfig) -> bool:
        try:
            other = read_run_config(self.partial)
        except GlassnetError:
            return False
        return not resume_conflicts(cfg, {k: v for k, v in other.to_dict().items()
                                          if k not in RESUMABLE})

    # -- the end --------------------------------------------------------------------------
    def commit(self) -> None:
        """Move the finished run's files from ``.partial`` into the run folder (nothing to
        do for a fresh folder, which the run wrote itself)."""
        if not self.in_place:
            names = sorted(p.name for p in self.partial.iterdir() if p.name != COMPLETE)
            atomic_write_json(self.partial / COMPLETE, {"files": names})
            self._move_in(names)
        self.committed = True

    def _move_in(self, names: list[str]) -> None:
        """Replace the run's files in ``out`` by ``names`` of ``.partial`` (idempotent: a
        commit killed half-way is finished by running it again)."""
        names = [n for n in names if not n.startswith(".")]
        for name in names:  # folders (checkpoint/) first, each by one rename
            src, dst = self.partial / name, self.out / name
            if src.is_dir():
                _remove(dst)
                src.rename(dst)
        files = [n for n in names if (self.partial / n).is_file()]
        if files:
            _install_files(self.out, self.partial, files)
        for name in RUN_FILES:  # the earlier run's files that the new run did not write
            if name not in names:
                _remove(self.out / name)
        _fsync_dir(self.out)
        shutil.rmtree(self.partial, ignore_errors=True)
        _fsync_dir(self.out)

    def _recover(self) -> None:
        """Finish an interrupted commit, or drop an abandoned ``.partial`` (kept on a resume:
        its checkpoint may be further than the run folder's)."""
        marker = self.partial / COMPLETE
        if marker.is_file():
            try:
                names = json.loads(marker.read_text())["files"]
            except (OSError, ValueError, KeyError, TypeError):
                names = None
            if isinstance(names, list) and all(isinstance(n, str) and "/" not in n
                                               and n not in ("", ".", "..", LOCK_NAME)
                                               for n in names):
                self._move_in(names)
                return
        if not self.resume:
            shutil.rmtree(self.partial, ignore_errors=True)

    def _release(self, failed: bool) -> None:
        if failed and not self.in_place and not self.resume:
            shutil.rmtree(self.partial, ignore_errors=True)
        self.lock.release()
        if failed and self.created:
            try:
                self.out.rmdir()  # a fresh folder the failed run left empty
            except OSError:
                pass
