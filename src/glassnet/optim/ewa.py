"""Exponentially weighted averages (Course 2), the notes' V_t, with bias correction.

    V_0 = 0,  V_t = beta V_{t-1} + (1 - beta) theta_t,  V_t^corrected = V_t / (1 - beta^t)
"""

from __future__ import annotations

from typing import Any

from glassnet.core.backend import get_xp


def bias_corrected(v: Any, beta: float, t: int) -> Any:
    """V_t^corrected = V_t / (1 - beta^t), t >= 1 (Adam's v_corrected and s_corrected too)."""
    return v / (1.0 - beta**t)


# --------------------------------------------------------------------------------------
# exponentially weighted averages
# --------------------------------------------------------------------------------------
class EWA:
    """Exponentially weighted (moving) average, the notes' V_t.

    ::

        V_0 = 0
        V_t = beta V_{t-1} + (1 - beta) theta_t         (averages about 1/(1 - beta) values)
        V_t^corrected = V_t / (1 - beta^t)              (bias correction)

    ``update(theta)`` feeds one value (a number or an array) and returns the
    current average (bias-corrected when ``bias_correction``); ``value`` gives
    it again, ``v`` is the raw V_t and ``t`` the number of values seen.
    """

    def __init__(self, beta: float = 0.9, bias_correction: bool = True) -> None:
        if not 0.0 <= float(beta) < 1.0:
            raise ValueError(f"EWA: beta must be in [0, 1), got {beta}")
        self.beta = float(beta)
        self.bias_correction = bool(bias_correction)
        self.v: Any = 0.0
        self.t = 0

    def update(self, theta: Any) -> Any:
        """V_t = beta V_{t-1} + (1 - beta) theta_t; returns the (corrected) average."""
        self.t += 1
        self.v = self.beta * self.v + (1.0 - self.beta) * theta
        return self.value

    __call__ = update

    @property
    def value(self) -> Any:
        if self.t == 0:
            return self.v
        if self.bias_correction:
            return bias_corrected(self.v, self.beta, self.t)
        return self.v

    def reset(self) -> None:
        self.v = 0.0
        self.t = 0


def exponentially_weighted_average(
    values: Any, beta: float = 0.9, bias_correction: bool = True
) -> Any:
    """V_1, ..., V_T of the sequence ``values`` (time along axis 0).

    V_t = beta V_{t-1} + (1 - beta) theta_t with V_0 = 0, divided by
    (1 - beta^t) when ``bias_correction``.  ``values`` has shape (T, ...); the
    result has the same shape (float64 for integer input).  A loop over time
    steps: each V_t needs V_{t-1}.
    """
    xp = get_xp()
    theta = xp.asarray(values)
    if theta.dtype.kind not in "fc":
        theta = theta.astype(xp.float64)
    if not 0.0 <= float(beta) < 1.0:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    V = xp.empty_like(theta)
    v = xp.zeros_like(theta[0]) if theta.shape[0] else None
    for t in range(theta.shape[0]):
        v = beta * v + (1.0 - beta) * theta[t]
        V[t] = bias_corrected(v, beta, t + 1) if bias_correction else v
    return V

