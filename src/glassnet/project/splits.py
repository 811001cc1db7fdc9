"""A run's data: the train / dev / train-dev / test splits of the configured files, and the
task and number of outputs their labels call for.

The hold-outs depend on ``split_seed`` only.  Each draws one permutation of the rows; for
class labels the hold-out keeps every class's share (stratified: class c with n_c of the
n rows gets n_c * n_held / n of the held-out rows, rounded by largest remainder), taking
each class's rows in the permutation's order.  The split is recorded
(:attr:`Splits.record`, saved in the model's metadata), so ``glassnet evaluate`` can find
the held-out test rows of the training file again (:func:`test_part_of`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy

from glassnet.core.errors import GlassnetError, LabelError
from glassnet.core.limits import check_size
from glassnet.project.config_checks import ConfigError

if TYPE_CHECKING:
    from glassnet.data.records import Dataset
    from glassnet.project.config import RunConfig

#: integer labels are taken as classes only with at least this many rows per value on average
MIN_ROWS_PER_CLASS = 5
#: ... unless there are at most this many values (a small set of integers reads as classes)
FEW_CLASSES = 10


@dataclass
class Splits:
    """The data of a run, examples first, with the class names and the split's record."""

    train: tuple[numpy.ndarray, numpy.ndarray]
    test: tuple[numpy.ndarray, numpy.ndarray] | None
    dev: tuple[numpy.ndarray, numpy.ndarray] | None = None
    train_dev: tuple[numpy.ndarray, numpy.ndarray] | None = None
    classes: list[str] | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)


def _take(
    x: numpy.ndarray, y: numpy.ndarray, idx: numpy.ndarray
) -> tuple[numpy.ndarray, numpy.ndarray]:
    return x[idx], y[idx]


def strata_of(
    y: numpy.ndarray, classes: list[str] | None, task: str | None
) -> numpy.ndarray | None:
    """The class labels ``(m,)`` to stratify by, or None (regression, multi-label, values)."""
    y = numpy.asarray(y)
    if task in ("regression", "multilabel") or y.ndim != 1:
        return None
    if classes is not None or numpy.issubdtype(y.dtype, numpy.integer):
        return y.astype(numpy.int64)
    if numpy.issubdtype(y.dtype, numpy.floating) and numpy.array_equal(y, numpy.round(y)):
        return y.astype(numpy.int64)
    return None


def _quotas(counts: numpy.ndarray, n_held: int) -> numpy.ndarray:
    """Rows to hold out per class: ``counts * n_held / n`` by largest remainder (sums to
    ``n_held``; ties go to the earlier class)."""
    exact = counts * (n_held / counts.sum())
    quotas = numpy.floor(exact).astype(numpy.int64)
    left = n_held - int(quotas.sum())
    if left > 0:
        order = numpy.argsort(-(exact - quotas), kind="stable")
        quotas[order[:left]] += 1
    return numpy.minimum(quotas, counts)


def held_out(
    n: int, fraction: float, rng: numpy.random.Generator, strata: numpy.ndarray | None = None,
    minimum: int = 0,
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(held-out, remaining) row indices: ``max(minimum, round(fraction * n))`` rows, in the
    order of one permutation; stratified by ``strata`` (one label per row) when given."""
    order = rng.permutation(n)
    n_held = min(n, max(minimum, int(round(fraction * n))))
    if strata is None or n_held == 0:
        return order[:n_held], order[n_held:]
    s = numpy.asarray(strata)[order]
    _, inverse, counts = numpy.unique(s, return_inverse=True, return_counts=True)
    grouped = numpy.argsort(inverse, kind="stable")  # positions, class by class, in order
    starts = numpy.concatenate([[0], numpy.cumsum(counts)[:-1]])
    rank = numpy.empty(n, dtype=numpy.int64)  # a position's rank among its class's positions
    rank[grouped] = numpy.arange(n) - numpy.repeat(starts, counts)
    chosen = rank < _quotas(counts, n_held)[inverse]
    return order[chosen], order[~chosen]


def fingerprint(x: numpy.ndarray, y: numpy.ndarray) -> str:
    """A SHA-256 of the examples and labels (shapes, types and bytes): the same data?"""
    h = hashlib.sha256()
    for a in (numpy.ascontiguousarray(x), numpy.ascontiguousarray(y)):
        h.update(f"{a.shape}{a.dtype.str}".encode())
        h.update(a.data)
    return h.hexdigest()


def load_splits(cfg: RunConfig) -> Splits:
    """Train/test (+ dev and train-dev held out of train) as configured."""
    from glassnet.data import digits, load_dataset, load_train_test
    from glassnet.project.loader_options import loader_options

    options = loader_options(cfg, cfg.data)
    if cfg.data is None:
        ds, test = digits(), None
    else:
        ds, test = load_train_test(cfg.data, **options)
    if cfg.test_data is not None:
        test = load_dataset(cfg.test_data, "train", **loader_options(cfg, cfg.test_data, ds))
    x, y = ds.x, ds.y
    strata = strata_of(y, ds.classes, cfg.task)
    # the held-out sets depend on split_seed only, so runs with other seeds compare fairly
    rng = numpy.random.default_rng(cfg.split_seed)
    notes = list(ds.notes)  # what the loader chose: the CSV's label column, the images' size
    record: dict[str, Any] = {
        "data": cfg.data, "data_path": str(Path(cfg.data).resolve()) if cfg.data else None,
        "test_data": cfg.test_data, "test_given": test is not None, "n_rows": int(len(x)),
        "fingerprint": fingerprint(x, y), "split_seed": cfg.split_seed,
        "test_fraction": cfg.test_fraction, "dev_fraction": cfg.dev_fraction,
        "train_dev_fraction": cfg.train_dev_fraction, "stratified": strata is not None,
        "loader": _as_recorded(options, ds, cfg.data),
    }
    test_xy = (test.x, test.y) if test is not None else None
    if test is None:
        held, rest = held_out(len(x), cfg.test_fraction, rng, strata)
        if len(held) > 0:
            test_xy = _take(x, y, held)
            x, y = _take(x, y, rest)
            strata = strata[rest] if strata is not None else None
            how = ", stratified by class" if strata is not None else ""
            notes.append(f"no test set given: held out {len(held)} of {record['n_rows']} "
                         f"examples ({cfg.test_fraction:.0%}{how})")
    record["n_test"] = int(len(test_xy[0])) if test_xy is not None else 0
    splits = Splits((x, y), test_xy, classes=ds.classes, source=ds.source, notes=notes,
                    record=record)
    for key in ("train_dev_fraction", "dev_fraction"):
        frac = getattr(cfg, key)
        if frac > 0:
            tx, ty = splits.train
            held, rest = held_out(len(tx), frac, rng, strata, minimum=1)
            strata = strata[rest] if strata is not None else None
            splits.train = _take(tx, ty, rest)
            if key == "dev_fraction":
                splits.dev = _take(tx, ty, held)
            else:
                splits.train_dev = _take(tx, ty, held)
    if len(splits.train[0]) == 0:
        raise GlassnetError(f"{splits.source}: the training set is empty")
    return splits


def test_part_of(ds: Dataset, record: dict[str, Any]) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(test rows, other rows) of the training file ``ds`` as the run recorded in ``record``
    split it (the same permutation and strata); the file must be the one trained on."""
    strata = numpy.asarray(ds.y).astype(numpy.int64) if record.get("stratified") else None
    rng = numpy.random.default_rng(int(record["split_seed"]))
    return held_out(len(ds.x), float(record["test_fraction"]), rng, strata)


def _why_all_rows(ds: Dataset, data: str, record: dict[str, Any]) -> str | None:
    """Why the run's held-out test rows cannot be picked out of ``ds``; None when they can."""
    if not record:
        return "the model does not record its split"
    if record.get("fingerprint") != fingerprint(ds.x, ds.y):
        if record.get("data_path") == str(Path(data).resolve()):
            return "the file changed since the model was trained on it"
        return "not the file the model was trained on"
    if record.get("test_given"):
        tested_on = record.get("test_data") or "the file's test part"
        return f"the run was tested on {tested_on}; these are its training rows"
    if not record.get("n_test"):
        return "the run held out no test rows"
    return None


def _as_recorded(options: dict[str, Any], ds: Any, path: str | None) -> dict[str, Any]:
    """The loader's options as JSON (what evaluate reads the file with); for an image
    folder, the size and channels the run read it at."""
    from glassnet.data.loaders import dataset_format

    out = {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}
    if path is not None and dataset_format(path) == "image folder" and ds.x.ndim == 4:
        out["size"] = [int(d) for d in ds.x.shape[1:3]]
        out["grayscale"] = bool(ds.x.shape[3] == 1)
    return out


def _reading(data: str, record: dict[str, Any]) -> dict[str, Any]:
    """The run's loader options that apply to file ``data`` (its CSV label and feature
    columns, its image size and channels), for reading it as the run read its data."""
    from glassnet.data.loaders import FORMAT_OPTIONS, dataset_format

    taken = FORMAT_OPTIONS.get(dataset_format(data), ())
    options = {k: v for k, v in (record.get("loader") or {}).items() if k in taken}
    if "size" in options:
        options["size"] = tuple(options["size"])
    return options


def evaluation_rows(data: str, split: str | None, record: dict[str, Any] | None) -> tuple[
        numpy.ndarray, numpy.ndarray, str]:
    """(x, y, what they are) of the rows ``glassnet evaluate`` scores in file ``data``.

    ``split`` None or ``"test"``: the file's test part, or, for the file a run trained on
    with a held-out test set (``record``, the model's ``metadata["split"]``), those held-out
    rows (the same split recomputed); None on any other single-set file: all its rows, saying
    why.  ``"all"``: every row (train and test parts together).  ``"train"``, ``"dev"``, ...:
    that part of the file; ``"train"`` of the run's own file: the rows outside its test part.
    """
    from glassnet.data import load_dataset, load_train_test

    record = record or {}
    options = _reading(data, record)
    if split == "all":
        train, test = load_train_test(data, **options)
        parts = [train] + ([test] if test is not None else [])
        if any(p.x.shape[1:] != train.x.shape[1:] for p in parts):
            raise GlassnetError(f"{data}: its train and test parts have examples of other shapes")
        x = numpy.concatenate([p.x for p in parts]) if len(parts) > 1 else train.x
        y = numpy.concatenate([p.y for p in parts]) if len(parts) > 1 else train.y
        return x, y, f"all {len(x)} rows"
    if split not in (None, "test"):
        ds = load_dataset(data, split, **options)
        if split == "train" and _why_all_rows(ds, data, record) is None:
            test_idx, rest = test_part_of(ds, record)
            return ds.x[rest], ds.y[rest], (f"rows outside the held-out test part: {len(rest)} "
                                            f"of {len(ds.x)} rows")
        return ds.x, ds.y, f"{split} part: {len(ds.x)} rows"
    train, test = load_train_test(data, **options)
    if test is not None:
        beside = f" ({test.source})" if Path(test.source) != Path(data) else ""
        return test.x, test.y, f"test part{beside}: {len(test.x)} rows"
    why = _why_all_rows(train, data, record)
    if why is None:
        test_idx, _ = test_part_of(train, record)
        return (train.x[test_idx], train.y[test_idx],
                f"held-out test part: {len(test_idx)} of {len(train.x)} rows")
    if split == "test":
        raise GlassnetError(f"{data}: no test part to score ({why}); pass --split all to score "
                            "all its rows")
    return train.x, train.y, f"all {len(train.x)} rows ({why})"


def _refuse(reason: str, n_classes: int, classes: str = "") -> ConfigError:
    classes = classes or f"--task multiclass for a {n_classes}-class classifier"
    return ConfigError(
        "task", f"task: cannot tell from the labels: {reason}; pass --task regression to "
        f"predict the value, or {classes}")


def _check_class_labels(y: numpy.ndarray) -> None:
    """Refuse integer labels (task not given) that do not read as class indices 0..C-1."""
    values, counts = numpy.unique(y, return_counts=True)
    lo, hi, k, m = int(values[0]), int(values[-1]), len(values), len(y)
    span = f"{k} distinct integers from {lo} to {hi} in {m} rows"
    if lo < 0:
        raise _refuse(f"{span} include negative values, which are not class indices", k,
                      f"renumber the {k} classes 0..{k - 1} for a classifier")
    if k > 2 and hi + 1 > 2 * k:
        raise _refuse(f"{span} leave most of the {hi + 1} class indices 0..{hi} unused, "
                      "so they are not class indices 0..C-1", hi + 1,
                      f"renumber the {k} classes 0..{k - 1} for a classifier")
    if k > FEW_CLASSES and m < MIN_ROWS_PER_CLASS * k:
        raise _refuse(f"{span} ({m / k:.1f} rows per value; classes need at least "
                      f"{MIN_ROWS_PER_CLASS} on average) look like a quantity, not classes",
                      hi + 1)


def infer_task(y: numpy.ndarray, classes: list[str] | None, task: str | None) -> tuple[str, int]:
    """(task, number of outputs) from the labels: 2 classes -> binary, C -> multiclass,
    non-integer values -> regression.

    Without ``task``, integer labels must read as class indices 0..C-1 (none negative, at
    most half of 0..max unused, at least ``MIN_ROWS_PER_CLASS`` rows per value when there
    are more than ``FEW_CLASSES`` values), else a ConfigError naming ``task`` asks for it.
    A class count too large for the memory budget is refused before anything is allocated.
    """
    y = numpy.asarray(y)
    if y.size == 0:
        raise LabelError("labels: the label set is empty")
    if task == "regression" or (
        task is None
        and numpy.issubdtype(y.dtype, numpy.floating)
        and not numpy.array_equal(y, numpy.round(y))
    ):
        return "regression", 1 if y.ndim == 1 else y.shape[1]
    if y.ndim == 2:
        if task in (None, "multilabel"):
            return "multilabel", y.shape[1]
        return task, y.shape[1]
    if task is None and not classes:
        _check_class_labels(y)
    n_classes = len(classes) if classes else int(y.max()) + 1
    n_classes = max(n_classes, int(y.max()) + 1)
    # the one-hot labels (C, m) and an output layer of C units: refuse an absurd C up front
    check_size(8.0 * n_classes * (len(y) + 64), f"labels: {n_classes} classes (largest label "
               f"{int(y.max())}) for {len(y)} examples")
    if task is None:
        task = "binary" if n_classes <= 2 else "multiclass"
    if task == "binary":
        if n_classes > 2 and int(y.max()) > 1:
            raise LabelError(f"labels: a binary model takes labels 0 and 1, got a {int(y.max())}")
        return "binary", 1
    return task, n_classes
