"""Dataset loaders: the course's HDF5 files, ``.npz``, MNIST IDX, CSV, image folders, ``.mat``.

Every loader returns a :class:`Dataset` with the examples FIRST, in the file's
natural layout:

* images ``x``: ``(m, n_H, n_W, n_C)`` (uint8 as stored, or float);
* tabular ``x``: ``(m, n)``;
* ``y``: ``(m,)`` integer class labels, or ``(m, k)`` for multi-label or
  regression targets.

Turning these into the course's dense layout (``X`` of shape ``(n_x, m)``, one
example per column; ``Y`` of shape ``(1, m)``) is :mod:`glassnet.data.preprocessing`'s
job (``flatten_images``, ``to_columns``, ``labels_to_row``).

Problems with a file (missing, not the claimed format, missing keys, no
examples, ``x``/``y`` length mismatch, NaN or inf) raise :class:`DataError`,
whose message names the file and the problem.

    >>> from glassnet.data import load_dataset, load_train_test
    >>> train = load_dataset("train_catvnoncat.h5")          # x (209, 64, 64, 3) uint8
    >>> train, test = load_train_test("signs_64x64_cs230.npz")
"""

from __future__ import annotations

import csv
import gzip
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

__all__ = [
    "DataError",
    "Dataset",
    "IMAGE_EXTENSIONS",
    "load_csv",
    "load_dataset",
    "load_h5",
    "load_idx",
    "load_image_folder",
    "load_mat",
    "load_mnist",
    "load_npz",
    "load_train_test",
]

PathLike = str | Path

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm")

# split name -> the key prefixes that hold it, in order of preference
_SPLIT_ALIASES: dict[str, tuple[str, ...]] = {
    "train": ("train", "training"),
    "test": ("test", "t10k", "val", "valid", "validation"),
    "dev": ("dev", "val", "valid", "validation"),
    "val": ("val", "valid", "validation", "dev"),
}


class DataError(ValueError):
    """A dataset file that cannot be loaded as claimed (the message names the file)."""


class _NoSplit(DataError):
    """The file is fine but holds no part for the split asked for."""


@dataclass
class Dataset:
    """Examples first: ``x`` ``(m, ...)``, ``y`` ``(m,)`` or ``(m, k)``.

    ``classes[c]`` is the name of integer label ``c`` (None when unknown);
    ``source`` is the file or folder the data came from.
    """

    x: numpy.ndarray
    y: numpy.ndarray
    classes: list[str] | None = None
    source: str = ""

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def m(self) -> int:
        """Number of examples."""
        return int(self.x.shape[0])

    @property
    def n_classes(self) -> int | None:
        """``len(classes)``, else ``max(y) + 1`` for integer labels, else None."""
        if self.classes is not None:
            return len(self.classes)
        if self.y.ndim == 1 and numpy.issubdtype(self.y.dtype, numpy.integer) and self.y.size:
            return int(self.y.max()) + 1
        return None

    def __repr__(self) -> str:
        return (
            f"Dataset(x={self.x.shape} {self.x.dtype}, y={self.y.shape} {self.y.dtype}, "
            f"classes={self.classes!r}, source={self.source!r})"
        )


# -- shared checks ------------------------------------------------------------------------


def _check_file(path: PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    if not p.is_file():
        raise DataError(f"{p}: not a file")
    return p


def _as_labels(y: numpy.ndarray, m: int) -> numpy.ndarray:
    """Column ``(m, 1)`` or row ``(1, m)`` labels -> ``(m,)``; integer-like -> int64."""
    y = numpy.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    elif y.ndim == 2 and y.shape[0] == 1 and y.shape[1] == m and m != 1:
        y = y[0]
    if y.dtype == numpy.bool_ or numpy.issubdtype(y.dtype, numpy.integer):
        y = y.astype(numpy.int64, copy=False)
    return y


def _classes_from(value: Any) -> list[str] | None:
    if value is None:
        return None
    arr = numpy.asarray(value).reshape(-1)
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in arr.tolist()]


def _finish(x: Any, y: Any, classes: list[str] | None, source: Path, what: str = "") -> Dataset:
    """Validate (non-empty, equal lengths, finite) and wrap in a :class:`Dataset`."""
    where = f"{source}{' (' + what + ')' if what else ''}"
    x = numpy.asarray(x)
    if x.ndim == 0:
        raise DataError(f"{where}: x is a scalar, expected an array of examples")
    m = int(x.shape[0])
    if m == 0 or x.size == 0:
        raise DataError(f"{where}: empty dataset (x has shape {x.shape})")
    y = _as_labels(y, m)
    if y.ndim == 0:
        raise DataError(f"{where}: y is a scalar, expected one label per example")
    if y.shape[0] != m:
        raise DataError(
            f"{where}: x has {m} examples but y has {y.shape[0]} (shapes {x.shape} and {y.shape})"
        )
    for name, a in (("x", x), ("y", y)):
        if numpy.issubdtype(a.dtype, numpy.inexact):
            bad = ~numpy.isfinite(a)
            if bad.any():
                first = numpy.argwhere(bad)[0]
                raise DataError(
                    f"{where}: {name} holds {int(bad.sum())} NaN/inf value(s), "
                    f"the first at index {tuple(int(i) for i in first)}"
                )
        elif not (numpy.issubdtype(a.dtype, numpy.number) or a.dtype == numpy.bool_):
            raise DataError(f"{where}: {name} has non-numeric dtype {a.dtype}")
    if classes is not None and y.ndim == 1 and numpy.issubdtype(y.dtype, numpy.integer):
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= len(classes):
            raise DataError(
                f"{where}: labels run from {lo} to {hi} but there are {len(classes)} classes"
            )
    return Dataset(x=x, y=y, classes=classes, source=str(source))


def _pairs(keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``*_x``/``*_y`` (or ``x``/``y``, ``X``/``Y``) key pairs, by prefix (``""`` unnamed)."""
    keyset = set(keys)
    found: dict[str, tuple[str, str]] = {}
    for k in keys:
        for xs, ys in (("x", "y"), ("X", "Y"), ("X", "y")):
            if k == xs and ys in keyset:
                found.setdefault("", (k, ys))
            elif k.endswith("_" + xs) and k[: -len(xs)] + ys in keyset:
                found.setdefault(k[: -len(xs) - 1], (k, k[: -len(xs)] + ys))
    return found


def _prefix_matches(prefix: str, alias: str) -> bool:
    p = prefix.lower()
    return p == alias or p.startswith(alias + "_") or p.startswith(alias + "-")


def _pick(
    pairs: dict[str, tuple[str, str]], split: str | None, source: Path, keys: Sequence[str]
) -> tuple[str, tuple[str, str]] | None:
    """The pair holding ``split``; a file holding one set gives it for ``"train"``/None."""
    if not pairs:
        raise DataError(
            f"{source}: no x/y arrays found; expected keys like 'x'/'y', 'train_x'/'train_y' "
            f"or 'train_set_x'/'train_set_y'; keys present: {sorted(keys)}"
        )
    if split is None:
        split = "train"
    for alias in _SPLIT_ALIASES.get(split, (split,)):
        for prefix, pair in pairs.items():
            if _prefix_matches(prefix, alias):
                return prefix, pair
    if split == "train":
        if "" in pairs:
            return "", pairs[""]
        if len(pairs) == 1:
            return next(iter(pairs.items()))
        raise DataError(
            f"{source}: several x/y pairs and none named 'train': {sorted(pairs)}; "
            f"pass split= one of them"
        )
    return None


def _no_split(source: Path, split: str, pairs: dict[str, tuple[str, str]]) -> DataError:
    held = ", ".join(f"{a}/{b}" for a, b in pairs.values())
    return _NoSplit(f"{source}: no {split!r} split; x/y pairs present: {held}")


# -- HDF5 (the course's cat files) --------------------------------------------------------


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


# -- .npz ---------------------------------------------------------------------------------


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


# -- MNIST IDX ----------------------------------------------------------------------------

_IDX_DTYPES = {
    0x08: numpy.dtype(numpy.uint8),
    0x09: numpy.dtype(numpy.int8),
    0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"),
    0x0D: numpy.dtype(">f4"),
    0x0E: numpy.dtype(">f8"),
}


def _read_maybe_gzip(p: Path) -> bytes:
    with open(p, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{p}: corrupt gzip stream ({exc})") from None
    return raw


def load_idx(path: PathLike) -> numpy.ndarray:
    """One IDX file (MNIST's format), gzipped or not.

    Header: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions, then each
    dimension as a big-endian uint32; then the data, big-endian, row-major.
    """
    p = _check_file(path)
    raw = _read_maybe_gzip(p)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{p}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    dtype = _IDX_DTYPES[raw[2]]
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{p}: IDX header truncated ({len(raw)} bytes for {ndim} dimensions)")
    dims = tuple(int(d) for d in numpy.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    count = int(numpy.prod(dims, dtype=numpy.int64)) if dims else 1
    expected = header + count * dtype.itemsize
    if len(raw) != expected:
        raise DataError(
            f"{p}: IDX size mismatch: header says {dims} of {dtype} ({expected} bytes), "
            f"file holds {len(raw)} bytes"
        )
    data = numpy.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="), copy=True)


def load_mnist(images_path: PathLike, labels_path: PathLike) -> Dataset:
    """MNIST-style IDX images ``(m, 28, 28)`` and labels ``(m,)``.

    Images come back as ``(m, n_H, n_W, 1)`` (channels last, as every image here).
    """
    x = load_idx(images_path)
    y = load_idx(labels_path)
    ip = Path(images_path)
    if x.ndim == 3:
        x = x[..., None]
    elif x.ndim != 4:
        raise DataError(f"{ip}: expected IDX images of 3 dimensions, got shape {x.shape}")
    if y.ndim != 1:
        raise DataError(f"{Path(labels_path)}: expected 1-D IDX labels, got shape {y.shape}")
    classes = [str(c) for c in range(int(y.max()) + 1)] if y.size else None
    return _finish(x, y, classes, ip, f"labels {Path(labels_path).name}")


_IDX_NAME = re.compile(r"idx\d-ubyte(\.gz)?$")


def _is_idx_name(p: Path) -> bool:
    return bool(_IDX_NAME.search(p.name))


def _mnist_pair_in(folder: Path, split: str) -> tuple[Path, Path] | None:
    """``train-images-idx3-ubyte[.gz]`` + labels (``t10k-`` for the test split)."""
    prefixes = ("train",) if split == "train" else ("t10k", "test") if split == "test" else (split,)
    for prefix in prefixes:
        for gz in ("", ".gz"):
            imgs = folder / f"{prefix}-images-idx3-ubyte{gz}"
            labs = folder / f"{prefix}-labels-idx1-ubyte{gz}"
            if imgs.is_file() and labs.is_file():
                return imgs, labs
    return None


def _labels_beside(images: Path) -> Path:
    name = images.name.replace("images", "labels").replace("idx3", "idx1")
    return images.with_name(name)


# -- CSV ----------------------------------------------------------------------------------


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


# -- image folders ------------------------------------------------------------------------


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


# -- MATLAB .mat (the course's data.mat) --------------------------------------------------

_MAT_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "train": (("X", "y"), ("X", "Y"), ("x", "y"), ("Xtrain", "ytrain"), ("X_train", "y_train")),
    "test": (("Xtest", "ytest"), ("X_test", "y_test"), ("Xval", "yval"), ("X_val", "y_val")),
    "dev": (("Xval", "yval"), ("X_val", "y_val"), ("Xdev", "ydev")),
}
_MAT_KEYS["val"] = _MAT_KEYS["dev"]


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


# -- dispatch -----------------------------------------------------------------------------


def _formats() -> str:
    return ".h5/.hdf5, .npz, .csv/.tsv, .mat, IDX (*-idx3-ubyte[.gz]), or a folder"


def load_dataset(path: PathLike, split: str = "train", **kwargs: Any) -> Dataset:
    """Load ``split`` of the dataset at ``path``, dispatching on its suffix.

    ``.h5``/``.hdf5`` -> :func:`load_h5`; ``.npz`` -> :func:`load_npz`;
    ``.csv``/``.tsv`` -> :func:`load_csv`; ``.mat`` -> :func:`load_mat`;
    ``*-images-idx3-ubyte[.gz]`` -> :func:`load_mnist` with the labels file beside
    it; a folder -> MNIST files in it, ``<folder>/<split>/<class>/`` image
    folders, or ``<folder>/<class>/`` image folders.  Files holding both splits
    return the test part for ``split="test"``; a file holding one set returns it
    for ``split="train"``.  ``kwargs`` go to the loader (``label_column=``, ``size=``).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file or folder")
    if p.is_dir():
        pair = _mnist_pair_in(p, split)
        if pair is not None:
            return load_mnist(*pair)
        sub = p / split
        if sub.is_dir() and _class_dirs(sub):
            return load_image_folder(sub, **kwargs)
        if split != "train":
            raise _NoSplit(f"{p}: no {split!r} split (no {split}/ sub-folder or MNIST files)")
        return load_image_folder(p, **kwargs)
    suffix = p.suffix.lower()
    if suffix in (".h5", ".hdf5", ".he5"):
        return load_h5(p, split)
    if suffix == ".npz":
        return load_npz(p, split)
    if suffix == ".mat":
        return load_mat(p, split)
    if _is_idx_name(p):
        labels = _labels_beside(p)
        if labels == p or not labels.is_file():
            raise DataError(f"{p}: IDX images without a labels file beside them ({labels.name})")
        return load_mnist(p, labels)
    if suffix in (".csv", ".tsv", ".txt"):
        if split != "train":
            raise _NoSplit(f"{p}: a CSV file holds a single set; no {split!r} split")
        if suffix == ".tsv":
            kwargs.setdefault("delimiter", "\t")
        return load_csv(p, **kwargs)
    raise DataError(
        f"{p}: unknown dataset format {suffix or '(no suffix)'!r}; expected {_formats()}"
    )


def _sibling_test(p: Path) -> Path | None:
    """``train_catvnoncat.h5`` -> ``test_catvnoncat.h5`` when that file exists."""
    if not p.is_file():
        return None
    name = p.name
    m = re.search(r"train(ing)?", name, flags=re.IGNORECASE)
    if m is None:
        return None
    for word in ("test", "t10k"):
        cand = p.with_name(name[: m.start()] + word + name[m.end() :])
        if cand.is_file() and cand != p:
            return cand
    return None


def load_train_test(path: PathLike, **kwargs: Any) -> tuple[Dataset, Dataset | None]:
    """``(train, test)`` from one path; ``test`` is None when there is no test part.

    The test part comes from the same file (``test_*`` keys, ``Xval``, an MNIST
    ``t10k-*`` file, a ``test/`` sub-folder) or else from a sibling file whose
    name has ``test`` in place of ``train`` (``train_catvnoncat.h5`` ->
    ``test_catvnoncat.h5``).
    """
    p = Path(path)
    train = load_dataset(p, "train", **kwargs)
    try:
        test: Dataset | None = load_dataset(p, "test", **kwargs)
    except _NoSplit:
        test = None
    if test is not None and test.source == train.source and _same(test, train):
        test = None  # a file holding a single set gave it for both splits
    if test is None:
        sib = _sibling_test(p)
        if sib is not None:
            test = load_dataset(sib, "train", **kwargs)
    return train, test


def _same(a: Dataset, b: Dataset) -> bool:
    return a.x is b.x or (a.x.shape == b.x.shape and bool(numpy.array_equal(a.x, b.x)))
