"""How many threads glassnet's math uses: the BLAS pool (matrix products) and the compiled
kernels, set together.

On a machine shared with other work, fewer threads than cores is often faster: two BLAS
threads on two cores while another process holds one spin and wait on each other.
``glassnet.set_num_threads(1)`` (or ``glassnet train --threads 1``) sets both pools;
:func:`num_threads` reports what is in effect.
"""

from __future__ import annotations

from typing import Any

_LIMITS: Any = None  # the threadpoolctl limiter kept alive while a limit is in effect


def set_num_threads(n: int | None) -> dict[str, Any]:
    """Use ``n`` threads for BLAS and for the compiled kernels (None: back to the defaults).

    Returns :func:`num_threads` after the change.
    """
    global _LIMITS
    from threadpoolctl import threadpool_limits

    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"threads must be a positive integer, got {n!r}")
    if _LIMITS is not None:
        _LIMITS.restore_original_limits()
        _LIMITS = None
    if n is not None:
        try:  # load SciPy's BLAS now (scikit-learn does later), so the limit covers it too
            import scipy.linalg  # noqa: F401
        except ImportError:  # pragma: no cover
            pass
        _LIMITS = threadpool_limits(limits=n)
    try:
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS) if n else
                              numba.config.NUMBA_NUM_THREADS)
    except ImportError:  # pragma: no cover - numba is a dependency, but optional at run time
        pass
    return num_threads()


def num_threads() -> dict[str, Any]:
    """{"blas": threads of each BLAS library, "kernels": numba's threads}."""
    from threadpoolctl import threadpool_info

    blas = [d.get("num_threads") for d in threadpool_info() if d.get("user_api") == "blas"]
    try:
        import numba

        kernels: int | None = int(numba.get_num_threads())
    except ImportError:  # pragma: no cover
        kernels = None
    return {"blas": blas, "kernels": kernels}
