"""L2 (weight decay) and L1 regularization (Course 2), on the course's dictionaries.

The regularized cost adds a penalty on the weight matrices::

    J = 1/m sum_i L(y_hat(i), y(i))  +  lambda/(2m) sum_l ||W[l]||_F^2          (L2)
    J = 1/m sum_i L(y_hat(i), y(i))  +  lambda/(2m) sum_l ||W[l]||_1            (L1)

with ||W||_F^2 = sum_ij W_ij^2 (Frobenius) and ||W||_1 = sum_ij |W_ij|, so the
gradients from backprop gain::

    dW[l] += lambda/m W[l]              (L2: "weight decay")
    dW[l] += lambda/(2m) sign(W[l])     (L1: makes W sparse)

Both follow the notes' J = ... + lambda/(2m) (reg-factor); the L1 penalty is
therefore lambda/(2m) ||W||_1 (sign(0) = 0 at the kink).

**Which arrays are penalized.**  Only weights: the parameters whose name
starts with ``"W"`` (``W1``, ``W3`` of a convolution, ``W_a2``, ``Wq4``, ...).
Biases ``b``, batch-norm ``gamma``/``beta`` and any other parameter are left
out: the notes omit b because it has few components next to W.

``m`` is the number of examples the cost is averaged over (the mini-batch size).
Gradient updates are in place; a weight whose gradient is missing from
``grads`` (a frozen layer) is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from glassnet.core.backend import get_xp


def is_weight(name: str) -> bool:
    """True for the names the penalty applies to: those starting with ``"W"``."""
    return name.startswith("W")


def weights(parameters: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(name, W) for every weight in ``parameters``."""
    return ((k, p) for k, p in parameters.items() if is_weight(k))


def _check(lambd: float, m: int) -> tuple[float, int]:
    lambd = float(lambd)
    if not lambd >= 0.0:
        raise ValueError(f"regularization strength lambd must be >= 0, got {lambd}")
    if int(m) < 1:
        raise ValueError(f"m (the number of examples) must be >= 1, got {m}")
    return lambd, int(m)


def _sum_squares(W: Any) -> float:
    flat = W.reshape(-1)
    return float(get_xp().vdot(flat, flat))


def l2_cost(parameters: Mapping[str, Any], lambd: float, m: int) -> float:
    """lambda/(2m) sum_l ||W[l]||_F^2 over the weights of ``parameters``."""
    lambd, m = _check(lambd, m)
    if lambd == 0.0:
        return 0.0
    return lambd / (2.0 * m) * sum(_sum_squares(W) for _, W in weights(parameters))


def add_l2_grads(
    parameters: Mapping[str, Any], grads: Mapping[str, Any], lambd: float, m: int
) -> None:
    """dW[l] += lambda/m W[l], in place, for each weight with a gradient."""
    lambd, m = _check(lambd, m)
    if lambd == 0.0:
        return
    c = lambd / m
    for name, W in weights(parameters):
        dW = grads.get("d" + name)
        if dW is not None:
            dW += c * W


def l1_cost(parameters: Mapping[str, Any], lambd: float, m: int) -> float:
    """lambda/(2m) sum_l ||W[l]||_1 over the weights of ``parameters``."""
    lambd, m = _check(lambd, m)
    if lambd == 0.0:
        return 0.0
    xp = get_xp()
    return lambd / (2.0 * m) * sum(float(xp.abs(W).sum()) for _, W in weights(parameters))


def add_l1_grads(
    parameters: Mapping[str, Any], grads: Mapping[str, Any], lambd: float, m: int
) -> None:
    """dW[l] += lambda/(2m) sign(W[l]), in place, for each weight with a gradient."""
    lambd, m = _check(lambd, m)
    if lambd == 0.0:
        return
    xp = get_xp()
    c = lambd / (2.0 * m)
    for name, W in weights(parameters):
        dW = grads.get("d" + name)
        if dW is not None:
            dW += c * xp.sign(W)


class Regularizer:
    """L1 and/or L2 penalty on the weights: ``Regularizer(l2=0.7)`` is the course's lambda = 0.7.

    ``cost(parameters, m)`` is the term added to J; ``add_grads(parameters,
    grads, m)`` adds its gradient to ``grads`` in place.
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        _check(l1, 1)
        _check(l2, 1)
        self.l1 = float(l1)
        self.l2 = float(l2)

    @property
    def active(self) -> bool:
        return self.l1 > 0.0 or self.l2 > 0.0

    def cost(self, parameters: Mapping[str, Any], m: int) -> float:
        """lambda2/(2m) sum ||W||_F^2 + lambda1/(2m) sum ||W||_1."""
        total = 0.0
        if self.l2:
            total += l2_cost(parameters, self.l2, m)
        if self.l1:
            total += l1_cost(parameters, self.l1, m)
        return total

    def add_grads(self, parameters: Mapping[str, Any], grads: Mapping[str, Any], m: int) -> None:
        """dW += lambda2/m W + lambda1/(2m) sign(W), in place."""
        if self.l2:
            add_l2_grads(parameters, grads, self.l2, m)
        if self.l1:
            add_l1_grads(parameters, grads, self.l1, m)

    def config(self) -> dict[str, float]:
        return {"l1": self.l1, "l2": self.l2}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Regularizer:
        return cls(**dict(config))

    def __repr__(self) -> str:
        return f"Regularizer(l1={self.l1!r}, l2={self.l2!r})"


def get_regularizer(spec: Regularizer | Mapping[str, Any] | float | None) -> Regularizer:
    """A Regularizer from an instance, a config dict, a number (the L2 lambda) or None (off)."""
    if isinstance(spec, Regularizer):
        return spec
    if spec is None:
        return Regularizer()
    if isinstance(spec, Mapping):
        return Regularizer.from_config(spec)
    if isinstance(spec, (int, float)):
        return Regularizer(l2=float(spec))
    raise TypeError(f"regularizer spec must be a Regularizer, a dict or a number, got {spec!r}")
