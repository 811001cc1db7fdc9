"""The recurrent cells of Course 5 week 1: one time step forward and backward.

Every cell's gates are stacked row-wise, so a step is ONE matrix product with the
recurrent weights (the notes' W_a = [W_aa | W_ax] split in its recurrent and input halves):
the input half ``W_ax x<t> + b`` of every step is computed before the time loop (one GEMM
over all T_x steps, :mod:`glassnet.layers.recurrent.sequence`) and handed to :meth:`step`
as ``p`` (G, m), G = n_gates n_a.  Shapes: states (n_a, m), examples as columns.

=========  ==========================================================  ===================
cell       equations (the notes)                                       rows of Waa, Wax, ba
=========  ==========================================================  ===================
RNN        a<t> = g(W_aa a<t-1> + W_ax x<t> + b_a), g = tanh or relu   a
LSTM       Gamma_u = s(W_u [a<t-1>; x<t>] + b_u)   (s: sigmoid)         u, f, o, c~
           Gamma_f = s(W_f [a<t-1>; x<t>] + b_f)
           Gamma_o = s(W_o [a<t-1>; x<t>] + b_o)
           c~<t>   = tanh(W_c [a<t-1>; x<t>] + b_c)
           c<t>    = Gamma_u * c~<t> + Gamma_f * c<t-1>
           a<t>    = Gamma_o * tanh(c<t>)
GRU        Gamma_u = s(W_u [c<t-1>, x<t>] + b_u)                       u, r, c~
           Gamma_r = s(W_r [c<t-1>, x<t>] + b_r)
           c~<t>   = tanh(W_c [Gamma_r * c<t-1>, x<t>] + b_c)
           c<t>    = Gamma_u * c~<t> + (1 - Gamma_u) * c<t-1>,  a<t> = c<t>
=========  ==========================================================  ===================

The notes' GRU needs Gamma_r before the candidate's product, so it takes two products a
step ([u; r] rows, then the c~ rows).  ``reset_after=True`` is the variant of cuDNN and
PyTorch, c~<t> = tanh(W_cx x<t> + b_c + Gamma_r * (W_cc c<t-1> + b_cc)), one product a step.

:meth:`step` returns the new states, a cache and the operands of the recurrent products
(the layer forms dW_aa = sum_t dZ_rec<t> operand<t>^T as one GEMM after the loop);
:meth:`step_backward` returns dp (the gradient of the input half, (G, m)), dZ_rec (that of
the recurrent products) and the gradients of the previous states.  The gate functions
(:func:`lstm_gates_forward`, ...) are shared with the course's step-by-step functions
(:mod:`glassnet.layers.recurrent.reference`).
"""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp


def sigmoid_(Z: Any) -> Any:
    """s(Z) = 1 / (1 + exp(-Z)) written over Z, as 0.5 (1 + tanh(Z / 2)) (no overflow)."""
    xp = get_xp()
    Z *= 0.5
    xp.tanh(Z, out=Z)
    Z += 1.0
    Z *= 0.5
    return Z


# -- the gate equations, shared with the course's functions -------------------------------
def rnn_activation_forward(Z: Any, activation: str) -> Any:
    """a<t> = g(Z), Z = W_aa a<t-1> + W_ax x<t> + b_a (overwritten)."""
    xp = get_xp()
    if activation == "tanh":
        return xp.tanh(Z, out=Z)
    return xp.maximum(Z, 0, out=Z)


def rnn_activation_backward(da: Any, a: Any, activation: str) -> Any:
    """dZ = da * g'(Z): (1 - a<t>^2) for tanh, [a<t> > 0] for relu."""
    if activation == "tanh":
        return da * (1 - a * a)
    return da * (a > 0)


def lstm_gates_forward(Z: Any, c_prev: Any) -> tuple[Any, Any, tuple]:
    """The LSTM from its stacked pre-activations Z = [z_u; z_f; z_o; z_c] (4 n_a, m).

    Gamma_u, Gamma_f, Gamma_o = s(z_u), s(z_f), s(z_o); c~ = tanh(z_c);
    c<t> = Gamma_u * c~ + Gamma_f * c<t-1>; a<t> = Gamma_o * tanh(c<t>).  Z is overwritten
    by [Gamma_u; Gamma_f; Gamma_o; c~].  Returns a<t>, c<t> and the gates' cache.
    """
    xp = get_xp()
    n_a = Z.shape[0] // 4
    sigmoid_(Z[: 3 * n_a])
    xp.tanh(Z[3 * n_a :], out=Z[3 * n_a :])
    Gu, Gf, Go, cc = Z[:n_a], Z[n_a : 2 * n_a], Z[2 * n_a : 3 * n_a], Z[3 * n_a :]
    c = Gu * cc
    c += Gf * c_prev
    tc = xp.tanh(c)
    a = Go * tc
    return a, c, (Z, c_prev, tc)


def lstm_gates_backward(da: Any, dc_next: Any, cache: tuple) -> tuple[Any, Any]:
    """dZ (4 n_a, m) and dc<t-1> from da<t> and dc<t> (the gradient reaching c<t> directly).

    dc      = dc<t> + da<t> Gamma_o (1 - tanh(c<t>)^2)
    dGamma_o = da<t> tanh(c<t>),  dGamma_u = dc c~,  dGamma_f = dc c<t-1>,  dc~ = dc Gamma_u
    dz_gate = dGamma s'(.) = dGamma Gamma (1 - Gamma),  dz_c = dc~ (1 - c~^2)
    dc<t-1> = dc Gamma_f
    """
    xp = get_xp()
    G, c_prev, tc = cache
    n_a = G.shape[0] // 4
    Gu, Gf, Go, cc = G[:n_a], G[n_a : 2 * n_a], G[2 * n_a : 3 * n_a], G[3 * n_a :]
    dc = da * Go * (1 - tc * tc)
    dc += dc_next
    dZ = xp.empty_like(G)
    dZ[:n_a] = dc * cc
    dZ[n_a : 2 * n_a] = dc * c_prev
    dZ[2 * n_a : 3 * n_a] = da * tc
    S = G[: 3 * n_a]
    dZ[: 3 * n_a] *= S * (1 - S)
    dZ[3 * n_a :] = dc * Gu * (1 - cc * cc)
    return dZ, dc * Gf


# -- the cells: one step with the stacked weights ------------------------------------------
class Cell:
    """One time step of a recurrent layer with ``n_a`` units (see the module's table)."""

    #: G = n_gates n_a rows in Waa, Wax and ba
    n_gates = 1
    #: the states carried from step to step: (a,) or (a, c)
    n_states = 1
    #: extra bias inside the recurrent product (the reset_after GRU's b_cc), or None
    recurrent_bias: slice | None = None
    #: whether dZ_rec differs from dp (the reset_after GRU)
    separate_drec = False

    def __init__(self, n_a: int) -> None:
        self.n_a = int(n_a)

    @property
    def groups(self) -> list[slice]:
        """Row blocks of Waa multiplied by one operand each (dWaa[rows] = dZ_rec op^T)."""
        return [slice(0, self.n_gates * self.n_a)]

    def step(self, p: Any, states: tuple, params: dict) -> tuple[tuple, Any, tuple]:
        raise NotImplementedError

    def step_backward(self, d_states: tuple, cache: Any, params: dict) -> tuple[Any, Any, tuple]:
        raise NotImplementedError


class RNNCell(Cell):
    """a<t> = g(W_aa a<t-1> + W_ax x<t> + b_a); p = W_ax x<t> + b_a."""

    def __init__(self, n_a: int, activation: str = "tanh") -> None:
        super().__init__(n_a)
        if activation not in ("tanh", "relu"):
            raise ValueError(f"SimpleRNN: activation must be tanh or relu, got {activation!r}")
        self.activation = activation

    def step(self, p, states, params):
        (a_prev,) = states
        Z = params["Waa"] @ a_prev
        Z += p
        a = rnn_activation_forward(Z, self.activation)
        return (a,), a, (a_prev,)

    def step_backward(self, d_states, a, params):
        dZ = rnn_activation_backward(d_states[0], a, self.activation)
        return dZ, dZ, (params["Waa"].T @ dZ,)  # da<t-1> = W_aa^T dZ<t>


class LSTMCell(Cell):
    """The LSTM: Z = W_aa a<t-1> + p, p = W_ax x<t> + b (rows u, f, o, c~), then
    :func:`lstm_gates_forward`."""

    n_gates = 4
    n_states = 2

    def step(self, p, states, params):
        a_prev, c_prev = states
        Z = params["Waa"] @ a_prev
        Z += p
        a, c, cache = lstm_gates_forward(Z, c_prev)
        return (a, c), cache, (a_prev,)

    def step_backward(self, d_states, cache, params):
        da, dc = d_states
        dZ, dc_prev = lstm_gates_backward(da, dc, cache)
        return dZ, dZ, (params["Waa"].T @ dZ, dc_prev)


class GRUCell(Cell):
    """The notes' full GRU (rows u, r, c~; a<t> = c<t>), or with ``reset_after`` the
    variant c~<t> = tanh(p_c + Gamma_r * (W_cc c<t-1> + b_cc)) of PyTorch and cuDNN."""

    n_gates = 3

    def __init__(self, n_a: int, reset_after: bool = False) -> None:
        super().__init__(n_a)
        self.reset_after = bool(reset_after)
        if self.reset_after:
            self.recurrent_bias = slice(2 * self.n_a, 3 * self.n_a)
            self.separate_drec = True

    @property
    def groups(self) -> list[slice]:
        n = self.n_a
        return [slice(0, 3 * n)] if self.reset_after else [slice(0, 2 * n), slice(2 * n, 3 * n)]

    def step(self, p, states, params):
        xp = get_xp()
        n = self.n_a
        (c_prev,) = states
        Waa = params["Waa"]
        if self.reset_after:
            R = Waa @ c_prev  # one product for the three blocks
            h = R[2 * n :]
            h += params["bca"]
            Gs = R[: 2 * n]
        else:
            Gs = Waa[: 2 * n] @ c_prev
        Gs += p[: 2 * n]
        sigmoid_(Gs)  # [Gamma_u; Gamma_r]
        Gu, Gr = Gs[:n], Gs[n:]
        if self.reset_after:
            zc = Gr * h
            operands = (c_prev,)
        else:
            h = Gr * c_prev  # Gamma_r * c<t-1>
            zc = Waa[2 * n :] @ h
            operands = (c_prev, h)
        zc += p[2 * n :]
        cc = xp.tanh(zc, out=zc)  # c~<t>
        c = cc - c_prev
        c *= Gu
        c += c_prev  # c<t> = Gamma_u c~ + (1 - Gamma_u) c<t-1>
        return (c,), (Gs, cc, c_prev, h), operands

    def step_backward(self, d_states, cache, params):
        xp = get_xp()
        n = self.n_a
        Gs, cc, c_prev, h = cache
        Gu, Gr = Gs[:n], Gs[n:]
        Waa = params["Waa"]
        (dc,) = d_states
        dp = xp.empty((3 * n, dc.shape[1]), dtype=dc.dtype)
        dp[:n] = dc * (cc - c_prev)  # dGamma_u
        dzc = dc * Gu
        dzc *= 1 - cc * cc  # dz_c = dc Gamma_u (1 - c~^2)
        dp[2 * n :] = dzc
        dc_prev = dc * (1 - Gu)
        if self.reset_after:
            dp[n : 2 * n] = dzc * h  # dGamma_r
        else:
            dh = Waa[2 * n :].T @ dzc  # d(Gamma_r * c<t-1>)
            dp[n : 2 * n] = dh * c_prev
            dc_prev += dh * Gr
        dp[: 2 * n] *= Gs * (1 - Gs)  # through the sigmoids
        if self.reset_after:
            drec = dp.copy()
            drec[2 * n :] = Gr * dzc  # d(W_cc c<t-1> + b_cc)
            dc_prev += Waa.T @ drec
        else:
            drec = dp
            dc_prev += Waa[: 2 * n].T @ dp[: 2 * n]
        return dp, drec, (dc_prev,)
