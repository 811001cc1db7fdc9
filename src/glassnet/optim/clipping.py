"""Gradient clipping (Course 5: against exploding gradients in RNNs), in place on ``grads``.

* :func:`clip_by_value` clips every component into [-limit, limit], as the
  course's ``clip`` does with ``np.clip(gradient, -maxValue, maxValue, out=gradient)``.
* :func:`clip_by_norm` rescales all gradients together when their global norm
  ||g|| = sqrt(sum_k ||dtheta_k||_F^2) exceeds ``max_norm``:
  g := g * max_norm / ||g||, which keeps the direction of the step.

Both return the global norm measured *before* clipping (worth logging: it shows
when gradients explode).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from glassnet.core.backend import get_xp


def global_norm(grads: Mapping[str, Any]) -> float:
    """sqrt(sum over all gradient arrays of the sum of their squared components)."""
    xp = get_xp()
    total = 0.0
    for g in grads.values():
        flat = g.reshape(-1)
        total += float(xp.vdot(flat, flat))
    return math.sqrt(total)


def clip_by_value(grads: Mapping[str, Any], limit: float) -> float:
    """Clip every gradient component into [-limit, limit] in place; return the pre-clip norm."""
    limit = float(limit)
    if not limit > 0.0:
        raise ValueError(f"clip_by_value: limit must be > 0, got {limit}")
    xp = get_xp()
    norm = global_norm(grads)
    for g in grads.values():
        xp.clip(g, -limit, limit, out=g)
    return norm


def clip_by_norm(grads: Mapping[str, Any], max_norm: float) -> float:
    """Scale all gradients by max_norm / ||g|| in place when ||g|| > max_norm; return ||g||.

    ||g|| is the global norm over every array in ``grads``.
    """
    max_norm = float(max_norm)
    if not max_norm > 0.0:
        raise ValueError(f"clip_by_norm: max_norm must be > 0, got {max_norm}")
    norm = global_norm(grads)
    if norm > max_norm and math.isfinite(norm):
        scale = max_norm / norm
        for g in grads.values():
            g *= scale
    return norm
