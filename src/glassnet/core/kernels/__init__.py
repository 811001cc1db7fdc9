"""Compiled numba kernels (optional: every caller has a NumPy path)."""
