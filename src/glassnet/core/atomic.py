"""Atomic writes and a safe ``.npz`` reader: a killed process leaves the old file or the new one.

Every write goes to a temporary file in the target's folder, is flushed to disk and renamed
over the target (``os.replace`` is atomic on one file system); the folder is then flushed
too, so the rename itself survives a power cut.  ``.npz`` files are read through
:mod:`glassnet.core.npz_reader`, so loading can never run code or inflate a bomb.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.backend import to_numpy
from glassnet.core.errors import ModelFileError
from glassnet.core.npz_reader import read_npz


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_directory(path.parent)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def json_bytes(obj: Any) -> bytes:
    """``obj`` as indented UTF-8 JSON (NumPy scalars and arrays as numbers and lists)."""
    return (json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n").encode()


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_bytes(path, json_bytes(obj))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, numpy.integer):
        return int(obj)
    if isinstance(obj, numpy.floating):
        return float(obj)
    if isinstance(obj, numpy.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def atomic_save_npz(path: str | os.PathLike, arrays: Mapping[str, Any]) -> None:
    """``numpy.savez`` to a temporary file, then rename (arrays brought to the host)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            numpy.savez(fh, **{k: to_numpy(v) for k, v in arrays.items()})
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_directory(path.parent)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_npz_safely(
    path: str | os.PathLike, what: str = "parameter file", names: Iterable[str] | None = None
) -> dict[str, numpy.ndarray]:
    """The arrays ``names`` (default: every one) of an ``.npz`` file, through
    :func:`glassnet.core.npz_reader.read_npz`: pickles refused, each member's declared size,
    compression ratio and ``.npy`` header checked against the memory budget before it is
    inflated, damage of any kind raised as one :class:`ModelFileError` line naming the file."""
    return read_npz(path, names, error=ModelFileError, what=what)


def fsync_directory(path: str | os.PathLike) -> None:
    """Flush a folder's entries (the renames into it) to disk; a no-op where folders cannot
    be opened (Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder
        pass
    finally:
        os.close(fd)
