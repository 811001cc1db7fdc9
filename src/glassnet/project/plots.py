"""Plots people would rather look at than read: learning curves, decision boundaries.

Everything renders with matplotlib's Agg backend to PNG files (no screen needed)
and is written atomically.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.atomic import atomic_write_bytes


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | Path, dpi: int = 110) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    _pyplot().close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def learning_curve(history: Any, path: str | Path, title: str = "learning curve") -> Path:
    """Train cost (and dev cost, dev accuracy when measured) against the epoch."""
    plt = _pyplot()
    has_acc = bool(history.series("dev_accuracy")[0])
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(11 if has_acc else 6, 4))
    ax = axes[0] if has_acc else axes
    xs, ys = history.series("cost")
    if len(xs) > 2000:  # keep the figure light: the recorded points suffice
        xs, ys = zip(*sorted(history.costs.items()), strict=True)
    ax.plot(xs, ys, label="train cost")
    dx, dy = history.series("dev_cost")
    if dx:
        ax.plot(dx, dy, label="dev cost")
    ax.set_xlabel("epoch (iteration for batch gradient descent)")
    ax.set_ylabel("cost J")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    if has_acc:
        ax2 = axes[1]
        for key, label in (("train_accuracy", "train"), ("dev_accuracy", "dev")):
            x, y = history.series(key)
            if x:
                ax2.plot(x, y, label=label)
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("accuracy")
        ax2.legend()
        ax2.grid(alpha=0.3)
    return save_figure(fig, path)


def decision_boundary(
    predict: Callable[[numpy.ndarray], Any],
    X: numpy.ndarray,
    Y: numpy.ndarray,
    path: str | Path,
    title: str = "decision boundary",
    resolution: int = 300,
) -> Path:
    """Colour the plane by ``predict`` on a grid of points ``(2, k)``; draw the data (2, m)."""
    plt = _pyplot()
    X = numpy.asarray(X)
    x_min, x_max = X[0].min() - 1, X[0].max() + 1
    y_min, y_max = X[1].min() - 1, X[1].max() + 1
    xx, yy = numpy.meshgrid(
        numpy.linspace(x_min, x_max, resolution), numpy.linspace(y_min, y_max, resolution)
    )
    grid = numpy.stack([xx.ravel(), yy.ravel()])
    Z = numpy.asarray(predict(grid)).reshape(xx.shape)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.contourf(xx, yy, Z, cmap=plt.cm.Spectral, alpha=0.8)
    ax.scatter(X[0], X[1], c=numpy.asarray(Y).ravel(), cmap=plt.cm.Spectral, s=12, edgecolors="k",
               linewidths=0.3)
    ax.set_title(title)
    return save_figure(fig, path)
