"""A run's data: the train / dev / train-dev / test splits of the configured files, and the
task and number of outputs their labels call for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy

from glassnet.core.errors import GlassnetError, LabelError

if TYPE_CHECKING:
    from glassnet.project.config import RunConfig


@dataclass
class Splits:
    """The data of a run, examples first, with the class names."""

    train: tuple[numpy.ndarray, numpy.ndarray]
    test: tuple[numpy.ndarray, numpy.ndarray] | None
    dev: tuple[numpy.ndarray, numpy.ndarray] | None = None
    train_dev: tuple[numpy.ndarray, numpy.ndarray] | None = None
    classes: list[str] | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)


def _take(
    x: numpy.ndarray, y: numpy.ndarray, idx: numpy.ndarray
) -> tuple[numpy.ndarray, numpy.ndarray]:
    return x[idx], y[idx]


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
    # the held-out sets depend on split_seed only, so runs with other seeds compare fairly
    rng = numpy.random.default_rng(cfg.split_seed)
    notes = list(ds.notes)  # what the loader chose: the CSV's label column, the images' size
    if test is None:
        order = rng.permutation(len(x))
        n_test = int(round(cfg.test_fraction * len(x)))
        if n_test > 0:
            test_xy = _take(x, y, order[:n_test])
            x, y = _take(x, y, order[n_test:])
            notes.append(
                f"no test set given: held out {n_test} examples ({cfg.test_fraction:.0%})"
            )
        else:
            test_xy = None
    else:
        test_xy = (test.x, test.y)
    splits = Splits((x, y), test_xy, classes=ds.classes, source=ds.source, notes=notes)
    for key in ("train_dev_fraction", "dev_fraction"):
        frac = getattr(cfg, key)
        if frac > 0:
            tx, ty = splits.train
            order = rng.permutation(len(tx))
            n = max(1, int(round(frac * len(tx))))
            held = _take(tx, ty, order[:n])
            splits.train = _take(tx, ty, order[n:])
            if key == "dev_fraction":
                splits.dev = held
            else:
                splits.train_dev = held
    if len(splits.train[0]) == 0:
        raise GlassnetError(f"{splits.source}: the training set is empty")
    return splits


def infer_task(y: numpy.ndarray, classes: list[str] | None, task: str | None) -> tuple[str, int]:
    """(task, number of outputs) from the labels: 2 classes -> binary, C -> multiclass."""
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
    n_classes = len(classes) if classes else int(y.max()) + 1
    n_classes = max(n_classes, int(y.max()) + 1)
    if task is None:
        task = "binary" if n_classes <= 2 else "multiclass"
    if task == "binary":
        if n_classes > 2 and int(y.max()) > 1:
            raise LabelError(f"labels: a binary model takes labels 0 and 1, got a {int(y.max())}")
        return "binary", 1
    return task, n_classes
