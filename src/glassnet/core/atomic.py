"""Atomic writes and a safe ``.npz`` reader: a killed process leaves the old file or the new one.

Every write goes to a temporary file in the target's folder, is flushed to disk and renamed
over the target (``os.replace`` is atomic on one file system).  ``.npz`` files are read with
``allow_pickle=False``, so loading can never run code.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.backend import to_numpy
from glassnet.core.errors import ModelFileError


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
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(
        path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n"
    )


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
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_npz_safely(
    path: str | os.PathLike, what: str = "parameter file"
) -> dict[str, numpy.ndarray]:
    """Every array of an ``.npz`` file, refusing pickles and damaged files with a clear error."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: {what} not found")
    try:
        with numpy.load(path, allow_pickle=False) as data:
            if not isinstance(data, Mapping) and not hasattr(data, "files"):
                raise ModelFileError(f"{path}: not an .npz archive")
            return {k: data[k] for k in data.files}
    except ModelFileError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ModelFileError(
                f"{path}: refused: the file holds pickled data, which could run code on loading"
            ) from None
        raise ModelFileError(f"{path}: not a valid .npz {what} ({exc})") from None
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ModelFileError(f"{path}: truncated or corrupt {what} ({exc})") from None

