"""Helpers shared by the example scripts: data loading, accuracy, plots, results files.

The scripts are run as ``python examples/NAME.py [--out DIR]``; this folder is then
on ``sys.path`` so ``import _common`` finds this file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from glassnet.data import (
    Standardizer,
    digits,
    flatten_images,
    load_train_test,
    shared_data_path,
    train_dev_test_split,
)


def parse_args(name: str, description: str, extra: Callable[[Any], None] | None = None) -> Any:
    """``--out DIR`` (default ``runs/examples/NAME``) plus the script's own options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs") / "examples" / name,
        help="folder for the plots and results.json (default: %(default)s)",
    )
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def require_shared(name: str) -> Path:
    """The shared data file ``name``, or exit with a clear message when it is missing."""
    path = shared_data_path(name)
    if path is None:
        sys.exit(f"{name}: not found; put the shared data in ../shared/data or set GLASSNET_DATA")
    return path


def load_cat() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The cat vs non-cat files, flattened to (12288, m) and scaled /255 in float64."""
    train, test = load_train_test(require_shared("train_catvnoncat.h5"))
    assert test is not None
    X = flatten_images(train.x).astype(np.float64) / 255.0
    X_test = flatten_images(test.x).astype(np.float64) / 255.0
    return X, train.y.reshape(1, -1), X_test, test.y.reshape(1, -1)


def digits_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's digits as (64, m) columns: an 80/20 split with seed 0, standardized with
    the training part's mean and standard deviation (reused for the test part)."""
    d = digits()
    (x_tr, y_tr), _, (x_te, y_te) = train_dev_test_split(d.x, d.y, (0.8, 0.0, 0.2), seed=0)
    X, X_test = flatten_images(x_tr), flatten_images(x_te)
    scaler = Standardizer().fit(X)
    return scaler.transform(X), y_tr, scaler.transform(X_test), y_te


def accuracy(model: Any, X: Any, Y: Any) -> float:
    """Percentage of examples whose prediction equals the label (``Y`` as (1, m) labels)."""
    return float(np.mean(np.asarray(model.predict(X)) == np.asarray(Y).reshape(1, -1)) * 100.0)


class Timer:
    """``with Timer() as t: ...``; then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def plot_costs(curves: dict[str, dict[int, float]], path: Path, title: str, xlabel: str) -> None:
    """One line per run: cost against iteration (or epoch)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, costs in curves.items():
        xs = sorted(costs)
        ax.plot(xs, [costs[x] for x in xs], label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    ax.set_title(title)
    if len(curves) > 1:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def decision_boundary(ax: Any, model: Any, X: np.ndarray, Y: np.ndarray, title: str) -> None:
    """Shade the model's predicted class over a grid around the 2-D points X (2, m)."""
    pad = 1.0
    x_min, x_max = X[0].min() - pad, X[0].max() + pad
    y_min, y_max = X[1].min() - pad, X[1].max() + pad
    h = (max(x_max - x_min, y_max - y_min)) / 300.0
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    grid = np.stack([xx.ravel(), yy.ravel()])  # (2, n_points): examples as columns
    Z = np.asarray(model.predict(grid)).reshape(xx.shape)
    ax.contourf(xx, yy, Z, cmap=plt.cm.Spectral, alpha=0.8)
    ax.scatter(X[0], X[1], c=np.asarray(Y).ravel(), cmap=plt.cm.Spectral, s=12, edgecolors="k",
               linewidths=0.3)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def save_boundary(model: Any, X: np.ndarray, Y: np.ndarray, path: Path, title: str) -> None:
    """A single decision-boundary plot written to ``path``."""
    fig, ax = plt.subplots(figsize=(5, 4))
    decision_boundary(ax, model, X, Y, title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_results(out: Path, results: dict[str, Any]) -> None:
    """results.json in ``out``, and where it went."""
    path = out / "results.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"results: {path}")


def row(label: str, train: float, test: float | None = None, published: str = "") -> str:
    """One line of a results table."""
    test_s = f"{test:7.2f}%" if test is not None else "      -"
    pub = f"   (published: {published})" if published else ""
    return f"{label:<28} train {train:7.2f}%   test {test_s}{pub}"
