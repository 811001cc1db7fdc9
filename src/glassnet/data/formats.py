"""Loaders of the course's HDF5 files, ``.npz``, CSV, image folders and MATLAB ``.mat``."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy

from glassnet.data.records import (
    IMAGE_EXTENSIONS,
    DataError,
    Dataset,
    PathLike,
    _check_file,
    _classes_from,
    _finish,
    _no_split,
    _NoSplit,
    _pairs,
    _pick,
)

_MAT_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "train": (("X", "y"), ("X", "Y"), ("x", "y"), ("Xtrain", "ytrain"), ("X_train", "y_train")),
    "test": (("Xtest", "ytest"), ("X_test", "y_test"), ("Xval", "yval"), ("X_val", "y_val")),
    "dev": (("Xval", "yval"), ("X_val", "y_val"), ("Xdev", "ydev")),
}
_MAT_KEYS["val"] = _MAT_KEYS["dev"]


def load_h5(path: PathLike, split: str | None = None) -> Dataset:
    """The course's HDF5 files: ``train_set_x``/``train_set_y`` (any ``*_x``/``*_y`` pair).

    ``list_classes`` (bytes) becomes ``classes`` (str).  ``split`` picks the pair
    whose prefix names it (``"test"`` -> ``test_set_x``); a file holding a single
    pair returns it for ``split`` None or ``"train"``.
    """
    import h5py

    p = _check_file(path)
    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise DataError(f"{p}: not an HDF5 file ({exc})") from None
    with f:
        keys = list(f.keys())
        pairs = _pairs(keys)
        picked = _pick(pairs, split, p, keys)
        if picked is None:
            raise _no_split(p, str(split), pairs)
        prefix, (kx, ky) = picked
        try:
            x = f[kx][()]
            y = f[ky][()]
        except (TypeError, AttributeError):
            raise DataError(f"{p}: {kx!r}/{ky!r} are not datasets (keys present: {keys})") from None
        classes = None
        for ck in ("list_classes", "classes", f"{prefix}_classes"):
            if ck in f:
                classes = _classes_from(f[ck][()])
                break
    return _finish(x, y, classes, p, f"{kx}/{ky}")


def _open_npz(p: Path) -> Any:
    try:
        return numpy.load(p, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise DataError(f"{p}: not a NumPy .npz archive ({exc})") from None


def load_npz(path: PathLike, split: str | None = None) -> Dataset:
    """An ``.npz`` holding ``x``/``y``, ``X``/``Y``, or ``train_x``/``train_y`` (+ ``test_*``).

    Loaded with ``allow_pickle=False`` (a file cannot run code).  An optional
    ``classes`` array names the labels.
    """
    p = _check_file(path)
    z = _open_npz(p)
    if not hasattr(z, "files"):
        raise DataError(f"{p}: a single .npy array, not an .npz archive of named arrays")
    with z:
        keys = list(z.files)
        pairs = _pairs(keys)
        picked = _pick(pairs, split, p, keys)
        if picked is None:
            raise _no_split(p, str(split), pairs)
        prefix, (kx, ky) = picked
        try:
            x, y = z[kx], z[ky]
            classes = None
            for ck in ("classes", f"{prefix}_classes", "list_classes"):
                if ck in keys:
                    classes = _classes_from(z[ck])
                    break
        except ValueError as exc:
            raise DataError(f"{p}: cannot read {kx!r}/{ky!r} without pickle ({exc})") from None
    return _finish(x, y, classes, p, f"{kx}/{ky}")


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def load_csv(
    path: PathLike,
    label_column: int | str | Sequence[int | str] = -1,
    *,
    delimiter: str | None = None,
    header: bool | None = None,
) -> Dataset:
    """A numeric CSV: one example per row, features ``(m, n)``, label column(s) ``y``.

    ``label_column``: an index (default the last column), a header name, or a
    list of them (then ``y`` is ``(m, k)``).  ``header`` None detects a header
    row (a first row with a non-numeric field).  Non-numeric labels are encoded
    0..C-1 in sorted order and named in ``classes``.  ``delimiter`` None sniffs
    ``,`` / ``;`` / tab.
    """
    p = _check_file(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{p}: not a text CSV file (cannot decode as UTF-8)") from None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise DataError(f"{p}: empty dataset (no rows)")
    if delimiter is None:
        first = lines[0]
        delimiter = (
            max((",", ";", "\t"), key=first.count) if any(c in first for c in ",;\t") else ","
        )
    rows = [[c.strip() for c in r] for r in csv.reader(lines, delimiter=delimiter)]
    if header is None:
        header = not all(_is_number(c) for c in rows[0] if c != "")
    names: list[str] | None = rows[0] if header else None
    body = rows[1:] if header else rows
    if not body:
        raise DataError(f"{p}: empty dataset (a header and no data rows)")
    n_cols = len(rows[0])
    for i, r in enumerate(body):
        if len(r) != n_cols:
            line = i + 1 + (1 if header else 0)
            raise DataError(f"{p}: row {line} has {len(r)} fields, expected {n_cols}")
    if n_cols < 2:
        raise DataError(f"{p}: need at least one feature column and one label column")

    def col_index(c: int | str) -> int:
        if isinstance(c, str):
            if names is None:
                raise DataError(f"{p}: label column {c!r} given by name but the file has no header")
            if c not in names:
                raise DataError(f"{p}: no column {c!r}; columns: {names}")
            return names.index(c)
        if not -n_cols <= int(c) < n_cols:
            raise DataError(f"{p}: label column {c} out of range for {n_cols} columns")
        return int(c) % n_cols

    multi = isinstance(label_column, Sequence) and not isinstance(label_column, str)
    label_idx = [col_index(c) for c in (label_column if multi else [label_column])]  # type: ignore[union-attr]
    feat_idx = [j for j in range(n_cols) if j not in label_idx]
    if not feat_idx:
        raise DataError(f"{p}: every column is a label column")
    cells = numpy.array(body, dtype=object)

    def to_float(block: numpy.ndarray, what: str) -> numpy.ndarray:
        text = numpy.where(block == "", "nan", block).astype(str)
        try:
            return text.astype(numpy.float64)
        except ValueError:
            bad = [i for i, s in enumerate(text.reshape(-1)) if not _is_number(s)][0]
            r = bad // block.shape[1]
            line = r + 1 + (1 if header else 0)
            raise DataError(
                f"{p}: non-numeric {what} {str(text.reshape(-1)[bad])!r} at row {line}"
            ) from None

    x = to_float(cells[:, feat_idx], "value")
    lab = cells[:, label_idx]
    classes = None
    if all(_is_number(s) for s in lab.reshape(-1)):
        y = to_float(lab, "label")
        if numpy.all(numpy.isfinite(y)) and numpy.all(y == numpy.round(y)):
            y = y.astype(numpy.int64)
    elif len(label_idx) == 1:
        names_sorted, y = numpy.unique(lab[:, 0].astype(str), return_inverse=True)
        classes = [str(s) for s in names_sorted]
        y = y.astype(numpy.int64).reshape(-1)
    else:
        raise DataError(f"{p}: non-numeric values in a multi-column target")
    if not multi:
        y = y.reshape(-1)
    return _finish(x, y, classes, p)


def _class_dirs(folder: Path) -> list[Path]:
    return sorted(
        (d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".")),
        key=lambda d: d.name,
    )


def load_image_folder(path: PathLike, size: tuple[int, int] = (64, 64)) -> Dataset:
    """One sub-folder per class; images read with Pillow, converted to RGB, resized.

    ``size`` is ``(n_H, n_W)``.  Classes are the sub-folder names, sorted; ``x``
    is uint8 ``(m, n_H, n_W, 3)``.
    """
    from PIL import Image, UnidentifiedImageError

    folder = Path(path)
    if not folder.exists():
        raise DataError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder")
    dirs = _class_dirs(folder)
    if not dirs:
        raise DataError(f"{folder}: empty dataset (no class sub-folders)")
    n_H, n_W = int(size[0]), int(size[1])
    images: list[numpy.ndarray] = []
    labels: list[int] = []
    for c, d in enumerate(dirs):
        files = sorted(
            f for f in d.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS
        )
        if not files:
            raise DataError(f"{folder}: class folder {d.name!r} holds no images")
        for f in files:  # file IO, one image at a time
            try:
                with Image.open(f) as im:
                    im = im.convert("RGB")
                    if im.size != (n_W, n_H):
                        im = im.resize((n_W, n_H), Image.Resampling.BILINEAR)
                    images.append(numpy.asarray(im, dtype=numpy.uint8))
            except (UnidentifiedImageError, OSError) as exc:
                raise DataError(f"{f}: not a readable image ({exc})") from None
            labels.append(c)
    x = numpy.stack(images)
    y = numpy.asarray(labels, dtype=numpy.int64)
    return _finish(x, y, [d.name for d in dirs], folder)


def load_mat(path: PathLike, split: str | None = None) -> Dataset:
    """A MATLAB file (``scipy.io.loadmat``): ``X``/``y`` is train, ``Xval``/``yval`` test.

    The course's ``data.mat``: ``X`` (211, 2), ``y`` (211, 1); ``Xval`` (200, 2),
    ``yval`` (200, 1).
    """
    import scipy.io

    p = _check_file(path)
    try:
        mat = scipy.io.loadmat(p)
    except (
        scipy.io.matlab.MatReadError,
        ValueError,
        TypeError,
        OSError,
        NotImplementedError,
    ) as exc:
        raise DataError(f"{p}: not a MATLAB .mat file readable by scipy ({exc})") from None
    keys = [k for k in mat if not k.startswith("__")]
    split = split or "train"
    for kx, ky in _MAT_KEYS.get(split, ((f"X{split}", f"y{split}"),)):
        if kx in mat and ky in mat:
            return _finish(mat[kx], mat[ky], None, p, f"{kx}/{ky}")
    raise _NoSplit(f"{p}: no {split!r} arrays (like X/y or Xval/yval); keys present: {keys}")
