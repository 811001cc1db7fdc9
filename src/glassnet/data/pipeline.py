"""The input pipeline saved with a model: raw examples -> the model's input.

Raw data arrives examples first, as files hold it (images ``(m, H, W, C)``,
tables ``(m, n)``, sequences ``(m, T_x, n_x)``).  The pipeline, fitted on the training
set only, applies

1. ``scale``: pixels / 255 (uint8 images), and
2. ``standardize``: x := (x - mu) / sigma with the training set's mu, sigma (per feature,
   per channel for images and per feature over all time steps for sequences),
3. the change to the model's layout (:mod:`glassnet.core.layouts`): ``dense`` flattens to
   the course's ``(n_x, m)`` columns, ``image`` keeps ``(m, H, W, C)`` for convolutional
   models, ``sequence`` gives ``(n_x, m, T_x)``,

and is stored in the model's metadata (its mu and sigma as extra arrays), so
``evaluate`` and ``predict`` treat new data exactly as training did.
"""

from __future__ import annotations

from typing import Any

import numpy

from glassnet.core.backend import get_xp
from glassnet.core.errors import GlassnetError, ShapeError
from glassnet.core.layouts import get_layout

#: the model layouts raw examples can be turned into
LAYOUTS = ("dense", "image", "sequence")
MODES = ("auto", "none", "scale", "standardize", "scale+standardize")


class InputPipeline:
    """Fit on training examples, then ``transform`` any set the same way."""

    def __init__(self, layout: str = "dense", mode: str = "auto", dtype: Any = "float32") -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        if mode not in MODES:
            raise ValueError(f"preprocess must be one of {', '.join(MODES)}, got {mode!r}")
        self.layout = layout
        self.mode = mode
        self.dtype = numpy.dtype(dtype)
        self.scale: float | None = None
        self.standardize = False
        self.example_shape: tuple[int, ...] | None = None
        self.mean: Any = None
        self.std: Any = None

    def fit(self, x: Any) -> InputPipeline:
        """Decide scaling from the training examples ``x`` (m, ...) and fit mu, sigma."""
        x = numpy.asarray(x)
        if x.ndim < 2 or x.shape[0] == 0:
            raise GlassnetError(f"training data must be (m, ...) with m > 0, got shape {x.shape}")
        if self.layout == "sequence" and x.ndim != 3:
            raise GlassnetError(f"sequences must be (m, T_x, n_x), got shape {x.shape}")
        self.example_shape = tuple(int(d) for d in x.shape[1:])
        mode = self.mode
        if mode == "auto":
            mode = "scale" if x.dtype == numpy.uint8 else "standardize"
        self.scale = 1.0 / 255.0 if "scale" in mode else None
        self.standardize = "standardize" in mode
        if self.standardize:
            xs = self._scaled(x)
            # per feature for dense data, per channel (the last axis) for images and sequences
            axes = 0 if self.layout == "dense" else tuple(range(xs.ndim - 1))
            flat = xs.reshape(xs.shape[0], -1) if self.layout == "dense" else xs
            mean = flat.mean(axis=axes)
            std = flat.std(axis=axes)
            std[std == 0] = 1.0
            self.mean = mean.astype(self.dtype)
            self.std = std.astype(self.dtype)
        return self

    def _scaled(self, x: numpy.ndarray) -> numpy.ndarray:
        xs = x.astype(self.dtype, copy=True)
        if self.scale is not None:
            xs *= self.dtype.type(self.scale)
        return xs

    def check(self, x: Any, what: str = "input") -> None:
        x_shape = tuple(numpy.shape(x))
        if self.example_shape is not None and x_shape[1:] != self.example_shape:
            want = ", ".join(map(str, ("m",) + self.example_shape))
            raise ShapeError(f"{what}: the model takes examples of shape ({want}), got {x_shape}")

    def transform(self, x: Any, what: str = "input") -> Any:
        """Raw examples (m, ...) -> the model's input (``(n_x, m)``, ``(m, H, W, C)`` or
        ``(n_x, m, T_x)``)."""
        x = numpy.asarray(x)
        self.check(x, what)
        if not numpy.isfinite(x.astype(numpy.float64, copy=False)).all():
            raise GlassnetError(f"{what}: contains NaN or inf")
        xs = self._scaled(x)
        if self.layout == "dense":
            xs = xs.reshape(xs.shape[0], -1)
            if self.standardize:
                xs -= self.mean
                xs /= self.std
            return get_xp().asarray(numpy.ascontiguousarray(xs.T))
        if self.standardize:
            xs -= self.mean
            xs /= self.std
        if self.layout == "sequence":  # (m, T_x, n_x) -> (n_x, m, T_x)
            xs = numpy.ascontiguousarray(xs.transpose(2, 0, 1))
        return get_xp().asarray(xs)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The model's ``input_shape`` for this pipeline."""
        if self.example_shape is None:
            raise GlassnetError("the input pipeline is not fitted")
        if self.layout == "dense":
            return (int(numpy.prod(self.example_shape)),)
        if self.layout == "sequence":  # one example of (n_x, m, T_x) is (n_x, T_x)
            T_x, n_x = self.example_shape
            return get_layout("sequence").example_shape((n_x, 1, T_x))
        return self.example_shape

    def to_metadata(self) -> tuple[dict, dict[str, numpy.ndarray]]:
        meta = {
            "layout": self.layout,
            "mode": self.mode,
            "scale": self.scale,
            "standardize": self.standardize,
            "example_shape": list(self.example_shape or ()),
            "dtype": str(self.dtype),
        }
        arrays = {}
        if self.standardize:
            arrays = {"input_mean": self.mean, "input_std": self.std}
        return meta, arrays

    @classmethod
    def from_metadata(cls, meta: dict, arrays: dict[str, numpy.ndarray]) -> InputPipeline:
        try:
            pipe = cls(meta["layout"], meta.get("mode", "auto"), meta.get("dtype", "float32"))
            pipe.scale = meta.get("scale")
            pipe.standardize = bool(meta.get("standardize"))
            pipe.example_shape = tuple(int(d) for d in meta["example_shape"])
        except (KeyError, TypeError, ValueError) as exc:
            raise GlassnetError(f"the model's preprocessing metadata is invalid ({exc})") from None
        if pipe.standardize:
            try:
                pipe.mean, pipe.std = arrays["input_mean"], arrays["input_std"]
            except KeyError as exc:
                raise GlassnetError(f"the model's parameter file lacks {exc}") from None
        return pipe

    def attach(self, model: Any) -> None:
        """Store this pipeline in ``model`` (saved with it)."""
        meta, arrays = self.to_metadata()
        model.metadata["preprocessing"] = meta
        model.extras.update(arrays)

    @classmethod
    def of(cls, model: Any) -> InputPipeline | None:
        meta = model.metadata.get("preprocessing")
        return None if meta is None else cls.from_metadata(meta, model.extras)
