"""The memory budget: how many bytes one array (or one file's contents) may take.

Every loader and builder asks :func:`check_size` **before** it allocates, so a tiny
hostile file that declares a huge array (an IDX count, an HDF5 shape, a zip member's
size, a ``Dense(10**9)`` in ``architecture.json``) is refused with one line naming the
file and the limit instead of driving the machine into the out-of-memory killer.

The budget is, in order: :func:`set_memory_budget` (the command line's
``--max-memory``), the environment variable ``GLASSNET_MAX_MEMORY`` (``"8G"``,
``"512M"``, ``"2.5GiB"``, a number of bytes), else half of the machine's memory.

    >>> parse_size("1.5G") == int(1.5 * 2**30)
    True
"""

from __future__ import annotations

import os
import re

from glassnet.core.errors import MemoryBudgetError

ENV_VAR = "GLASSNET_MAX_MEMORY"
_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_budget: int | None = None  # set_memory_budget's value; None = from the environment


def parse_size(text: str | int | float) -> int:
    """Bytes of ``"8G"``, ``"512MiB"``, ``"100k"``, ``"1e9"`` or a number; ValueError if not."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        value, unit = float(text), ""
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmgtb]?)(?:i?b)?\s*",
                         str(text).lower())
        if m is None:
            raise ValueError(f"not a memory size: {text!r} (expected e.g. 8G, 512M, 1e9)")
        value, unit = float(m.group(1)), m.group(2)
    n = int(value * _UNITS[unit])
    if n <= 0:
        raise ValueError(f"not a memory size: {text!r} (must be positive)")
    return n


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not POSIX: assume 8 GiB
        return 8 * 2**30


def memory_budget() -> int:
    """The largest allocation, in bytes, a loader or builder may make."""
    if _budget is not None:
        return _budget
    env = os.environ.get(ENV_VAR)
    if env:
        try:
            return parse_size(env)
        except ValueError:
            raise MemoryBudgetError(
                f"{ENV_VAR}={env!r}: not a memory size (expected e.g. 8G, 512M)") from None
    return _physical_memory() // 2


def set_memory_budget(size: str | int | None) -> None:
    """Set the budget (``"8G"``, bytes), or None to return to the environment's / default."""
    global _budget
    _budget = None if size is None else parse_size(size)


def human_size(n: float) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def check_size(nbytes: float, what: str) -> None:
    """Raise :class:`MemoryBudgetError` if ``nbytes`` is over the budget.

    ``what`` names the thing and its file: ``"data/x.idx: 400000000 labels"``.
    """
    budget = memory_budget()
    if nbytes > budget:
        raise MemoryBudgetError(
            f"{what} would need {human_size(nbytes)}, over the memory budget of "
            f"{human_size(budget)} (raise it with --max-memory or {ENV_VAR})")
