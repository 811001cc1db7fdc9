"""Shared fixtures and float64 numerical-differentiation helpers for the test suite."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


def numerical_grad(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-7
) -> np.ndarray:
    """Two-sided differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) of a scalar f, float64.

    ``x`` is perturbed in place and restored; the result has ``x``'s shape.
    """
    x = np.asarray(x)
    assert x.dtype == np.float64, "numerical gradients need float64"
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f(x)
        flat[i] = old - eps
        minus = f(x)
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """The notes' ||a - b|| / (||a|| + ||b||)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def shared_data(name: str) -> Path:
    """A file under the shared data folder, or skip the test when it is not there."""
    path = None
    try:
        from glassnet.data import shared_data_path

        path = shared_data_path(name)
    except ImportError:  # pragma: no cover - older layouts
        pass
    if path is None:
        root = Path(os.environ.get("GLASSNET_DATA", REPO.parent / "shared" / "data"))
        path = root / name
    if not Path(path).exists():
        pytest.skip(f"shared data {name!r} not available")
    return Path(path)


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator, so every test draws the same numbers on every run."""
    return np.random.default_rng(1234)
