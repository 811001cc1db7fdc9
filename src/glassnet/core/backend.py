"""The array namespace ``xp``: NumPy on the CPU, CuPy on a GPU.

The math modules never import ``numpy`` for computation; they call
``backend.xp`` (through :func:`get_xp`) so that the same model runs on both.

    >>> from glassnet import backend
    >>> backend.use("numpy")        # or backend.use("cupy") with a GPU
"""

from __future__ import annotations

import types
from typing import Any

import numpy

_xp: types.ModuleType = numpy


def use(name: str) -> types.ModuleType:
    """Select the array library by name: ``"numpy"``/``"cpu"`` or ``"cupy"``/``"gpu"``."""
    global _xp
    key = name.lower()
    if key in ("numpy", "cpu"):
        _xp = numpy
    elif key in ("cupy", "gpu"):
        try:
            import cupy  # type: ignore[import-not-found]

            cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # pragma: no cover - depends on the machine
            raise RuntimeError(
                f"device 'gpu' requested but CuPy or a GPU is not available: {exc}"
            ) from None
        _xp = cupy
    else:
        raise ValueError(f"unknown backend {name!r}: expected 'numpy' or 'cupy'")
    return _xp


def set_namespace(module: types.ModuleType) -> None:
    """Install any NumPy-compatible namespace (used by tests to police NumPy-only calls)."""
    global _xp
    _xp = module


def get_xp() -> types.ModuleType:
    """The array namespace in force."""
    return _xp


def to_numpy(a: Any) -> numpy.ndarray:
    """Bring an array back to host memory as a NumPy array."""
    if isinstance(a, numpy.ndarray):
        return a
    get = getattr(a, "get", None)
    if callable(get):
        return get()
    return numpy.asarray(a)


def asarray(a: Any, dtype: Any = None) -> Any:
    """Move ``a`` into the namespace in force (no copy when already there with that dtype)."""
    return _xp.asarray(a, dtype=dtype)
