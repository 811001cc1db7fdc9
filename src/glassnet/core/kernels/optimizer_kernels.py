"""Fused CPU kernels for the optimizers' updates (optional, through numba).

The optimizers in :mod:`glassnet.optimizers` write each update as a short sequence of
in-place array operations, the equations of the notes one line at a time.  On the CPU
that costs one pass over the parameter per operation (about a dozen for Adam).  When
`numba <https://numba.pydata.org>`_ is installed, a large NumPy parameter is instead
updated by one compiled loop per optimizer that reads ``W``, ``dW`` and the state once
and writes them once, the way PyTorch's fused Adam does::

    momentum   v := beta v + (1 - beta) dW;                 W := W - (alpha v)
    rmsprop    s := beta2 s + (1 - beta2) dW^2;             W := W - (alpha dW / (sqrt(s) + eps))
    adam       v := beta1 v + (1 - beta1) dW;  s := beta2 s + (1 - beta2) dW^2
               W := W - (step_size v / (sqrt(s) + eps_hat))

(Adam's bias corrections are folded into ``step_size`` and ``eps_hat``, as in
:class:`glassnet.optimizers.Adam`.)  Every element goes through the same float
operations, in the same order and in the parameter's own precision, as the NumPy
sequence, so the two paths give the same parameters bit for bit
(``tests/test_fused.py``); the kernels are only faster.

The kernels pay off on large parameters and cost something fixed: importing numba and
loading the compiled kernels takes about 0.9 s and 120 MiB of memory once per process
(compiled on first use, then cached on disk by numba, ``cache=True``).  So an optimizer
uses them only for a step with at least :data:`MIN_ELEMENTS` parameters in all; smaller
models never import numba.  Set ``GLASSNET_FUSED=0`` to use the NumPy sequence everywhere,
and call :func:`load` to pay the start-up cost up front.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy

_KERNELS: dict[str, Callable[..., None]] | None = None
_FAILED = False
_DISABLED_VALUES = frozenset(("0", "false", "no", "off"))

#: a step needs this many parameters in all before the kernels are used (below it, the
#: NumPy sequence costs less than loading numba would)
MIN_ELEMENTS = 1 << 17


def switched_on() -> bool:
    """Whether ``GLASSNET_FUSED`` allows compiled kernels (unset, or not 0/false/no/off)."""
    return os.environ.get("GLASSNET_FUSED", "1").strip().lower() not in _DISABLED_VALUES


def enabled() -> bool:
    """Whether the fused kernels are used: numba importable and ``GLASSNET_FUSED`` not 0."""
    if not switched_on():
        return False
    return _kernels() is not None


def numba_jit() -> Callable[[Callable[..., Any]], Callable[..., Any]] | None:
    """numba's ``njit`` as glassnet's compiled kernels use it, or None without numba.

    ``cache=True``: compiled once, then loaded from numba's on-disk cache.
    ``error_model="numpy"``: a division by zero gives inf as in NumPy instead of raising,
    which also lets the compiler vectorize the loops (SIMD over 8 or 16 elements at a time).
    Shared by the optimizer kernels here and the pooling kernels
    (:mod:`glassnet.layers.compiled`).
    """
    global _FAILED
    if _FAILED:
        return None
    try:
        import numba
    except Exception:  # numba missing or broken: the NumPy path is used
        _FAILED = True
        return None
    return numba.njit(cache=True, nogil=True, error_model="numpy")


def _kernels() -> dict[str, Callable[..., None]] | None:
    """The compiled kernels by optimizer name (None when numba is missing)."""
    global _KERNELS
    if _KERNELS is not None:
        return _KERNELS
    jit = numba_jit()
    if jit is None:
        return None

    # each rule once, for one element: (the step that W -= subtracts, the new state)
    @jit
    def momentum_rule(g, v, lr, beta, one_minus_beta):
        v = v * beta + g * one_minus_beta  # v = beta v + (1 - beta) dW
        return v * lr, v  # alpha v

    @jit
    def rmsprop_rule(g, s, lr, beta2, one_minus_beta2, eps):
        s = s * beta2 + (g * g) * one_minus_beta2  # s = beta2 s + (1 - beta2) dW^2
        return (g / (numpy.sqrt(s) + eps)) * lr, s  # alpha dW / (sqrt(s) + eps)

    @jit
    def adam_rule(g, v, s, b1, one_minus_b1, b2, one_minus_b2, step_size, eps_hat):
        v = v * b1 + g * one_minus_b1  # v = beta1 v + (1 - beta1) dW
        s = s * b2 + (g * g) * one_minus_b2  # s = beta2 s + (1 - beta2) dW^2
        return (v / (numpy.sqrt(s) + eps_hat)) * step_size, v, s

    # the loops: W -= step in place ("adam"), or the step written into ``out`` ("adam_step":
    # for a group of small parameters gathered into one flat buffer, applied afterwards)
    @jit
    def momentum(W, dW, v, *c):
        for i in range(W.size):
            step, v[i] = momentum_rule(dW[i], v[i], *c)
            W[i] -= step

    @jit
    def momentum_step(out, dW, v, *c):
        for i in range(out.size):
            out[i], v[i] = momentum_rule(dW[i], v[i], *c)

    @jit
    def rmsprop(W, dW, s, *c):
        for i in range(W.size):
            step, s[i] = rmsprop_rule(dW[i], s[i], *c)
            W[i] -= step

    @jit
    def rmsprop_step(out, dW, s, *c):
        for i in range(out.size):
            out[i], s[i] = rmsprop_rule(dW[i], s[i], *c)

    @jit
    def adam(W, dW, v, s, *c):
        for i in range(W.size):
            step, v[i], s[i] = adam_rule(dW[i], v[i], s[i], *c)
            W[i] -= step

    @jit
    def adam_step(out, dW, v, s, *c):
        for i in range(out.size):
            out[i], v[i], s[i] = adam_rule(dW[i], v[i], s[i], *c)

    _KERNELS = {
        "momentum": momentum,
        "rmsprop": rmsprop,
        "adam": adam,
        "momentum_step": momentum_step,
        "rmsprop_step": rmsprop_step,
        "adam_step": adam_step,
    }
    return _KERNELS


def load(dtypes: tuple[Any, ...] = (numpy.float32, numpy.float64)) -> bool:
    """Import numba and compile (or load from numba's cache) every kernel for ``dtypes``.

    Optional: the kernels are otherwise loaded on the first large step.  True when the
    kernels are available.
    """
    if not enabled():
        return False
    # (state arrays, constants) of each rule: any values compile the same kernel
    rules = {
        "momentum": (1, (0.0, 0.0, 1.0)),
        "rmsprop": (1, (0.0, 0.0, 1.0, 1.0)),
        "adam": (2, (0.0, 1.0, 0.0, 1.0, 0.0, 1.0)),
    }
    for dtype in dtypes:
        for name, (n_state, constants) in rules.items():
            for kernel in (name, name + "_step"):
                W, dW, *state = (numpy.zeros(1, dtype) for _ in range(2 + n_state))
                _call(kernel, W, dW, state, constants)
    return True


def update(name: str, W: Any, dW: Any, state: list[Any], constants: tuple[float, ...]) -> bool:
    """Apply optimizer ``name``'s whole update to ``W`` in one pass; False when it can't.

    ``W``, ``dW`` and the state arrays must be C-contiguous NumPy arrays of one float
    dtype; ``constants`` are the optimizer's ``_constants`` (converted to that dtype, as
    NumPy converts a Python float in ``W *= c``).
    """
    return _call(name, W, dW, state, constants)


def direction(name: str, out: Any, dW: Any, state: list[Any], constants: tuple[float, ...]) -> bool:
    """Update the state and write the step (what ``W -=`` subtracts) into ``out``, in one
    pass; False when it can't.  The same arrays as :func:`update`, ``out`` in W's place."""
    return _call(name + "_step", out, dW, state, constants)


def _call(name: str, W: Any, dW: Any, state: list[Any], constants: tuple[float, ...]) -> bool:
    if not enabled():
        return False
    kernel = _kernels().get(name)
    if kernel is None:
        return False
    dtype = W.dtype
    if dtype != numpy.float32 and dtype != numpy.float64:
        return False
    for a in (W, dW, *state):
        if type(a) is not numpy.ndarray or a.dtype != dtype or not a.flags.c_contiguous:
            return False
    if not W.flags.writeable:
        return False
    kernel(
        W.reshape(-1),
        dW.reshape(-1),
        *(a.reshape(-1) for a in state),
        *(dtype.type(c) for c in constants),
    )
    return True
