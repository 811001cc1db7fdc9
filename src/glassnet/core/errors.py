"""The errors glassnet raises on bad input; the command line turns them into one line."""

from __future__ import annotations


class GlassnetError(Exception):
    """Base class: a problem with the user's input, files or settings (not a bug)."""


class ModelFileError(GlassnetError):
    """A saved model that cannot be loaded safely (pickle, truncated, missing key, bad shape)."""


class LabelError(GlassnetError, ValueError):
    """Labels that do not fit the model's loss (a 2 for a binary model, NaN, wrong shape)."""


class TrainingDiverged(GlassnetError):
    """The cost or a layer's output became NaN or infinite during training."""


class ShapeError(GlassnetError, ValueError):
    """An input whose shape a layer does not take."""


class MemoryBudgetError(GlassnetError):
    """An input or a model that would need more memory than the budget allows
    (:func:`glassnet.core.limits.memory_budget`)."""


class RunLockedError(GlassnetError):
    """A run folder that another living process is writing."""
