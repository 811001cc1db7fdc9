"""Bidirectional RNN (the notes): one sequence layer reads x<1..T_x> forwards, a second
(same kind and configuration, its own weights) reads it backwards, and the two states are
concatenated along the units axis::

    a->(t) from x<1>..x<t>,   a<-(t) from x<T_x>..x<t>,   [a->(t); a<-(t)]   (2 n_a, m)

so an output layer gives y_hat<t> = g(W_y [a->(t), a<-(t)] + b_y) (a TimeDistributed(Dense)
after it).  With ``return_sequences=False`` the output is [a->(T_x); a<-(1)] (2 n_a, m),
the states after each direction has read the whole sequence.  The arrays of the two
directions are ``Waa_f``, ``Wax_f``, ... and ``Waa_b``, ...  A mask (m, T_x) (or the
layer's ``mask_value``) is reversed with the sequence, so padding at the end is, for the
backward direction, padding at the start, which a zero state carries through unchanged.

Deep RNNs (the notes' a[l]<t> = g(W_a[l] [a[l]<t-1>, a[l-1]<t>] + b_a[l])) are sequence
layers with ``return_sequences=True`` stacked in a Sequential: layer l's states a[l]<t> are
layer l+1's inputs x<t>.
"""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.errors import ShapeError
from glassnet.layers.base import layer_from_config, layer_to_config
from glassnet.layers.blocks.base import Block
from glassnet.layers.recurrent.sequence import Recurrent


class Bidirectional(Block):
    """``layer`` (SimpleRNN, GRU or LSTM) run forwards and, as a copy, backwards in time."""

    kind = "bidirectional"
    input_layout = "sequence"

    def __init__(self, layer: Recurrent | dict) -> None:
        super().__init__()
        self.layer = layer_from_config(layer) if isinstance(layer, dict) else layer
        if not isinstance(self.layer, Recurrent):
            raise ValueError(f"Bidirectional: wraps a recurrent layer (SimpleRNN, GRU, LSTM), "
                             f"got {self.layer.describe()}")
        self.backward_layer = layer_from_config(layer_to_config(self.layer))
        self.return_sequences = self.layer.return_sequences
        self.output_layout = self.layer.output_layout

    def config(self) -> dict:
        return {"layer": layer_to_config(self.layer)}

    def describe(self) -> str:
        return f"Bidirectional({self.layer.describe()})"

    def set_mask(self, mask: Any) -> None:
        """A fixed mask (m, T_x) for both directions (reversed for the backward one)."""
        self.layer.set_mask(mask)
        self.backward_layer.set_mask(None if mask is None else mask[:, ::-1])

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        n_a, *rest = self.layer.compute_output_shape(input_shape)
        return (2 * n_a, *rest)

    def _build_parts(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        self._part("f", self.layer)
        self._part("b", self.backward_layer)
        self._build_chain([self.layer], input_shape, rng, dtype)
        self._build_chain([self.backward_layer], input_shape, rng, dtype)
        return self.compute_output_shape(input_shape)

    def forward(self, A_prev: Any, training: bool = False, mask: Any = None) -> Any:
        if not self.built:
            raise RuntimeError(f"{self.describe()}: build() the layer before forward()")
        xp = get_xp()
        if A_prev.ndim != 3:
            raise ShapeError(f"{self.describe()}: expected sequences (n_x, m, T_x), "
                             f"got {tuple(A_prev.shape)}")
        for layer in (self.layer, self.backward_layer):
            layer.propagate_input_grad = self.propagate_input_grad
        reverse = None if mask is None else xp.asarray(mask)[:, ::-1]
        A_f = self.layer.forward(A_prev, training, mask=mask)
        A_b = self.backward_layer.forward(A_prev[:, :, ::-1], training, mask=reverse)
        if self.return_sequences:
            A_b = A_b[:, :, ::-1]  # a<-(t) back at step t
        return xp.concatenate([A_f, A_b], axis=0)

    def backward(self, dA: Any) -> Any:
        xp = get_xp()
        n_a = self.layer.units
        dA_b = dA[n_a:]
        if self.return_sequences:
            dA_b = xp.ascontiguousarray(dA_b[:, :, ::-1])
        dX = self.layer.backward(xp.ascontiguousarray(dA[:n_a]))
        dX_b = self.backward_layer.backward(dA_b)
        if dX is None:
            return None
        dX += dX_b[:, :, ::-1]
        return dX
