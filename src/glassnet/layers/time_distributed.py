"""One dense-layout layer applied at every time step (Course 5's many-to-many outputs).

``TimeDistributed(Dense(n_y, g))`` takes sequences (n_x, m, T_x) to (n_y, m, T_x)::

    y<t> = g(W x<t> + b)        for t = 1..T_x, one W (n_y, n_x) and b (n_y, 1)

computed as one GEMM over the reshape (n_x, m T_x), whose column i T_x + t is example i at
step t.  The inner layer sees m T_x examples and forms its gradients with 1/(m T_x); the
cost is J = 1/m sum_i sum_t L<t>(i), so the gradients are T_x times that::

    dW = 1/m sum_i sum_t dZ<t>(i) x<t>(i)^T        db = 1/m sum_i sum_t dZ<t>(i)
    dx<t>(i) = W^T dZ<t>(i)

The arrays keep the inner layer's names (``W``, ``b``; in a model ``W2``, ``b2``).
"""

from __future__ import annotations

from typing import Any

from glassnet.core.errors import ShapeError
from glassnet.core.layouts import ANY
from glassnet.layers.base import Layer, layer_from_config, layer_to_config
from glassnet.layers.blocks.base import Block


class TimeDistributed(Block):
    """``layer`` (Dense, Dropout, BatchNorm, ...: anything taking dense (n, m) input) applied
    to x<t> at every time step of a sequence (n_x, m, T_x), with one set of weights."""

    kind = "time_distributed"
    input_layout = output_layout = "sequence"

    def __init__(self, layer: Layer | dict) -> None:
        super().__init__()
        self.layer = layer_from_config(layer) if isinstance(layer, dict) else layer
        if self.layer.input_layout not in ("dense", ANY):
            raise ValueError(f"TimeDistributed: the layer must take dense input (n, m), "
                             f"{self.layer.describe()} takes {self.layer.input_layout}")

    @property
    def owns_index(self) -> bool:  # type: ignore[override]
        return self.layer.owns_index

    @property
    def activation(self) -> Any:
        """The inner layer's g (what a model reads of its output layer)."""
        return getattr(self.layer, "activation", None)

    def config(self) -> dict:
        return {"layer": layer_to_config(self.layer)}

    def describe(self) -> str:
        return f"TimeDistributed({self.layer.describe()})"

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """(n_x, T_x) -> (n_y, T_x): the inner layer's output at every time step."""
        n_x, T_x = input_shape
        return (*self.layer.compute_output_shape((n_x,)), T_x)

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        n_x, T_x = input_shape
        self._part("", self.layer)
        (n_y, *rest) = self._build_chain([self.layer], (n_x,), rng, dtype, layout="dense")
        if rest or self.layer.connect("dense") != "dense":
            raise ValueError(f"TimeDistributed: {self.layer.describe()} must give dense output")
        return (n_y, T_x)

    def check_input(self, A_prev: Any, batch_axis: int | None = None) -> None:
        """Sequences (n_x, m, T_x) of any length T_x (as the recurrent layers take them)."""
        if self.input_shape is None:
            return
        shape = tuple(A_prev.shape)
        if len(shape) != 3 or shape[0] != self.input_shape[0]:
            raise ShapeError(f"{self.describe()}: expected sequences ({self.input_shape[0]}, m, "
                             f"T_x), got {shape}")

    def _forward(self, A_prev: Any, training: bool) -> Any:
        n_x, m, T_x = A_prev.shape
        self.layer.propagate_input_grad = self.propagate_input_grad
        A = self.layer.forward(A_prev.reshape(n_x, m * T_x), training)  # (n_y, m T_x)
        self.cache = (m, T_x)
        return A.reshape(A.shape[0], m, T_x)

    def _backward(self, dA: Any) -> Any:
        m, T_x = self.cache
        return self._after(self.layer.backward(dA.reshape(dA.shape[0], m * T_x)))

    def backward_from_dZ(self, dZ: Any) -> Any:
        """Backward from dZ<t> = a<t> - y<t> at every step (an output layer's shortcut)."""
        inner = getattr(self.layer, "backward_from_dZ", None)
        if inner is None:
            return dZ
        m, T_x = self.cache
        return self._after(inner(dZ.reshape(dZ.shape[0], m * T_x)))

    def _after(self, dA_prev: Any) -> Any:
        """The 1/m of the cost on the gradients (times T_x), dA_prev back to (n_x, m, T_x)."""
        m, T_x = self.cache
        if self.trainable:
            for g in self.layer.grads.values():
                g *= T_x
        return None if dA_prev is None else dA_prev.reshape(dA_prev.shape[0], m, T_x)
