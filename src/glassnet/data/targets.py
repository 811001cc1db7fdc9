"""Regression targets in standard units for training, in their own units everywhere else.

Targets of a few hundred (scikit-learn's diabetes: 25 to 346) make the L2 cost and its
gradient huge at the default learning rate, so a regression run trains on

    y_std = (y - mu) / sigma          mu, sigma: the training targets' mean and standard
                                      deviation (per output, computed in float64)

and afterwards folds the way back into the linear output layer A = W h + b:

    y = sigma * y_std + mu = (sigma * W) h + (sigma * b + mu)
    so  W := diag(sigma) W,  b := sigma * b + mu

which is exact for a linear (identity) output: the saved model predicts in the targets'
own units with nothing extra to apply, and every cost, RMSE, MAE and R^2 reported after
training is in those units.  ``mu`` and ``sigma`` are kept in the model's metadata
(``target_mean``, ``target_std``; the mean is also the baseline a model must beat).
An output that is not linear (a relu or sigmoid output chosen for regression) cannot be
folded: its targets are left unscaled and a note says so.

    >>> scaler = TargetScaler.fit(numpy.array([1.0, 3.0]))
    >>> scaler.transform(numpy.array([1.0, 3.0])).tolist()
    [-1.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy

from glassnet.core.backend import get_xp, to_numpy
from glassnet.core.errors import GlassnetError


@dataclass
class TargetScaler:
    """The training targets' ``mean`` and ``std`` (one per output) and whether they are applied.

    ``active`` False: the targets are used as they are (``transform`` is the identity) but
    the mean is still recorded as the baseline.
    """

    mean: numpy.ndarray
    std: numpy.ndarray
    active: bool = True

    @classmethod
    def fit(cls, y: Any, active: bool = True) -> TargetScaler:
        """mu, sigma of training targets ``y`` ``(m,)`` or ``(m, k)``, per column, in float64;
        a constant target gets sigma = 1 (nothing to scale)."""
        y = numpy.asarray(y, dtype=numpy.float64)
        if y.ndim not in (1, 2) or y.shape[0] == 0:
            raise GlassnetError(f"regression targets must be (m,) or (m, k), got shape {y.shape}")
        mean = y.mean(axis=0).reshape(-1)
        std = y.std(axis=0).reshape(-1)
        std[~(std > 0)] = 1.0
        return cls(mean, std, active)

    def transform(self, y: Any) -> Any:
        """``(y - mu) / sigma`` in float64 (the same shape as ``y``); ``y`` when not active."""
        if not self.active or y is None:
            return y
        y = numpy.asarray(y, dtype=numpy.float64)
        mean, std = (self.mean, self.std) if y.ndim == 2 else (self.mean[0], self.std[0])
        return (y - mean) / std

    def inverse(self, y_std: Any) -> numpy.ndarray:
        """``sigma * y_std + mu``: standard units back to the targets' units."""
        y_std = numpy.asarray(y_std, dtype=numpy.float64)
        if not self.active:
            return y_std
        mean, std = (self.mean, self.std) if y_std.ndim == 2 else (self.mean[0], self.std[0])
        return y_std * std + mean

    def fold(self, W: Any, b: Any) -> tuple[numpy.ndarray, numpy.ndarray]:
        """The output layer's ``W`` ``(k, n)`` and ``b`` ``(k, 1)`` that give the targets' units:
        ``(diag(sigma) W, sigma * b + mu)`` (in float64; the caller casts back)."""
        W = numpy.asarray(to_numpy(W), dtype=numpy.float64)
        b = numpy.asarray(to_numpy(b), dtype=numpy.float64)
        std, mean = self.std.reshape(-1, 1), self.mean.reshape(-1, 1)
        if W.shape[0] != std.shape[0] or b.shape != (W.shape[0], 1):
            raise GlassnetError(
                f"target scaling: an output layer of W {W.shape}, b {b.shape} does not fit "
                f"{std.shape[0]} targets")
        return W * std, b * std + mean

    def metadata(self) -> dict[str, Any]:
        """What the saved model records: ``target_mean``, ``target_std``, ``target_scaling``."""
        return {
            "target_mean": [float(v) for v in self.mean],
            "target_std": [float(v) for v in self.std],
            "target_scaling": "folded into the output layer" if self.active else "none",
        }


def linear_output_of(model: Any) -> Any | None:
    """The model's last layer when it is a linear output with a weight and a bias (which
    :meth:`TargetScaler.fold` can rescale), else None."""
    layers = getattr(model, "layers", None)
    if not layers:
        return None
    last = layers[-1]
    activation = getattr(last, "activation", None)
    params = getattr(last, "params", {})
    if getattr(activation, "name", None) != "linear" or "W" not in params or "b" not in params:
        return None
    return last


def scaler_for(model: Any, task: str, y_train: Any, notes: list[str] | None = None) -> (
        TargetScaler | None):
    """The target scaler of a regression run (None for other tasks): active when the output
    can be folded (:func:`linear_output_of`), else inactive with a note in ``notes``."""
    if task != "regression":
        return None
    foldable = linear_output_of(model) is not None
    scaler = TargetScaler.fit(y_train, active=foldable)
    if notes is not None:
        if foldable:
            means = ", ".join(f"{v:.4g}" for v in scaler.mean)
            stds = ", ".join(f"{v:.4g}" for v in scaler.std)
            notes.append(f"regression targets standardized with the training set's mean {means} "
                         f"and std {stds}: the training costs are in standard units, the "
                         "metrics and predictions in the targets' own units")
        else:
            notes.append("regression targets left unscaled: the output layer is not a linear "
                         "Dense layer, so the scaling cannot be folded into it")
    return scaler


def fold_into_output(model: Any, scaler: TargetScaler | None) -> None:
    """After training on standardized targets: rescale the output layer in place
    (:meth:`TargetScaler.fold`) so the model predicts in the targets' units."""
    if scaler is None or not scaler.active:
        return
    layer = linear_output_of(model)
    if layer is None:
        raise GlassnetError("target scaling: the model's output is no longer a linear Dense layer")
    W, b = layer.params["W"], layer.params["b"]
    new_W, new_b = scaler.fold(W, b)
    xp = get_xp()
    W[...] = xp.asarray(new_W, dtype=W.dtype)
    b[...] = xp.asarray(new_b, dtype=b.dtype)
