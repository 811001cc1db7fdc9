"""Data augmentation (Course 2 regularization, Course 4 ConvNets): random transforms per mini-batch.

Every function takes a batch of images ``x`` ``(m, n_H, n_W, n_C)`` and a NumPy
``Generator`` (or an int seed), draws one random setting per example on the host,
and applies all of them at once (no loop over examples).  The same seed gives the
same batch on NumPy and CuPy.

Integer images (uint8 pixels) keep their dtype: additive transforms are rounded
and clipped to the dtype's range.  Float images are not clipped.

    >>> aug = Augmenter({"flip": True, "crop": 4, "noise": 0.01, "color_shift": 0.1})
    >>> rng = numpy.random.default_rng(0)
    >>> for X_batch, Y_batch in batches:
    ...     X_batch = aug(X_batch, rng)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy

from glassnet.core.backend import get_xp

__all__ = [
    "Augmenter",
    "color_shift",
    "gaussian_noise",
    "horizontal_flip",
    "random_crop",
]

Rng = numpy.random.Generator | int | None


def _rng(rng: Rng) -> numpy.random.Generator:
    return rng if isinstance(rng, numpy.random.Generator) else numpy.random.default_rng(rng)


def _check_images(x: Any, name: str) -> Any:
    xp = get_xp()
    x = xp.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{name} expects images (m, n_H, n_W, n_C), got shape {x.shape}")
    return x


def _float_dtype(x: Any) -> numpy.dtype:
    return numpy.dtype(x.dtype if numpy.issubdtype(x.dtype, numpy.floating) else numpy.float32)


def _restore(out: Any, like: Any) -> Any:
    """Back to ``like``'s dtype; integer images are rounded and clipped to their range."""
    if numpy.issubdtype(like.dtype, numpy.integer):
        xp = get_xp()
        info = numpy.iinfo(like.dtype)
        return xp.clip(xp.rint(out), info.min, info.max).astype(like.dtype)
    return out.astype(like.dtype, copy=False)


def horizontal_flip(x: Any, rng: Rng = None, p: float = 0.5) -> Any:
    """Mirror each image left-right with probability ``p``: ``x[i, :, ::-1, :]``."""
    xp = get_xp()
    x = _check_images(x, "horizontal_flip")
    flip = xp.asarray(_rng(rng).random(x.shape[0]) < p)  # (m,) one coin per example
    return xp.where(flip[:, None, None, None], x[:, :, ::-1, :], x)


def random_crop(x: Any, rng: Rng = None, padding: int = 4, mode: str = "constant") -> Any:
    """Pad by ``padding`` on each side (zeros, or ``mode="reflect"``/``"edge"``), then cut
    an ``n_H x n_W`` window at a random offset ``(oy, ox)`` in ``0..2*padding`` per example.

    Output pixel ``(i, h, w)`` is padded pixel ``(i, oy[i] + h, ox[i] + w)``: one
    gather for the whole batch (over a ``sliding_window_view`` of the padded batch,
    or fancy indexing where the namespace lacks it).
    """
    xp = get_xp()
    x = _check_images(x, "random_crop")
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    if padding == 0:
        return x
    m, n_H, n_W, _ = x.shape
    g = _rng(rng)
    oy = xp.asarray(g.integers(0, 2 * padding + 1, size=m))  # (m,)
    ox = xp.asarray(g.integers(0, 2 * padding + 1, size=m))  # (m,)
    pad = ((0, 0), (padding, padding), (padding, padding), (0, 0))
    padded = xp.pad(x, pad, mode=mode)  # (m, n_H + 2p, n_W + 2p, n_C)
    stride_tricks = getattr(getattr(xp, "lib", None), "stride_tricks", None)
    window_view = getattr(stride_tricks, "sliding_window_view", None)
    if window_view is not None:
        # every n_H x n_W window as a view: (m, 2p+1, 2p+1, n_C, n_H, n_W); pick one per example
        windows = window_view(padded, (n_H, n_W), axis=(1, 2))
        picked = windows[xp.arange(m), oy, ox]  # (m, n_C, n_H, n_W)
        return xp.ascontiguousarray(picked.transpose(0, 2, 3, 1))
    rows = oy[:, None] + xp.arange(n_H)[None, :]  # (m, n_H)
    cols = ox[:, None] + xp.arange(n_W)[None, :]  # (m, n_W)
    return padded[xp.arange(m)[:, None, None], rows[:, :, None], cols[:, None, :]]


def gaussian_noise(x: Any, rng: Rng = None, std: float = 0.01) -> Any:
    """``x + std * N(0, 1)``, independent per pixel and channel."""
    xp = get_xp()
    x = _check_images(x, "gaussian_noise")
    if std == 0:
        return x
    dt = _float_dtype(x)
    draw = dt if dt in (numpy.float32, numpy.float64) else numpy.dtype(numpy.float32)
    noise = xp.asarray(_rng(rng).standard_normal(x.shape, dtype=draw).astype(dt, copy=False))
    return _restore(x.astype(dt, copy=False) + dt.type(std) * noise, x)


def color_shift(x: Any, rng: Rng = None, max_shift: float = 0.1) -> Any:
    """Add a shift ``U(-max_shift, max_shift)`` per example and channel (Course 4's
    colour shifting): ``x[i, :, :, c] + s[i, c]``."""
    xp = get_xp()
    x = _check_images(x, "color_shift")
    if max_shift == 0:
        return x
    m, n_C = x.shape[0], x.shape[3]
    dt = _float_dtype(x)
    shift = _rng(rng).uniform(-max_shift, max_shift, size=(m, 1, 1, n_C)).astype(dt)
    return _restore(x.astype(dt, copy=False) + xp.asarray(shift), x)


_DEFAULTS: dict[str, Any] = {"flip": False, "crop": 0, "noise": 0.0, "color_shift": 0.0}


class Augmenter:
    """A random transform per mini-batch built from a config dict.

    Keys (all optional): ``flip`` (bool, or the flip probability), ``crop``
    (padding in pixels for :func:`random_crop`), ``color_shift`` (max shift),
    ``noise`` (Gaussian std).  Applied in that order: flip, crop, colour, noise.

        >>> Augmenter({"flip": True, "crop": 4, "noise": 0.01, "color_shift": 0.1})
    """

    def __init__(self, config: Mapping[str, Any] | None = None, **options: Any) -> None:
        merged = dict(config or {})
        merged.update(options)
        unknown = set(merged) - set(_DEFAULTS)
        if unknown:
            raise ValueError(
                f"unknown augmentation option(s) {sorted(unknown)}; known: {sorted(_DEFAULTS)}"
            )
        flip = merged.get("flip", False)
        self.flip: float = 0.5 if flip is True else float(flip or 0.0)
        self.crop = int(merged.get("crop", 0) or 0)
        self.noise = float(merged.get("noise", 0.0) or 0.0)
        self.color_shift = float(merged.get("color_shift", 0.0) or 0.0)
        if not 0.0 <= self.flip <= 1.0:
            raise ValueError(f"flip probability must be in [0, 1], got {self.flip}")
        if self.crop < 0 or self.noise < 0 or self.color_shift < 0:
            raise ValueError("crop, noise and color_shift must be >= 0")

    @property
    def active(self) -> bool:
        """Whether any transform is switched on."""
        return bool(self.flip or self.crop or self.noise or self.color_shift)

    def __call__(self, x: Any, rng: Rng = None) -> Any:
        """Augment one batch ``(m, n_H, n_W, n_C)``; the same ``rng`` state gives the same batch."""
        g = _rng(rng)
        x = _check_images(x, "Augmenter")
        if self.flip:
            x = horizontal_flip(x, g, p=self.flip)
        if self.crop:
            x = random_crop(x, g, padding=self.crop)
        if self.color_shift:
            x = color_shift(x, g, self.color_shift)
        if self.noise:
            x = gaussian_noise(x, g, self.noise)
        return x

    def config(self) -> dict[str, Any]:
        """JSON-able settings; ``Augmenter(aug.config())`` rebuilds it."""
        flip: bool | float = True if self.flip == 0.5 else (False if not self.flip else self.flip)
        return {
            "flip": flip,
            "crop": self.crop,
            "noise": self.noise,
            "color_shift": self.color_shift,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Augmenter:
        return cls(config)

    def __repr__(self) -> str:
        return f"Augmenter({self.config()!r})"
