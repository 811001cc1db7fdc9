"""The course's update functions on parameter dicts (Course 1, week 4; Course 2, week 2).

``parameters = {"W1": ..., "b1": ...}``, ``grads = {"dW1": ..., "db1": ...}`` and the
state ``v``, ``s`` keyed by the gradient names (``v["dW1"]``), as the notebooks write them.
Each function is one step of the library's rule (:mod:`glassnet.optim.optimizers`:
:class:`GradientDescent`, :class:`Momentum`, :class:`Adam`) run on copies: the arguments are
left as they are and the updated dicts are returned, as the notebooks' callers use them.
A parameter without a gradient in ``grads`` is left unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.optim.ewa import bias_corrected
from glassnet.optim.optimizers import Adam, GradientDescent, Momentum, Optimizer

Arrays = dict[str, Any]


def _copies(d: Mapping[str, Any]) -> Arrays:
    xp = get_xp()
    return {k: xp.array(a, copy=True) for k, a in d.items()}


def _one_step(rule: Optimizer, parameters: Mapping[str, Any], grads: Mapping[str, Any],
              state: Mapping[str, Mapping[str, Any]], t: int = 1) -> Arrays:
    """``rule.step`` as step ``t`` (1 = the first) from ``state``; returns the new parameters.

    The rule's state (``rule.v``, ``rule.s``) is left holding the updated slots.
    """
    rule.t = int(t) - 1  # step() counts it up to t
    for slot, d in state.items():
        rule.state[slot] = _copies(d)
    new = _copies(parameters)
    rule.step(new, grads)
    return new


def update_parameters(parameters: Mapping[str, Any], grads: Mapping[str, Any],
                      learning_rate: float) -> Arrays:
    """Gradient descent, W[l] := W[l] - alpha dW[l] and b[l] := b[l] - alpha db[l]."""
    return _one_step(GradientDescent(learning_rate), parameters, grads, {})


def initialize_velocity(parameters: Mapping[str, Any]) -> Arrays:
    """``v = {"dW1": 0, "db1": 0, ...}``: zeros of the parameters' shapes."""
    return Momentum().init_state(parameters)["v"]


def update_parameters_with_momentum(
    parameters: Mapping[str, Any], grads: Mapping[str, Any], v: Mapping[str, Any],
    beta: float, learning_rate: float,
) -> tuple[Arrays, Arrays]:
    """``(parameters, v)`` after v_dW := beta v_dW + (1 - beta) dW, W := W - alpha v_dW."""
    rule = Momentum(learning_rate, beta)
    new = _one_step(rule, parameters, grads, {"v": v})
    return new, dict(rule.v)


def initialize_adam(parameters: Mapping[str, Any]) -> tuple[Arrays, Arrays]:
    """``(v, s)``: Adam's first and second moments, zeros of the parameters' shapes."""
    state = Adam().init_state(parameters)
    return state["v"], state["s"]


def update_parameters_with_adam(
    parameters: Mapping[str, Any], grads: Mapping[str, Any], v: Mapping[str, Any],
    s: Mapping[str, Any], t: int, learning_rate: float = 0.01, beta1: float = 0.9,
    beta2: float = 0.999, epsilon: float = 1e-8,
) -> tuple[Arrays, Arrays, Arrays, Arrays, Arrays]:
    """``(parameters, v, s, v_corrected, s_corrected)`` after Adam's step number ``t`` (>= 1).

    v_dW := beta1 v_dW + (1 - beta1) dW,  s_dW := beta2 s_dW + (1 - beta2) dW^2,
    v_corrected = v / (1 - beta1^t),  s_corrected = s / (1 - beta2^t),
    W := W - alpha v_corrected / (sqrt(s_corrected) + eps).
    """
    if int(t) < 1:
        raise ValueError(f"update_parameters_with_adam: t counts steps from 1, got {t}")
    rule = Adam(learning_rate, beta1, beta2, epsilon)
    new = _one_step(rule, parameters, grads, {"v": v, "s": s}, t)
    v_new, s_new = dict(rule.v), dict(rule.s)
    v_corrected = {k: bias_corrected(a, beta1, int(t)) for k, a in v_new.items()}
    s_corrected = {k: bias_corrected(a, beta2, int(t)) for k, a in s_new.items()}
    return new, v_new, s_new, v_corrected, s_corrected
