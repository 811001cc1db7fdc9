"""Writing a model's files into a folder as one unit: a kill leaves the old model or the new.

A model folder is also a run folder: next to ``architecture.json`` and ``parameters.npz``
it may hold ``metrics.json``, ``checkpoint/``, ``learning_curve.png``, ``run.json`` and the
run's ``.lock``, which belong to others and must not move.  So the folder itself is never
swapped; the model's files keep their plain names at its top level (folders written by
older glassnet versions, and tools that open ``runs/x/parameters.npz``, keep working), and
one extra name, ``.model-next/``, is the commit point:

1. every file of the new model is written into ``.model-tmp-<random>/`` next to them, each
   flushed with ``fsync``, then the folder itself;
2. **commit**: that folder is renamed ``.model-next`` (one atomic rename; the parent
   folder is fsynced).  From here on a reader takes the model from ``.model-next/``;
3. each file is hard-linked (or, where links are not supported, copied and fsynced) to a
   temporary name at the top level and renamed over the old file; the parent is fsynced;
4. ``.model-next`` is renamed ``.model-done-<random>`` (the top level now holds the new
   model complete) and removed.

:func:`committed_folder` is the reader's side: ``.model-next/`` when it exists (a save was
killed in step 3: its top-level files may be half old, half new), else the folder.  At
every instant, then, a glassnet reader finds either the complete old model (before step 2)
or the complete new one (after it).  A save killed in step 1 leaves a ``.model-tmp-*``
folder, one killed in step 4 a ``.model-done-*`` folder: both are ignored by readers and
removed by the next save, which also finishes (step 3 again) a committed save that was
killed.  Nothing is ever written in place: a file that readers may have open is replaced,
never changed.

    >>> write_unit(Path("runs/x"), {"a.json": b"{}"})          # doctest: +SKIP
    >>> committed_folder(Path("runs/x"))                        # doctest: +SKIP
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

from glassnet.core.atomic import fsync_directory

NEXT = ".model-next"
TMP_PREFIX = ".model-tmp-"
DONE_PREFIX = ".model-done-"

#: a file's contents: bytes, or a function that writes them to an open binary file
Contents = bytes | Callable[[BinaryIO], None]


def committed_folder(folder: Path) -> Path:
    """Where the model's files of ``folder`` are: ``folder/.model-next`` while a committed
    save has not been rolled forward (it was killed), else ``folder`` itself."""
    pending = folder / NEXT
    return pending if pending.is_dir() else folder


def _write_file(path: Path, contents: Contents) -> None:
    with open(path, "xb") as fh:
        if isinstance(contents, bytes | bytearray | memoryview):
            fh.write(contents)
        else:
            contents(fh)
        fh.flush()
        os.fsync(fh.fileno())


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP,
                             errno.EMLINK, errno.EACCES, errno.ENOSYS):
            raise
        with open(source, "rb") as src, open(target, "xb") as dst:
            shutil.copyfileobj(src, dst, 2**20)
            dst.flush()
            os.fsync(dst.fileno())


def _roll_forward(folder: Path) -> None:
    """Steps 3 and 4 for a committed ``folder/.model-next`` (idempotent)."""
    pending = folder / NEXT
    token = secrets.token_hex(4)
    for source in sorted(pending.iterdir()):
        if not source.is_file():
            continue
        staged = folder / f".{source.name}.{token}.tmp"
        _link_or_copy(source, staged)
        os.replace(staged, folder / source.name)
    fsync_directory(folder)
    done = folder / f"{DONE_PREFIX}{token}"
    os.replace(pending, done)
    fsync_directory(folder)
    shutil.rmtree(done, ignore_errors=True)


def tidy(folder: Path, names: Iterable[str] = ()) -> None:
    """Finish a committed save that was killed, and remove what killed saves left: their
    ``.model-tmp-*`` / ``.model-done-*`` folders and staged ``.NAME.TOKEN.tmp`` copies of
    the files ``names``."""
    if (folder / NEXT).is_dir():
        _roll_forward(folder)
    alternatives = "|".join(re.escape(n) for n in names)
    staged = re.compile(rf"\.({alternatives})\.[0-9a-f]{{8}}\.tmp")
    for entry in folder.iterdir():
        if entry.name.startswith((TMP_PREFIX, DONE_PREFIX)) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif names and staged.fullmatch(entry.name) and entry.is_file():
            entry.unlink(missing_ok=True)


def write_unit(folder: Path, files: Mapping[str, Contents]) -> Path:
    """Write ``files`` (name -> contents) into ``folder`` as one unit (see the module's
    docstring); other files of the folder are left as they are.  Returns ``folder``."""
    for name in files:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"not a plain file name for a model folder: {name!r}")
    folder.mkdir(parents=True, exist_ok=True)
    tidy(folder, files)
    staging = folder / f"{TMP_PREFIX}{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        for name, contents in files.items():
            _write_file(staging / name, contents)
        fsync_directory(staging)
        os.replace(staging, folder / NEXT)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_directory(folder)
    _roll_forward(folder)
    return folder
