"""Error analysis (Course 3), part one: the misclassified examples of a set and their
contact sheets (the notes' ~100 mislabeled dev examples to look at by hand)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.backend import to_numpy
from glassnet.core.errors import GlassnetError

#: columns of the tag sheet that are not tags
FIXED_COLUMNS = ("index", "true", "predicted", "confidence", "comments")


DEFAULT_TAGS = ("mislabeled", "blurry")


#: cell values that mean "not tagged" (anything else non-empty means tagged: 1, x, yes ...)
FALSE_VALUES = frozenset({"", "0", "no", "n", "false", "f", "-"})


SPLITS = ("train", "train_dev", "dev", "test")


@dataclass
class Misclassified:
    """The misclassified examples of a set, most confident mistakes first.

    ``indices`` are positions in the set; ``confidence`` is the probability
    the model gave to the (wrong) class it predicted; ``m`` is the set's size.
    """

    indices: numpy.ndarray
    true: numpy.ndarray
    predicted: numpy.ndarray
    confidence: numpy.ndarray
    m: int
    classes: list[str] | None = None

    @property
    def n_errors(self) -> int:
        return int(self.indices.size)

    @property
    def error_rate(self) -> float:
        """E = (number misclassified) / m."""
        return self.n_errors / self.m if self.m else 0.0

    def label(self, c: int) -> str:
        if self.classes is not None and 0 <= int(c) < len(self.classes):
            return str(self.classes[int(c)])
        return str(int(c))


def find_errors(model: Any, X: Any, y: Any, classes: Sequence[str] | None = None) -> Misclassified:
    """The examples of (X, y) that a binary or multiclass ``model`` gets wrong.

    ``X`` is the model's input (``(n_x, m)`` or ``(m, n_H, n_W, n_C)``), ``y``
    the class indices ``(m,)``.  For a sigmoid output the prediction is
    ``a > 0.5`` with confidence ``max(a, 1 - a)``; for softmax ``argmax_c a_c``
    with confidence ``max_c a_c``.
    """
    task = model.task
    if task not in ("binary", "multiclass"):
        raise GlassnetError(
            f"error analysis needs a binary or multiclass classifier; this model is {task}"
        )
    y = numpy.asarray(to_numpy(y))
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1:
        raise GlassnetError(f"labels: expected class indices of shape (m,), got {y.shape}")
    n_classes = 2 if task == "binary" else model.n_outputs
    if y.size and (
        not numpy.issubdtype(y.dtype, numpy.number)
        or (y != numpy.round(y)).any() or y.min() < 0 or y.max() >= n_classes
    ):
        raise GlassnetError(
            f"labels: this {task} model takes class indices 0..{n_classes - 1}, "
            f"got values in [{y.min()}, {y.max()}]"
        )
    A = numpy.asarray(to_numpy(model.predict_proba(X)), dtype=numpy.float64)
    m = A.shape[-1]
    if m != y.size:
        raise GlassnetError(f"the set has {m} examples but {y.size} labels")
    if task == "binary":
        p = A[0]
        pred = (p > 0.5).astype(numpy.int64)
        conf = numpy.where(pred == 1, p, 1.0 - p)
    else:
        pred = A.argmax(axis=0)
        conf = numpy.take_along_axis(A, pred[None, :], axis=0)[0]
    y = y.astype(numpy.int64)
    wrong = numpy.flatnonzero(pred != y)
    order = wrong[numpy.argsort(-conf[wrong], kind="stable")]
    return Misclassified(
        indices=order, true=y[order], predicted=pred[order], confidence=conf[order], m=int(m),
        classes=list(classes) if classes is not None else None,
    )


def _display_images(x: numpy.ndarray) -> numpy.ndarray | None:
    """(k, H, W, 3) floats in [0, 1] for display, or None when ``x`` is not images."""
    x = numpy.asarray(x)
    if x.ndim == 3:  # (k, H, W) grayscale
        x = x[..., None]
    if x.ndim != 4 or min(x.shape[1:3]) < 2:
        return None
    if x.shape[-1] in (3, 4):
        x = x[..., :3]
    else:
        x = x[..., :1]
    if x.dtype == numpy.uint8:
        img = x.astype(numpy.float64) / 255.0
    else:  # min-max per image
        img = x.astype(numpy.float64)
        lo = img.min(axis=(1, 2, 3), keepdims=True)
        hi = img.max(axis=(1, 2, 3), keepdims=True)
        img = (img - lo) / numpy.where(hi > lo, hi - lo, 1.0)
    if img.shape[-1] == 1:
        img = numpy.repeat(img, 3, axis=-1)
    return numpy.clip(img, 0.0, 1.0)


def _mosaic(img: numpy.ndarray, columns: int, band: int, gap: int) -> numpy.ndarray:
    """Tile k images (k, H, W, 3) into rows of ``columns`` with a text band above each."""
    k, H, W, _ = img.shape
    rows = -(-k // columns)
    cells = numpy.ones((rows * columns, band + H + gap, W + gap, 3))
    cells[:k, band:band + H, :W] = img
    grid = cells.reshape(rows, columns, band + H + gap, W + gap, 3)
    return grid.transpose(0, 2, 1, 3, 4).reshape(rows * (band + H + gap), columns * (W + gap), 3)


def contact_sheet(
    images: numpy.ndarray, titles: Sequence[str], path: str | Path, columns: int = 10,
    heading: str = "",
) -> Path:
    """One PNG of ``images`` (k, H, W, 3) in [0, 1], each under its title (3 short lines)."""
    from glassnet.project.plots import _pyplot, save_figure

    plt = _pyplot()
    k, H, W, _ = images.shape
    columns = max(1, min(columns, k))
    band, gap = max(3, int(round(0.42 * H))), max(1, W // 16)
    sheet = _mosaic(images, columns, band, gap)
    tile_in = 1.5  # inches per tile
    fig_w = columns * tile_in
    fig_h = fig_w * sheet.shape[0] / sheet.shape[1]
    fig = plt.figure(figsize=(fig_w, fig_h))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(sheet, interpolation="nearest")
    ax.set_axis_off()
    cell_h, cell_w = band + H + gap, W + gap
    for i, title in enumerate(titles):
        r, c = divmod(i, columns)
        ax.text(c * cell_w + W / 2, r * cell_h + band - 0.5, title, ha="center", va="bottom",
                fontsize=8, linespacing=1.1, family="monospace")
    if heading:
        ax.set_title(heading, fontsize=10, pad=4)
    return save_figure(fig, path, dpi=100)


def write_contact_sheets(
    x: numpy.ndarray, errors: Misclassified, out_dir: str | Path, per_page: int = 50,
    max_images: int | None = 200, columns: int = 10, stem: str = "errors_sheet",
) -> list[Path]:
    """Contact sheets of the misclassified examples (raw ``x`` (m, H, W, C)), in pages.

    Each tile reads ``#index``, the true label, the predicted label and its
    confidence.  Returns the PNG paths; an empty list when ``x`` is not images.
    """
    if per_page < 1:
        raise GlassnetError(f"per_page must be >= 1, got {per_page}")
    n = errors.n_errors if max_images is None else min(errors.n_errors, int(max_images))
    if n == 0:
        return []
    img = _display_images(numpy.asarray(x)[errors.indices[:n]])
    if img is None:
        return []
    titles = [
        f"#{int(i)}\ntrue: {errors.label(t)[:12]}\npred: {errors.label(p)[:8]} {c:.0%}"
        for i, t, p, c in zip(errors.indices[:n], errors.true[:n], errors.predicted[:n],
                              errors.confidence[:n], strict=True)
    ]
    pages = -(-n // per_page)
    paths = []
    for page in range(pages):
        sl = slice(page * per_page, (page + 1) * per_page)
        name = f"{stem}.png" if pages == 1 else f"{stem}_{page + 1}.png"
        heading = (f"{errors.n_errors} misclassified of {errors.m} (error {errors.error_rate:.2%})"
                   + (f", page {page + 1}/{pages}" if pages > 1 else "")
                   + "; most confident mistakes first")
        paths.append(contact_sheet(img[sl], titles[sl], Path(out_dir) / name, columns, heading))
    return paths
