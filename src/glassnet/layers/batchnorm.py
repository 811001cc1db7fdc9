"""Batch normalization (Course 2), placed on Z[l] before the activation.

Training, over a mini-batch (the notes)::

    mu      = 1/m sum_i z(i)
    sigma^2 = 1/m sum_i (z(i) - mu)^2
    z_norm  = (z - mu) / sqrt(sigma^2 + eps)
    z~      = gamma z_norm + beta                   gamma, beta learned (new std and mean)

Shapes (the axes follow the layout the layer is given, :mod:`glassnet.core.layouts`):

* dense input ``Z`` (n[l], m): statistics per unit over the m axis; ``gamma``,
  ``beta``, ``mu``, ``sigma^2`` are (n[l], 1);
* images ``Z`` (m, n_H, n_W, n_C), and any other channels-last input
  (m, ..., n_C): statistics per channel over the examples and all positions;
  ``gamma`` and ``beta`` are (1, 1, 1, n_C) (one 1 per non-channel axis);
* sequences ``Z`` (n_x, m, T_x): per feature over the examples and time steps; (n_x, 1, 1).

Test time: mu and sigma^2 come from exponentially weighted averages over the
training mini-batches, kept in ``self.state``::

    running_mean := momentum running_mean + (1 - momentum) mu
    running_var  := momentum running_var  + (1 - momentum) sigma^2

(``momentum`` is the EWA's beta, 0.9 by default, Keras' convention; sigma^2 is
the biased 1/m variance used for normalizing.  They start at 0 and 1, without
bias correction.)

``eps = 1e-5`` by default (the notes leave it unspecified; 1e-5 keeps a
constant unit finite in float32 without shifting the variance of real ones).

Backward, with G the per-example upstream dL/dz~ and N the number of values
each statistic averages (m for dense inputs, m n_H n_W for images)::

    dgamma = 1/m sum G * z_norm          dbeta = 1/m sum G
    dZ     = gamma / (N sqrt(sigma^2 + eps)) * (N G - sum G - z_norm sum(G * z_norm))

The bias b[l] of the layer before a batch norm is redundant (subtracting mu
cancels it; beta takes its role), so models build that layer with
``use_bias=False``.  This layer's gamma and beta take that layer's index:
``gamma3``, ``beta3`` (``owns_index = False``).
"""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.errors import ShapeError
from glassnet.core.layouts import ANY
from glassnet.layers.base import Layer


class BatchNorm(Layer):
    """Batch normalization of Z with learned scale ``gamma`` and shift ``beta``."""

    kind = "batchnorm"
    input_layout = ANY
    owns_index = False

    def __init__(self, momentum: float = 0.9, epsilon: float = 1e-5) -> None:
        super().__init__()
        momentum = float(momentum)
        epsilon = float(epsilon)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1), got {momentum}")
        if not epsilon > 0.0:
            raise ValueError(f"BatchNorm: epsilon must be > 0, got {epsilon}")
        self.momentum = momentum
        self.epsilon = epsilon
        if not hasattr(self, "state"):
            self.state: dict[str, Any] = {}
        self.axes: tuple[int, ...] = (1,)
        self.batch_axis = 1

    def config(self) -> dict:
        return {"momentum": self.momentum, "epsilon": self.epsilon}

    def describe(self) -> str:
        return "BatchNorm"

    def build(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        out = super().build(input_shape, rng, dtype)
        xp = get_xp()
        # per unit / channel (the layout's feature axis), over every other axis: dense
        # (n, m) -> gamma (n, 1); images (m, ..., n_C) -> (1, ..., 1, n_C); sequences
        # (n_x, m, T_x) -> (n_x, 1, 1)
        layout = self.layout
        full = layout.full_shape(self.input_shape, 1)
        feature = layout.class_axis % len(full)
        shape = tuple(d if ax == feature else 1 for ax, d in enumerate(full))
        self.batch_axis = layout.batch_axis
        self.axes = tuple(ax for ax in range(len(full)) if ax != feature)
        self.params["gamma"] = xp.ones(shape, dtype=dtype)
        self.params["beta"] = xp.zeros(shape, dtype=dtype)
        self.state["running_mean"] = xp.zeros(shape, dtype=dtype)
        self.state["running_var"] = xp.ones(shape, dtype=dtype)
        return out

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        xp = get_xp()
        Z = A_prev
        if not self.built:
            raise RuntimeError("BatchNorm: call build(input_shape, rng, dtype) first")
        if Z.ndim != len(self.input_shape) + 1:
            raise ShapeError(
                f"BatchNorm: built for examples of shape {self.input_shape}, got input of shape "
                f"{tuple(Z.shape)}"
            )
        self.check_input(Z, self.batch_axis)
        gamma, beta = self.params["gamma"], self.params["beta"]
        axes = self.axes
        if training:
            mu = Z.mean(axis=axes, keepdims=True)  # mu = 1/m sum z(i)
            Z_centered = Z - mu
            var = xp.square(Z_centered).mean(axis=axes, keepdims=True)  # sigma^2
            inv_std = 1.0 / xp.sqrt(var + self.epsilon)  # 1 / sqrt(sigma^2 + eps)
            Z_norm = Z_centered
            Z_norm *= inv_std  # z_norm = (z - mu) / sqrt(sigma^2 + eps)
            # exponentially weighted averages for test time
            mom = self.momentum
            rm, rv = self.state["running_mean"], self.state["running_var"]
            rm *= mom
            rm += (1.0 - mom) * mu.astype(rm.dtype, copy=False)
            rv *= mom
            rv += (1.0 - mom) * var.astype(rv.dtype, copy=False)
        else:
            inv_std = 1.0 / xp.sqrt(self.state["running_var"] + self.epsilon)
            Z_norm = (Z - self.state["running_mean"]) * inv_std
        out = Z_norm * gamma
        out += beta  # z~ = gamma z_norm + beta
        self.cache = (Z_norm, inv_std, Z.shape[self.batch_axis], training)
        return out

    def backward(self, dA: Any) -> Any:
        """dZ from G = dA (per-example dL/dz~); fills dgamma and dbeta (with the 1/m)."""
        Z_norm, inv_std, m, training = self.cache
        gamma = self.params["gamma"]
        axes = self.axes
        G = dA
        sum_G = G.sum(axis=axes, keepdims=True)
        sum_G_Znorm = (G * Z_norm).sum(axis=axes, keepdims=True)
        if self.trainable:
            self.grads["dgamma"] = sum_G_Znorm * (1.0 / m)  # 1/m sum G z_norm
            self.grads["dbeta"] = sum_G * (1.0 / m)  # 1/m sum G
        if not getattr(self, "propagate_input_grad", True):
            return None  # first layer of a model: dZ of the input is not needed
        scale = gamma * inv_std
        if not training:
            # test mode: z~ is affine in z, dZ = gamma G / sqrt(running_var + eps)
            return G * scale
        N = Z_norm.size // sum_G.size  # values per statistic: m (dense) or m n_H n_W (images)
        # dZ = gamma inv_std / N (N G - sum G - z_norm sum(G z_norm))
        dZ = Z_norm * (sum_G_Znorm * (-1.0 / N))
        dZ += G
        dZ -= sum_G * (1.0 / N)
        dZ *= scale
        return dZ
