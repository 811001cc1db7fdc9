"""A loaded dataset (examples first) and the checks every loader applies to its file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.errors import GlassnetError

# split name -> the key prefixes that hold it, in order of preference
_SPLIT_ALIASES: dict[str, tuple[str, ...]] = {
    "train": ("train", "training"),
    "test": ("test", "t10k", "val", "valid", "validation"),
    "dev": ("dev", "val", "valid", "validation"),
    "val": ("val", "valid", "validation", "dev"),
}

#: the most classes a label file may imply (a label value of 400,000,000 is damage, not a class)
MAX_CLASSES = 100_000

PathLike = str | Path


IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm")


class DataError(GlassnetError, ValueError):
    """A dataset file that cannot be loaded as claimed (the message names the file)."""


class _NoSplit(DataError):
    """The file is fine but holds no part for the split asked for."""


@dataclass
class Dataset:
    """Examples first: ``x`` ``(m, ...)``, ``y`` ``(m,)`` or ``(m, k)``.

    ``classes[c]`` is the name of integer label ``c`` (None when unknown);
    ``source`` is the file or folder the data came from; ``notes`` say what the
    loader chose (the CSV's label column, the images' size), one line each.
    """

    x: numpy.ndarray
    y: numpy.ndarray
    classes: list[str] | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)

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


def _classes_from(value: Any, source: Path | str = "", what: str = "classes") -> list[str]:
    """A 1-D array / list of class names (str, bytes as UTF-8, or numbers) -> ``list[str]``.

    Anything else (nested lists, structs, more than :data:`MAX_CLASSES` names, bytes
    that are not UTF-8) raises :class:`DataError` naming ``source`` and ``what``.
    """
    where = f"{source}: {what}"
    try:
        arr = numpy.asarray(value)
    except (ValueError, TypeError):
        raise DataError(f"{where} is not a list of class names") from None
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise DataError(f"{where} must be a 1-D list of names, got shape {arr.shape}")
    if arr.size > MAX_CLASSES:
        raise DataError(f"{where} holds {arr.size} names, over the limit of {MAX_CLASSES} classes")
    if arr.dtype.kind not in "SUiuf" and not (arr.dtype.kind == "O" and all(
            isinstance(v, str | bytes | int | float) and not isinstance(v, bool)
            for v in arr.tolist())):
        raise DataError(f"{where} must hold strings or numbers, got {arr.dtype} values")
    names = []
    for v in arr.tolist():
        if isinstance(v, bytes):
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError:
                raise DataError(f"{where} holds a name that is not UTF-8: {v[:20]!r}") from None
        names.append(str(v))
    return names


def _check_class_count(y: numpy.ndarray, source: Path | str) -> None:
    """Integer labels whose largest value implies over :data:`MAX_CLASSES` classes -> DataError."""
    if y.size and numpy.issubdtype(y.dtype, numpy.integer):
        hi = int(y.max())
        if hi >= MAX_CLASSES:
            raise DataError(f"{source}: label {hi} would mean {hi + 1} classes, over the limit "
                            f"of {MAX_CLASSES} (a damaged labels file?)")


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
        if numpy.issubdtype(a.dtype, numpy.complexfloating):
            raise DataError(f"{where}: {name} has complex dtype {a.dtype}, expected real numbers")
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
