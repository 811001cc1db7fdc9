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
examples, ``x``/``y`` length mismatch, NaN or inf, damage of any kind) raise
:class:`DataError` (a :class:`~glassnet.core.errors.GlassnetError`), whose one-line
message names the file and the problem; sizes a file declares are checked against
the memory budget before anything is allocated (:class:`MemoryBudgetError`).

    >>> from glassnet.data import load_dataset, load_train_test
    >>> train = load_dataset("train_catvnoncat.h5")          # x (209, 64, 64, 3) uint8
    >>> train, test = load_train_test("signs_64x64_cs230.npz")
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy

from glassnet.data.formats import (
    _class_dirs,
    load_csv,
    load_h5,
    load_image_folder,
    load_mat,
    load_npz,
)
from glassnet.data.idx import _is_idx_name, _labels_beside, _mnist_pair_in, load_mnist
from glassnet.data.records import DataError, Dataset, PathLike, _NoSplit

#: the loader options each format takes (any other raises DataError naming it)
FORMAT_OPTIONS: dict[str, tuple[str, ...]] = {
    "csv": ("label_column", "features", "delimiter", "header"),
    "image folder": ("size", "grayscale"),
}
_FORMAT_NAMES = {".h5": "HDF5", ".hdf5": "HDF5", ".he5": "HDF5", ".npz": "npz", ".mat": "mat",
                 ".csv": "csv", ".tsv": "csv", ".txt": "csv"}


def _formats() -> str:
    return ".h5/.hdf5, .npz, .csv/.tsv, .mat, IDX (*-idx3-ubyte[.gz]), or a folder"


def dataset_format(path: PathLike) -> str:
    """What :func:`load_dataset` reads ``path`` as: ``"csv"``, ``"image folder"``,
    ``"MNIST folder"``, ``"IDX"``, ``"HDF5"``, ``"npz"``, ``"mat"`` or ``"unknown"``
    (from the name and, for a folder, what it holds; no file is opened)."""
    p = Path(path)
    if p.is_dir():
        has_mnist = any(_mnist_pair_in(p, s) for s in ("train", "test"))
        return "MNIST folder" if has_mnist else "image folder"
    if _is_idx_name(p) and p.suffix.lower() not in _FORMAT_NAMES:
        return "IDX"
    return _FORMAT_NAMES.get(p.suffix.lower(), "unknown")


def _check_options(p: Path, kwargs: dict[str, Any]) -> None:
    fmt = dataset_format(p)
    allowed = FORMAT_OPTIONS.get(fmt, ())
    for key in kwargs:
        if key not in allowed:
            takers = [f for f, opts in FORMAT_OPTIONS.items() if key in opts]
            where = f"{' or '.join(takers)} data" if takers else "no format"
            raise DataError(f"{p}: the option {key}= applies to {where}, not to "
                            f"{'this ' + fmt if fmt != 'unknown' else 'this file'}")


def load_dataset(path: PathLike, split: str = "train", **kwargs: Any) -> Dataset:
    """Load ``split`` of the dataset at ``path``, dispatching on its suffix.

    ``.h5``/``.hdf5`` -> :func:`load_h5`; ``.npz`` -> :func:`load_npz`;
    ``.csv``/``.tsv`` -> :func:`load_csv`; ``.mat`` -> :func:`load_mat`;
    ``*-images-idx3-ubyte[.gz]`` -> :func:`load_mnist` with the labels file beside
    it; a folder -> MNIST files in it, ``<folder>/<split>/<class>/`` image
    folders, or ``<folder>/<class>/`` image folders.  Files holding both splits
    return the test part for ``split="test"``; a file holding one set returns it
    for ``split="train"``.  ``kwargs`` go to the loader: ``label_column=``,
    ``features=``, ``delimiter=``, ``header=`` for a CSV; ``size=``, ``grayscale=``
    for an image folder; an option the format does not take raises DataError.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file or folder")
    _check_options(p, kwargs)
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
    if dataset_format(p) == "image folder" and kwargs.get("size") is None:
        kwargs = {**kwargs, "size": tuple(train.x.shape[1:3])}  # the test part like the train
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
