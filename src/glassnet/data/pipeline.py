"""The input pipeline saved with a model: raw examples -> the model's input.

Raw data arrives examples first, as files hold it (images ``(m, H, W, C)``,
tables ``(m, n)``, sequences ``(m, T_x, n_x)``).  The pipeline, fitted on the training
set only, applies

1. ``scale``: pixels / 255 (uint8 images), and
2. ``standardize``: x := (x - mu) / sigma with the training set's mu, sigma (per feature,
   per channel for images and per feature over all time steps for sequences; computed in
   float64, :mod:`glassnet.data.feature_stats`),
3. the change to the model's layout (:mod:`glassnet.core.layouts`): ``dense`` flattens to
   the course's ``(n_x, m)`` columns, ``image`` keeps ``(m, H, W, C)`` for convolutional
   models, ``sequence`` gives ``(n_x, m, T_x)``,

``auto`` (the default) scales uint8 pixels and then, for a dense network, standardizes
them too (a dense network on [0, 1] pixels, all around 0.5, barely learns: SIGNS 37.5% test
against 90.0% standardized); a convolutional network gets them scaled only; other inputs
are standardized.  The course's recipe (pixels / 255 only) is ``scale``.  The pipeline is
stored in the model's metadata (its mu and sigma as extra arrays), so ``evaluate`` and
``predict`` treat new data exactly as training did.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy

from glassnet.core.backend import get_xp
from glassnet.core.errors import GlassnetError, ModelFileError, ShapeError
from glassnet.core.layouts import get_layout
from glassnet.data.feature_stats import mean_std, standardize_rows


class PreprocessingWarning(UserWarning):
    """Inputs the chosen preprocessing leaves badly scaled for the network (a note, not an
    error: ``warnings.simplefilter("ignore", PreprocessingWarning)`` silences it)."""


#: the model layouts raw examples can be turned into
LAYOUTS = ("dense", "image", "sequence")
MODES = ("auto", "course", "none", "scale", "standardize", "scale+standardize")


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
        #: what fitting noticed (e.g. inputs far from zero mean that are not standardized)
        self.notes: list[str] = []

    def fit(self, x: Any) -> InputPipeline:
        """Decide scaling from the training examples ``x`` (m, ...) and fit mu, sigma.

        ``auto``: uint8 pixels are scaled to [0, 1]; for a dense network they are then
        standardized per feature as well (inputs around 0.5 with a spread of 0.25 leave a
        dense network stuck), for a convolutional one they are only scaled; other inputs
        are standardized.  ``course``: as the course's notebooks, uint8 pixels are only
        scaled (x / 255, dense or not), other inputs standardized.  The statistics are
        float64 (a zero sigma becomes 1).  With
        ``none`` or ``scale``, dense inputs far from zero mean give a warning (``notes``).
        """
        x = numpy.asarray(x)
        if x.ndim < 2 or x.shape[0] == 0:
            raise GlassnetError(f"training data must be (m, ...) with m > 0, got shape {x.shape}")
        if self.layout == "sequence" and x.ndim != 3:
            raise GlassnetError(f"sequences must be (m, T_x, n_x), got shape {x.shape}")
        self.example_shape = tuple(int(d) for d in x.shape[1:])
        mode = self.mode
        if mode in ("auto", "course"):
            pixels = x.dtype == numpy.uint8
            dense_auto = self.layout == "dense" and mode == "auto"
            mode = ("scale+standardize" if dense_auto else "scale") if pixels \
                else "standardize"
        self.scale = 1.0 / 255.0 if "scale" in mode else None
        self.standardize = "standardize" in mode
        self.notes = []
        if self.standardize:
            self.mean, self.std = mean_std(self._rows(x), self.scale, self.feature_name)
        elif self.layout == "dense" and self.mode != "course":  # the course's choice: no warning
            self._warn_off_center(x)
        return self

    def _rows(self, x: numpy.ndarray) -> numpy.ndarray:
        """The examples as a table: (m, features) for dense data, (pixels or steps, channels
        or features) for images and sequences (one column per statistic)."""
        if self.layout == "dense":
            return x.reshape(x.shape[0], -1)
        return x.reshape(-1, x.shape[-1])

    def feature_name(self, j: int) -> str:
        """Column ``j`` of :meth:`_rows` in words: ``feature 3``, ``feature (12, 5, 0)``,
        ``channel 2``."""
        if self.layout == "image":
            return f"channel {j}"
        shape = self.example_shape or ()
        if self.layout == "dense" and len(shape) > 1:
            return f"feature {tuple(int(i) for i in numpy.unravel_index(j, shape))}"
        return f"feature {j}"

    def _warn_off_center(self, x: numpy.ndarray) -> None:
        mean, std = mean_std(self._rows(x), self.scale, self.feature_name)
        center = float(numpy.sqrt(numpy.mean(mean**2)))
        spread = float(numpy.sqrt(numpy.mean(std**2)))
        if center > spread:
            note = (f"the inputs are far from zero mean (features around {center:.3g}, spread "
                    f"{spread:.3g}) and preprocess={self.mode!r} does not standardize them: "
                    "a dense network may learn slowly or not at all (preprocess auto or "
                    "scale+standardize standardizes them)")
            self.notes.append(note)
            warnings.warn(note, PreprocessingWarning, stacklevel=3)

    def check(self, x: Any, what: str = "input") -> None:
        x_shape = tuple(numpy.shape(x))
        if self.example_shape is not None and x_shape[1:] != self.example_shape:
            want = ", ".join(map(str, ("m",) + self.example_shape))
            raise ShapeError(f"{what}: the model takes examples of shape ({want}), got {x_shape}")

    def transform(self, x: Any, what: str = "input") -> Any:
        """Raw examples (m, ...) -> the model's input (``(n_x, m)``, ``(m, H, W, C)`` or
        ``(n_x, m, T_x)``), computed in float64 and cast to the compute dtype.

        NaN/inf inputs, and values that overflow the compute dtype, raise
        :class:`GlassnetError` naming ``what`` and the feature.
        """
        x = numpy.asarray(x)
        self.check(x, what)
        mean, std = (self.mean, self.std) if self.standardize else (None, None)
        dense = self.layout == "dense"
        out = standardize_rows(self._rows(x), self.dtype, self.scale, mean, std, what,
                               self.feature_name, columns=dense)
        if dense:
            return get_xp().asarray(out)
        xs = out.reshape(x.shape)
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
            pipe._check_statistics()
        return pipe

    def _check_statistics(self) -> None:
        """Refuse saved statistics that would make every prediction NaN/inf or wrong: a
        shape that does not fit the examples, a non-finite mean, a zero or non-finite std."""
        shape = self.example_shape or ()
        n = int(numpy.prod(shape)) if self.layout == "dense" else (shape[-1] if shape else 0)
        for key, values in (("input_mean", self.mean), ("input_std", self.std)):
            try:
                v = numpy.asarray(values, dtype=numpy.float64).reshape(-1)
            except (TypeError, ValueError):
                raise ModelFileError(f"the model's {key} is not numeric") from None
            if v.size != n:
                raise ModelFileError(f"the model's {key} has {v.size} values; its inputs have "
                                     f"{n} features")
            bad = ~numpy.isfinite(v) if key == "input_mean" else ~(numpy.isfinite(v) & (v > 0))
            if bad.any():
                j = int(numpy.flatnonzero(bad)[0])
                raise ModelFileError(
                    f"the model's {key} is {v[j]} for {self.feature_name(j)} (a std must be "
                    "finite and positive, a mean finite): the model file is damaged; retrain it")
        self.mean = numpy.asarray(self.mean, dtype=numpy.float64).reshape(-1)
        self.std = numpy.asarray(self.std, dtype=numpy.float64).reshape(-1)

    def attach(self, model: Any) -> None:
        """Store this pipeline in ``model`` (saved with it)."""
        meta, arrays = self.to_metadata()
        model.metadata["preprocessing"] = meta
        model.extras.update(arrays)

    @classmethod
    def of(cls, model: Any) -> InputPipeline | None:
        meta = model.metadata.get("preprocessing")
        return None if meta is None else cls.from_metadata(meta, model.extras)
