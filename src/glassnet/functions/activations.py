"""Activation functions g(z) and their derivatives g'(z).

Every activation works element-wise on ``Z`` of any shape (``(n[l], m)`` for
dense layers) except softmax, which normalizes over the class axis: 0 for
``(C, m)``, -1 for images ``(m, n_H, n_W, C)`` (per pixel).  ``backward(dA, Z, A)``
returns ``dZ = dA * g'(Z)``; for softmax it applies the full Jacobian,
``dZ = A * (dA - sum_j dA_j A_j)`` over the class axis.
"""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp


class Activation:
    """Base class: ``forward(Z) -> A`` and ``derivative(Z, A) -> g'(Z)``."""

    name = "activation"
    #: True when ``backward`` needs only A (or only the sign of Z, which A shares), so a
    #: layer may compute A over Z's memory with :meth:`forward_inplace` and cache A as Z.
    inplace_ok: bool = False

    def forward(self, Z: Any) -> Any:
        raise NotImplementedError

    def forward_inplace(self, Z: Any) -> Any:
        """A = g(Z), written over ``Z`` where the activation can (else a new array)."""
        return self.forward(Z)

    def derivative(self, Z: Any, A: Any) -> Any:
        """g'(Z), element-wise. ``A = g(Z)`` is passed so it need not be recomputed."""
        raise NotImplementedError

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        """dZ = dA * g'(Z)."""
        return dA * self.derivative(Z, A)

    def config(self) -> dict:
        return {"name": self.name}

    def __call__(self, Z: Any) -> Any:
        return self.forward(Z)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def sigmoid(Z: Any) -> Any:
    """sigma(z) = 1 / (1 + e^-z), element-wise, for a number or an array of any shape.

    Computed stably: for z < 0 as e^z / (1 + e^z), so no e^{+big} overflows.  A float
    array keeps its dtype; integers and Python numbers give float64.
    """
    xp = get_xp()
    Z = xp.asarray(Z)
    if Z.dtype.kind not in "fc":
        Z = Z.astype(xp.float64)
    E = xp.exp(-xp.abs(Z))  # in (0, 1]: never overflows
    return xp.where(Z >= 0, 1.0 / (1.0 + E), E / (1.0 + E)).astype(Z.dtype, copy=False)


class Sigmoid(Activation):
    """sigma(z) = 1 / (1 + e^-z) (:func:`sigmoid`);  sigma'(z) = a (1 - a)."""

    name = "sigmoid"

    def forward(self, Z: Any) -> Any:
        return sigmoid(Z)

    def derivative(self, Z: Any, A: Any) -> Any:
        return A * (1.0 - A)


class Tanh(Activation):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z);  tanh'(z) = 1 - a^2."""

    name = "tanh"
    inplace_ok = True

    def forward(self, Z: Any) -> Any:
        return get_xp().tanh(Z)

    def forward_inplace(self, Z: Any) -> Any:
        return get_xp().tanh(Z, out=Z)

    def derivative(self, Z: Any, A: Any) -> Any:
        return 1.0 - A * A


class ReLU(Activation):
    """relu(z) = max(0, z);  relu'(z) = 1 if z > 0 else 0."""

    name = "relu"
    inplace_ok = True  # Z > 0 exactly where A = max(0, Z) > 0

    def forward(self, Z: Any) -> Any:
        return get_xp().maximum(Z, 0)

    def forward_inplace(self, Z: Any) -> Any:
        return get_xp().maximum(Z, 0, out=Z)

    def derivative(self, Z: Any, A: Any) -> Any:
        return (Z > 0).astype(Z.dtype)

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        # dZ = dA * g'(Z): dA where Z > 0, else 0 (one multiply by the 0/1 mask)
        return get_xp().multiply(dA, Z > 0, dtype=dA.dtype)


class ReLU6(Activation):
    """relu6(z) = min(max(0, z), 6);  relu6'(z) = 1 if 0 < z < 6 else 0 (MobileNet)."""

    name = "relu6"

    def forward(self, Z: Any) -> Any:
        return get_xp().clip(Z, 0, 6)

    def derivative(self, Z: Any, A: Any) -> Any:
        return ((Z > 0) & (Z < 6)).astype(Z.dtype)

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        return get_xp().where((Z > 0) & (Z < 6), dA, 0).astype(dA.dtype, copy=False)


class LeakyReLU(Activation):
    """leaky(z) = max(slope * z, z);  leaky'(z) = 1 if z > 0 else slope (0.01 by default)."""

    name = "leaky_relu"

    def __init__(self, slope: float = 0.01) -> None:
        if not 0 <= slope < 1:
            raise ValueError(f"leaky ReLU slope must be in [0, 1), got {slope}")
        self.slope = float(slope)

    def forward(self, Z: Any) -> Any:
        return get_xp().where(Z > 0, Z, self.slope * Z).astype(Z.dtype, copy=False)

    def derivative(self, Z: Any, A: Any) -> Any:
        return get_xp().where(Z > 0, 1.0, self.slope).astype(Z.dtype, copy=False)

    def config(self) -> dict:
        return {"name": self.name, "slope": self.slope}

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"


class Softplus(Activation):
    """softplus(z) = log(1 + e^z);  softplus'(z) = sigma(z).

    Computed stably as max(z, 0) + log1p(e^-|z|).
    """

    name = "softplus"

    def forward(self, Z: Any) -> Any:
        xp = get_xp()
        return xp.maximum(Z, 0) + xp.log1p(xp.exp(-xp.abs(Z)))

    def derivative(self, Z: Any, A: Any) -> Any:
        return sigmoid(Z)


class Linear(Activation):
    """g(z) = z;  g'(z) = 1 (regression outputs)."""

    name = "linear"
    inplace_ok = True

    def forward(self, Z: Any) -> Any:
        return Z

    def derivative(self, Z: Any, A: Any) -> Any:
        return get_xp().ones_like(Z)

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        return dA


class Softmax(Activation):
    """softmax(z)_i = e^{z_i} / sum_j e^{z_j} over the class axis.

    The class axis is 0 for dense outputs ``(C, m)`` and -1 for images ``(m, n_H, n_W, C)``
    (one softmax per pixel); the layer that applies it sets ``axis`` from its layout.
    Stable: the maximum over the classes is subtracted first.  Its derivative is the
    Jacobian diag(a) - a a^T, applied to ``dA`` per example (and pixel) in ``backward``:
    dZ = A * (dA - sum_j dA_j A_j).
    """

    name = "softmax"
    inplace_ok = True  # backward uses A only

    def __init__(self, axis: int = 0) -> None:
        if axis not in (0, -1):
            raise ValueError(f"softmax: axis must be 0 (dense, (C, m)) or -1 (images, "
                             f"(m, n_H, n_W, C)), got {axis!r}")
        self.axis = axis

    def config(self) -> dict:
        return {"name": self.name} if self.axis == 0 else {"name": self.name, "axis": self.axis}

    def forward(self, Z: Any) -> Any:
        xp = get_xp()
        E = xp.exp(Z - Z.max(axis=self.axis, keepdims=True))
        E /= E.sum(axis=self.axis, keepdims=True)
        return E

    def forward_inplace(self, Z: Any) -> Any:
        xp = get_xp()
        if self.axis == 0 and Z.ndim == 2 and Z.shape[1] == 1:
            # one example (inference latency): whole-array sums
            Z -= Z.max()
            E = xp.exp(Z, out=Z)
            E /= E.sum()
            return E
        Z -= Z.max(axis=self.axis, keepdims=True)  # z - max_j z_j (stable)
        E = xp.exp(Z, out=Z)
        E /= E.sum(axis=self.axis, keepdims=True)
        return E

    def derivative(self, Z: Any, A: Any) -> Any:
        """The diagonal of the Jacobian, a (1 - a); ``backward`` uses the full one."""
        return A * (1.0 - A)

    def backward(self, dA: Any, Z: Any, A: Any) -> Any:
        return A * (dA - (dA * A).sum(axis=self.axis, keepdims=True))

    def __repr__(self) -> str:
        return "Softmax()" if self.axis == 0 else f"Softmax(axis={self.axis})"


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, ReLU6, LeakyReLU, Softplus, Linear, Softmax)
}
_ALIASES = {
    "leakyrelu": "leaky_relu",
    "leaky-relu": "leaky_relu",
    "identity": "linear",
    "none": "linear",
}


def along_channels(activation: Activation) -> Activation:
    """The activation for a channels-last output ``(m, ..., C)``: softmax over the last axis."""
    if isinstance(activation, Softmax) and activation.axis != -1:
        return Softmax(axis=-1)
    return activation


def get_activation(spec: str | dict | Activation | None) -> Activation:
    """An activation from its name (``"relu"``), its config dict, or an instance."""
    if isinstance(spec, Activation):
        return spec
    if spec is None:
        return Linear()
    if isinstance(spec, dict):
        spec = dict(spec)
        name = spec.pop("name")
    else:
        name, spec = spec, {}
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: expected one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[key](**spec)
