"""Fully connected layer: Z[l] = W[l] A[l-1] + b[l],  A[l] = g[l](Z[l]).

Shapes: ``A_prev`` (n[l-1], m), ``W`` (n[l], n[l-1]), ``b`` (n[l], 1), ``Z`` and ``A`` (n[l], m).

Backward (the notes)::

    dZ[l]     = dA[l] * g[l]'(Z[l])
    dW[l]     = 1/m dZ[l] A[l-1]^T
    db[l]     = 1/m sum(dZ[l], axis=1, keepdims=True)
    dA[l-1]   = W[l]^T dZ[l]
"""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.errors import ShapeError
from glassnet.functions.activations import Activation, get_activation
from glassnet.functions.initializers import initialize_weight
from glassnet.layers.base import Layer


# -- the notes' equations, as the course's functions (Course 1, week 4) --------------------
def linear_forward(A: Any, W: Any, b: Any) -> tuple[Any, tuple[Any, Any, Any]]:
    """Z = W A + b: ``A`` (n[l-1], m), ``W`` (n[l], n[l-1]), ``b`` (n[l], 1) -> ``Z`` (n[l], m).

    Returns ``(Z, cache)`` with ``cache = (A, W, b)`` for :func:`linear_backward`;
    ``b=None`` leaves the bias out (a Dense layer without one).
    """
    Z = W @ A
    if b is not None:
        Z += b  # in place on the new product: no second (n[l], m) array
    return Z, (A, W, b)


def linear_backward(
    dZ: Any,
    cache: tuple[Any, Any, Any],
    *,
    input_grad: bool = True,
    param_grads: bool = True,
    overwrite_dZ: bool = False,
) -> tuple[Any, Any, Any]:
    """``(dA_prev, dW, db)`` from dZ (n[l], m) and ``cache = (A_prev, W, b)``::

        dW = 1/m dZ A_prev^T      db = 1/m sum(dZ, axis=1, keepdims=True)      dA_prev = W^T dZ

    The 1/m goes on dZ (smaller than dW); a Python float keeps float32 float32.
    ``input_grad=False`` skips dA_prev and ``param_grads=False`` dW and db (None instead);
    db is None when b is.  ``overwrite_dZ`` lets dZ be scaled in place (after dA_prev).
    """
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dA_prev = W.T @ dZ if input_grad else None  # dA[l-1] = W[l]^T dZ[l]
    dW = db = None
    if param_grads:
        if overwrite_dZ:
            dZ *= 1.0 / m
            dZ_m = dZ
        else:
            dZ_m = dZ * (1.0 / m)
        dW = dZ_m @ A_prev.T  # dW[l] = 1/m dZ[l] A[l-1]^T
        if b is not None:
            db = dZ_m.sum(axis=1, keepdims=True)  # db[l] = 1/m sum(dZ[l])
    return dA_prev, dW, db


def linear_activation_forward(
    A_prev: Any, W: Any, b: Any, activation: str | dict | Activation | None
) -> tuple[Any, tuple[tuple[Any, Any, Any], Any]]:
    """A = g(W A_prev + b): ``(A, cache)``, cache = ``(linear_cache, Z)``.

    ``activation`` is a name (``"sigmoid"``, ``"relu"``, ...) or an :class:`Activation`.
    """
    Z, linear_cache = linear_forward(A_prev, W, b)
    return get_activation(activation).forward(Z), (linear_cache, Z)


def linear_activation_backward(
    dA: Any, cache: tuple[tuple[Any, Any, Any], Any], activation: str | dict | Activation | None
) -> tuple[Any, Any, Any]:
    """``(dA_prev, dW, db)`` through A = g(Z): dZ = dA * g'(Z), then :func:`linear_backward`."""
    linear_cache, Z = cache
    g = get_activation(activation)
    dZ = g.backward(dA, Z, g.forward(Z))
    return linear_backward(dZ, linear_cache)


class Dense(Layer):
    """A dense layer of ``units`` neurons with activation ``activation``.

    ``init`` is one of zeros, random (times ``init_scale``), he, xavier, glorot.
    ``use_bias=False`` drops b (the layer before a batch norm).
    """

    kind = "dense"
    input_layout = output_layout = "dense"

    def __init__(
        self,
        units: int,
        activation: str | dict | Activation | None = "relu",
        init: str = "he",
        init_scale: float = 0.01,
        use_bias: bool = True,
    ) -> None:
        super().__init__()
        if int(units) < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units}")
        self.units = int(units)
        self.activation = get_activation(activation)
        self.init = init
        self.init_scale = float(init_scale)
        self.use_bias = bool(use_bias)

    def config(self) -> dict:
        return {
            "units": self.units,
            "activation": self.activation.config(),
            "init": self.init,
            "init_scale": self.init_scale,
            "use_bias": self.use_bias,
        }

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(input_shape) != 1:
            raise ShapeError(
                f"Dense({self.units}): expects flat inputs (n, m); got example shape "
                f"{input_shape} (add a Flatten layer first)"
            )
        return (self.units,)

    def build(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        out = super().build(input_shape, rng, dtype)
        xp = get_xp()
        n_prev = self.input_shape[0]
        # W before b, as the course's notebooks draw them
        W = initialize_weight(self.init, (self.units, n_prev), n_prev, self.units, rng,
                              self.init_scale)
        self.params["W"] = xp.asarray(W, dtype=dtype)
        if self.use_bias:
            self.params["b"] = xp.zeros((self.units, 1), dtype=dtype)
        return out

    def describe(self) -> str:
        return f"Dense({self.units}, {self.activation.name})"

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        W = self.params["W"]
        if A_prev.ndim != 2 or A_prev.shape[0] != W.shape[1]:
            raise ShapeError(
                f"{self.describe()}: expected input of shape ({W.shape[1]}, m), "
                f"got {tuple(A_prev.shape)}"
            )
        Z, _ = linear_forward(A_prev, W, self.params.get("b"))  # (n[l], m)
        act = self.activation
        if act.inplace_ok and not self.keep_logits:
            # A[l] = g(Z[l]) computed over Z's memory: g's backward needs only A (ReLU: the
            # sign of Z, which A shares), so the cache holds A in Z's place.
            A = act.forward_inplace(Z)
            self.cache = (A_prev, A, A)
        else:
            A = act.forward(Z)
            self.cache = (A_prev, Z, A)
        return A

    def logits_of(self, A: Any) -> Any | None:
        """Z[l] of the forward pass that gave ``A`` (None if that pass did not keep it)."""
        cache = self.cache
        if cache is None or cache[2] is not A or cache[1] is A:
            return None
        return cache[1]

    def backward(self, dA: Any) -> Any:
        _, Z, A = self.cache
        dZ = self.activation.backward(dA, Z, A)
        # dZ is a new array unless the activation handed back one of its inputs (linear: dA):
        # then backward_from_dZ may scale it by 1/m in place instead of making dZ/m
        self._dZ_owned = dZ is not dA and dZ is not Z and dZ is not A
        return self.backward_from_dZ(dZ)

    def backward_from_dZ(self, dZ: Any) -> Any:
        """The linear part of backward, given dZ (used with dZ = A - Y at the output).

        dZ is left as it is, except when :meth:`backward` made it (then it is scaled in place).
        """
        overwrite_dZ = getattr(self, "_dZ_owned", False)
        self._dZ_owned = False
        A_prev, _, _ = self.cache
        dA_prev, dW, db = linear_backward(
            dZ, (A_prev, self.params["W"], self.params.get("b")),
            input_grad=self.propagate_input_grad, param_grads=self.trainable,
            overwrite_dZ=overwrite_dZ,
        )
        if self.trainable:
            self.grads["dW"] = dW
            if self.use_bias:
                self.grads["db"] = db
        return dA_prev
