"""Sequence layers: a cell applied at every time step, backpropagated through time.

Input x (n_x, m, T_x); the states a<t> (n_a, m).  ``return_sequences=True`` gives all of
a<1..T_x> (n_a, m, T_x) (many-to-many, the ``sequence`` layout), ``False`` the last a<T_x>
(n_a, m) (many-to-one, the ``dense`` layout).  The loop runs over the time steps only::

    P = W_ax X + b_a                one GEMM over the m T_x columns, before the loop
    for t = 1..T_x:  a<t>, (c<t>) = cell(P<t>, a<t-1>, (c<t-1>))   one GEMM with W_aa

Backpropagation through time (the notes' dW_aa = sum_t dW_aa<t>, ...) runs t = T_x..1,
adding the gradient that comes from a<t>'s output to the one from step t+1, and forms the
weight gradients after the loop, one GEMM each::

    dW_ax = 1/m sum_t dP<t> x<t>^T,  dW_aa = 1/m sum_t dZ_rec<t> a<t-1>^T,  db_a = 1/m sum dP
    dx<t> = W_ax^T dP<t>

Initial states: zero, or ``forward(X, initial_state=a0)`` (LSTM: ``(a0, c0)``); after
backward ``d_initial_state`` holds their per-example gradients.  Masking of padded steps:
``forward(X, mask=M)`` with M (m, T_x) (true: a real step), or ``mask_value``: a step whose
x<t> equals ``mask_value`` everywhere is padding.  At a masked step the states are carried
(a<t> = a<t-1>, c<t> = c<t-1>), so they skip it and no gradient flows through the cell.
"""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.errors import ShapeError
from glassnet.functions.initializers import initialize_weight
from glassnet.layers.base import Layer
from glassnet.layers.recurrent.cells import Cell, GRUCell, LSTMCell, RNNCell


class Recurrent(Layer):
    """Base of :class:`SimpleRNN`, :class:`GRU` and :class:`LSTM` (``units`` = n_a)."""

    input_layout = "sequence"
    output_layout = "sequence"

    def __init__(self, units: int, return_sequences: bool = True,
                 mask_value: float | None = None, init: str = "xavier",
                 recurrent_init: str = "xavier", init_scale: float = 0.01) -> None:
        super().__init__()
        if int(units) < 1:
            raise ValueError(f"{type(self).__name__}: units must be a positive integer, "
                             f"got {units}")
        self.units = int(units)
        self.return_sequences = bool(return_sequences)
        self.output_layout = "sequence" if self.return_sequences else "dense"
        self.mask_value = None if mask_value is None else float(mask_value)
        self.init, self.recurrent_init = init, recurrent_init
        self.init_scale = float(init_scale)
        self.cell = self._make_cell()
        #: a fixed mask (m, T_x) used when forward() is given none (:meth:`set_mask`)
        self.mask: Any = None
        self.last_states: tuple = ()
        self.d_initial_state: tuple = ()

    def _make_cell(self) -> Cell:
        raise NotImplementedError

    def config(self) -> dict:
        return {"units": self.units, "return_sequences": self.return_sequences,
                "mask_value": self.mask_value, "init": self.init,
                "recurrent_init": self.recurrent_init, "init_scale": self.init_scale}

    def describe(self) -> str:
        return f"{type(self).__name__}({self.units})"

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(input_shape) != 2:
            raise ShapeError(f"{self.describe()}: takes sequences (n_x, m, T_x); got example "
                             f"shape {tuple(input_shape)}")
        return (self.units, input_shape[1]) if self.return_sequences else (self.units,)

    def build(self, input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        out = super().build(input_shape, rng, dtype)
        xp = get_xp()
        n_x, n_a = self.input_shape[0], self.units
        G = self.cell.n_gates * n_a
        Wax = initialize_weight(self.init, (G, n_x), n_x, n_a, rng, self.init_scale)
        Waa = initialize_weight(self.recurrent_init, (G, n_a), n_a, n_a, rng, self.init_scale)
        self.params = {"Waa": xp.asarray(Waa, dtype=dtype), "Wax": xp.asarray(Wax, dtype=dtype),
                       "ba": xp.zeros((G, 1), dtype=dtype)}
        if self.cell.recurrent_bias is not None:
            self.params["bca"] = xp.zeros((n_a, 1), dtype=dtype)
        self._init_biases()
        return out

    def _init_biases(self) -> None:
        """Subclasses' bias starts (the LSTM's forget gate)."""

    def set_mask(self, mask: Any) -> None:
        """Use ``mask`` (m, T_x; true at real steps, None: no mask) in every forward pass that
        is given none (a model's passes, a gradient check)."""
        self.mask = mask

    # -- forward ----------------------------------------------------------------------
    def _mask(self, X: Any, mask: Any) -> Any:
        """The (T_x, 1, m) boolean mask of real steps, or None."""
        xp = get_xp()
        if mask is None:
            mask = self.mask
        if mask is None and self.mask_value is not None:
            mask = ~xp.all(X == self.mask_value, axis=0)  # (m, T_x)
        if mask is None:
            return None
        mask = xp.asarray(mask).astype(bool)
        if mask.shape != (X.shape[1], X.shape[2]):
            raise ShapeError(f"{self.describe()}: the mask must be (m, T_x) = "
                             f"{(X.shape[1], X.shape[2])}, got {tuple(mask.shape)}")
        return xp.ascontiguousarray(mask.T)[:, None, :]

    def _initial(self, initial_state: Any, m: int, dtype: Any) -> tuple:
        xp = get_xp()
        k = self.cell.n_states
        if initial_state is None:
            return tuple(xp.zeros((self.units, m), dtype=dtype) for _ in range(k))
        states = (initial_state,) if k == 1 and not isinstance(initial_state, tuple | list) \
            else tuple(initial_state)
        if len(states) != k or any(s.shape != (self.units, m) for s in states):
            raise ShapeError(f"{self.describe()}: the initial state must be {k} array(s) of "
                             f"shape {(self.units, m)}")
        return tuple(xp.asarray(s, dtype=dtype) for s in states)

    def forward(self, A_prev: Any, training: bool = False, mask: Any = None,
                initial_state: Any = None) -> Any:
        xp = get_xp()
        X = A_prev
        if X.ndim != 3:
            raise ShapeError(f"{self.describe()}: expected sequences (n_x, m, T_x), "
                             f"got {tuple(X.shape)}")
        n_x, m, T = X.shape
        if self.input_shape is not None and n_x != self.input_shape[0]:  # any T_x runs
            raise ShapeError(f"{self.describe()}: expected sequences ({self.input_shape[0]}, m, "
                             f"T_x), got {tuple(X.shape)}")
        p, cell, n_a = self.params, self.cell, self.units
        G = cell.n_gates * n_a
        X2 = xp.ascontiguousarray(X.transpose(0, 2, 1)).reshape(n_x, T * m)  # column t m + i
        P = p["Wax"] @ X2  # W_ax x<t> + b_a for every t: one GEMM
        P += p["ba"]
        P = P.reshape(G, T, m)
        mk = self._mask(X, mask)
        states = self._initial(initial_state, m, X.dtype)
        H = xp.empty((n_a, T, m), dtype=X.dtype) if self.return_sequences else None
        ops = [xp.empty((n_a, T, m), dtype=X.dtype) for _ in cell.groups]
        caches = []
        for t in range(T):
            new, cache, operands = cell.step(P[:, t], states, p)
            for buf, op in zip(ops, operands, strict=True):
                buf[:, t] = op
            if mk is not None:  # padded steps carry the states
                new = tuple(xp.where(mk[t], s, s_prev) for s, s_prev in zip(new, states,
                                                                            strict=True))
            states = new
            if H is not None:
                H[:, t] = states[0]
            caches.append(cache)
        self.cache = (X2, (n_x, m, T), ops, caches, mk)
        self.last_states = states
        if H is None:
            return states[0]
        return xp.ascontiguousarray(H.transpose(0, 2, 1))  # (n_a, m, T_x)

    # -- backward: through time -----------------------------------------------------
    def backward(self, dA: Any) -> Any:
        xp = get_xp()
        X2, (n_x, m, T), ops, caches, mk = self.cache
        p, cell, n_a = self.params, self.cell, self.units
        G = cell.n_gates * n_a
        dtype = X2.dtype
        if self.return_sequences:
            dA_t = xp.ascontiguousarray(dA.transpose(0, 2, 1))  # (n_a, T, m)
        d_states = [xp.zeros((n_a, m), dtype=dtype) for _ in range(cell.n_states)]
        if not self.return_sequences:
            d_states[0] = d_states[0] + dA
        dP = xp.empty((G, T, m), dtype=dtype)
        dR = dP if not cell.separate_drec else xp.empty((G, T, m), dtype=dtype)
        for t in range(T - 1, -1, -1):
            if self.return_sequences:
                d_states[0] = d_states[0] + dA_t[:, t]
            carry = None
            if mk is not None:
                carry = [xp.where(mk[t], 0, d) for d in d_states]
                d_states = [xp.where(mk[t], d, 0) for d in d_states]
            dp, drec, d_prev = cell.step_backward(tuple(d_states), caches[t], p)
            dP[:, t] = dp
            if dR is not dP:
                dR[:, t] = drec
            d_states = list(d_prev)
            if carry is not None:
                d_states = [d + c for d, c in zip(d_states, carry, strict=True)]
        self.d_initial_state = tuple(d_states)
        dP2 = dP.reshape(G, T * m)
        if self.trainable:
            inv_m = 1.0 / m
            dR2 = dR.reshape(G, T * m)
            dWaa = xp.empty_like(p["Waa"])
            for rows, op in zip(cell.groups, ops, strict=True):
                dWaa[rows] = dR2[rows] @ op.reshape(n_a, T * m).T
            dWaa *= inv_m
            self.grads = {"dWaa": dWaa, "dWax": (dP2 @ X2.T) * inv_m,
                          "dba": dP2.sum(axis=1, keepdims=True) * inv_m}
            if cell.recurrent_bias is not None:
                self.grads["dbca"] = dR2[cell.recurrent_bias].sum(axis=1, keepdims=True) * inv_m
        if not self.propagate_input_grad:
            return None
        dX = (p["Wax"].T @ dP2).reshape(n_x, T, m)  # dx<t> = W_ax^T dP<t>
        return xp.ascontiguousarray(dX.transpose(0, 2, 1))


class SimpleRNN(Recurrent):
    """a<t> = g(W_aa a<t-1> + W_ax x<t> + b_a), g = tanh or relu (:class:`RNNCell`)."""

    kind = "simple_rnn"

    def __init__(self, units: int, activation: str = "tanh", **kwargs: Any) -> None:
        self.activation_name = activation
        super().__init__(units, **kwargs)

    def _make_cell(self) -> Cell:
        return RNNCell(self.units, self.activation_name)

    def config(self) -> dict:
        return {**super().config(), "activation": self.activation_name}

    def describe(self) -> str:
        return f"SimpleRNN({self.units}, {self.activation_name})"


class GRU(Recurrent):
    """The notes' full GRU (:class:`GRUCell`); ``reset_after=True``: PyTorch's variant."""

    kind = "gru"

    def __init__(self, units: int, reset_after: bool = False, **kwargs: Any) -> None:
        self.reset_after = bool(reset_after)
        super().__init__(units, **kwargs)

    def _make_cell(self) -> Cell:
        return GRUCell(self.units, self.reset_after)

    def config(self) -> dict:
        return {**super().config(), "reset_after": self.reset_after}


class LSTM(Recurrent):
    """The LSTM with update, forget and output gates (:class:`LSTMCell`); the forget
    gate's bias starts at ``forget_bias`` (rows n_a..2 n_a of ba)."""

    kind = "lstm"

    def __init__(self, units: int, forget_bias: float = 1.0, **kwargs: Any) -> None:
        self.forget_bias = float(forget_bias)
        super().__init__(units, **kwargs)

    def _make_cell(self) -> Cell:
        return LSTMCell(self.units)

    def _init_biases(self) -> None:
        self.params["ba"][self.units : 2 * self.units] = self.forget_bias

    def config(self) -> dict:
        return {**super().config(), "forget_bias": self.forget_bias}
