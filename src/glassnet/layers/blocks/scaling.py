"""EfficientNet compound scaling (Course 4, week 2): depth alpha^phi, width beta^phi,
resolution gamma^phi, with alpha beta^2 gamma^2 ~ 2 so the FLOPs grow about 2^phi."""

from __future__ import annotations

import math


def compound_scaling(
    phi: float, alpha: float = 1.2, beta: float = 1.1, gamma: float = 1.15
) -> dict[str, float]:
    """EfficientNet compound scaling: depth alpha^phi, width beta^phi, resolution gamma^phi.

    With the defaults alpha * beta^2 * gamma^2 ~ 2, so the FLOPs grow about 2^phi.
    """
    return {
        "depth": float(alpha) ** phi,
        "width": float(beta) ** phi,
        "resolution": float(gamma) ** phi,
    }


def scale_width(channels: int, width: float, divisor: int = 8) -> int:
    """Channels times ``width``, rounded to a multiple of ``divisor`` (never below 90%)."""
    c = channels * width
    new = max(divisor, int(c + divisor / 2) // divisor * divisor)
    if new < 0.9 * c:
        new += divisor
    return int(new)


def scale_depth(repeats: int, depth: float) -> int:
    """ceil(repeats * depth): how many times to repeat a stage."""
    return int(math.ceil(repeats * depth))


def scale_resolution(size: int, resolution: float) -> int:
    """round(size * resolution): the input image size."""
    return int(round(size * resolution))
