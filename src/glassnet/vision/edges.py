"""Edge detection with the notes' filters (Course 4, week 1), through :class:`Conv2D`.

The vertical edge filter and its refinements (the notes)::

    vertical        Sobel           Scharr
    [1  0  -1]      [1  0  -1]      [ 3  0   -3]
    [1  0  -1]      [2  0  -2]      [10  0  -10]
    [1  0  -1]      [1  0  -1]      [ 3  0   -3]

A horizontal filter is the transpose.  On an image that is bright on the left and dark on
the right, the vertical filter gives a large positive response along the boundary
(6 x 6 * 3 x 3 -> 4 x 4, a bright band in the middle) and 0 on flat regions; as in deep
learning, "convolution" here is cross-correlation (no filter flip).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy

from glassnet.core.backend import get_xp, to_numpy
from glassnet.layers.conv.conv import Conv2D
from glassnet.layers.conv.geometry import Padding

_VERTICAL = {
    "vertical": [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
    "sobel": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "scharr": [[3, 0, -3], [10, 0, -10], [3, 0, -3]],
}

#: every named filter: vertical, horizontal, sobel (vertical), sobel_horizontal, ...
FILTERS: dict[str, numpy.ndarray] = {}
for _name, _rows in _VERTICAL.items():
    _v = numpy.array(_rows, dtype=numpy.float64)
    FILTERS[_name] = _v
    FILTERS["horizontal" if _name == "vertical" else f"{_name}_horizontal"] = _v.T.copy()
FILTERS["sobel_vertical"] = FILTERS["sobel"]
FILTERS["scharr_vertical"] = FILTERS["scharr"]


def edge_filter(name: str) -> numpy.ndarray:
    """The 3 x 3 filter called ``name`` (vertical, horizontal, sobel, sobel_horizontal,
    scharr, scharr_horizontal)."""
    key = name.lower().replace("-", "_")
    if key not in FILTERS:
        raise ValueError(f"unknown edge filter {name!r}: expected one of {', '.join(FILTERS)}")
    return FILTERS[key].copy()


def to_grayscale(image: Any) -> numpy.ndarray:
    """(n_H, n_W, 3) RGB or (n_H, n_W) -> (n_H, n_W) float64 in the input's scale
    (luma 0.299 R + 0.587 G + 0.114 B)."""
    img = numpy.asarray(image, dtype=numpy.float64)
    if img.ndim == 2:
        return img
    if img.ndim == 3 and img.shape[-1] == 1:
        return img[..., 0]
    if img.ndim == 3 and img.shape[-1] in (3, 4):
        return img[..., :3] @ numpy.array([0.299, 0.587, 0.114])
    raise ValueError(f"expected a (n_H, n_W) or (n_H, n_W, 3) image, got shape {img.shape}")


def detect_edges(image: Any, filter: str | Any = "vertical", padding: Padding = "valid",
                 stride: int = 1) -> numpy.ndarray:
    """Convolve a gray image with an edge filter through a :class:`Conv2D` layer.

    ``image``: (n_H, n_W) or (n_H, n_W, C) (colour is converted to gray) or a batch
    (m, n_H, n_W, 1); ``filter``: a name from :data:`FILTERS` or an (f, f) array.
    Returns (n_H', n_W') (or (m, n_H', n_W')) with n' = floor((n + 2p - f)/s) + 1.
    """
    xp = get_xp()
    F = edge_filter(filter) if isinstance(filter, str) else numpy.asarray(filter, float)
    if F.ndim != 2 or F.shape[0] != F.shape[1]:
        raise ValueError(f"an edge filter is a square (f, f) array, got shape {F.shape}")
    arr = numpy.asarray(to_numpy(image), dtype=numpy.float64)
    batch = arr.ndim == 4
    if batch:
        if arr.shape[-1] != 1:
            arr = numpy.stack([to_grayscale(a) for a in arr])[..., None]
        X = arr
    else:
        X = to_grayscale(arr)[None, :, :, None]
    conv = Conv2D(1, F.shape[0], stride=stride, padding=padding, use_bias=False)
    conv.build(X.shape[1:], numpy.random.default_rng(0), numpy.float64)
    conv.params["W"] = xp.asarray(F.reshape(F.shape[0], F.shape[1], 1, 1))
    out = to_numpy(conv.forward(xp.asarray(X)))[..., 0]
    return out if batch else out[0]


def load_example_image(size: int | None = 256) -> tuple[numpy.ndarray, str]:
    """A real RGB image (uint8) and its description: a cat from the course's cat/non-cat set
    when the shared data is present, else scikit-learn's bundled "china.jpg"."""
    try:
        from glassnet.data.datasets import shared_data_path

        path = shared_data_path("train_catvnoncat.h5")
    except ImportError:  # pragma: no cover - depends on the checkout
        path = None
    if path is not None and Path(path).exists():
        import h5py

        with h5py.File(path, "r") as f:
            x = numpy.asarray(f["train_set_x"])
            y = numpy.asarray(f["train_set_y"]).ravel()
        i = int(numpy.flatnonzero(y == 1)[0])
        return x[i], f"cat (train_catvnoncat.h5, example {i})"
    from sklearn.datasets import load_sample_image

    img = load_sample_image("china.jpg")
    if size is not None and max(img.shape[:2]) > size:
        from PIL import Image

        h, w = img.shape[:2]
        scale = size / max(h, w)
        img = numpy.asarray(Image.fromarray(img).resize((int(w * scale), int(h * scale))))
    return img, "scikit-learn sample image china.jpg"


def edge_figure(
    path: str | Path,
    image: Any | None = None,
    filters: tuple[str, ...] = ("vertical", "horizontal", "sobel", "scharr"),
    title: str | None = None,
) -> Path:
    """Save a PNG: the original image and its edge maps under each filter (magnitude of the
    vertical and horizontal responses for Sobel and Scharr; "valid" convolutions, so no
    border artefacts from zero padding)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if image is None:
        image, description = load_example_image()
    else:
        description = "image"
    img = numpy.asarray(image)
    gray = to_grayscale(img)
    if gray.max() > 1.5:
        gray = gray / 255.0
    panels: list[tuple[str, numpy.ndarray]] = []
    for name in filters:
        key = name.lower()
        if key in ("sobel", "scharr"):
            gx = detect_edges(gray, key, padding="valid")
            gy = detect_edges(gray, f"{key}_horizontal", padding="valid")
            panels.append((f"{key.capitalize()} |G|", numpy.hypot(gx, gy)))
        else:
            panels.append((key, numpy.abs(detect_edges(gray, key, padding="valid"))))
    n = 1 + len(panels)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.4))
    axes[0].imshow(img if img.ndim == 3 else gray, cmap=None if img.ndim == 3 else "gray")
    axes[0].set_title("original")
    for ax, (name, edges) in zip(axes[1:], panels, strict=True):
        ax.imshow(edges, cmap="gray")
        ax.set_title(name)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title or f"Edge detection ({description})")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(out)
    return out
