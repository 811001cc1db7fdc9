"""What the training loop shows while it runs: a progress bar on a terminal, plain lines
elsewhere.

A progress bar redraws one line with carriage returns, which a log file, a pipe or a CI
console cannot show (tqdm then shows nothing at all).  So when the bar's stream (stderr)
is not a terminal, :class:`ProgressLines` writes one plain line per epoch instead - at
most one per ``every_seconds`` (2 s) for quick epochs, always the first and the last::

    epoch 1/60: cost 0.693147, dev cost 0.690012, dev accuracy 52.00%, 0.1 s
    epoch 41/60: cost 0.120034, dev cost 0.201345, dev accuracy 93.00%, 4.2 s (early stopping)

Batch gradient descent (one iteration per epoch) says ``iteration`` instead of ``epoch``.
The lines go to stderr, beside the bar's place, so stdout keeps only the results (and
``--json`` stays one JSON object).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

#: the shortest time, in seconds, between two progress lines of a run
EVERY_SECONDS = 2.0


class ProgressLines:
    """Plain progress lines: ``update`` after each epoch, ``close`` at the end.

    ``total`` epochs; ``every_seconds`` the shortest time between two lines (default
    :data:`EVERY_SECONDS`; 0: every epoch); ``clock`` the time source (seconds); ``unit``
    ``"epoch"`` or ``"iteration"``.
    """

    def __init__(
        self,
        total: int,
        stream: TextIO | None = None,
        every_seconds: float | None = None,
        unit: str = "epoch",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = int(total)
        self.stream = stream
        self.every_seconds = float(EVERY_SECONDS if every_seconds is None else every_seconds)
        self.unit = unit
        self.clock = clock
        self._last_shown: float | None = None
        self._pending: str | None = None  # the latest line not shown (shown by close)
        self.lines = 0

    def update(self, epoch: int, logs: dict[str, float], seconds: float,
               stopping: bool = False) -> None:
        """Report epoch ``epoch`` (0-based) with its ``logs``; ``seconds`` since the start."""
        line = format_line(self.unit, epoch, self.total, logs, seconds, stopping)
        now = self.clock()
        last = stopping or epoch + 1 >= self.total
        due = self._last_shown is None or now - self._last_shown >= self.every_seconds
        if last or due:
            self._write(line)
            self._last_shown = now
            self._pending = None
        else:
            self._pending = line

    def close(self) -> None:
        """Show the last epoch's line if the rate limit held it back (a run ended early)."""
        if self._pending is not None:
            self._write(self._pending)
            self._pending = None

    def _write(self, line: str) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        stream.write(line + "\n")
        stream.flush()
        self.lines += 1


def format_line(unit: str, epoch: int, total: int, logs: dict[str, float], seconds: float,
                stopping: bool = False) -> str:
    """``epoch 3/60: cost 0.412345, dev cost 0.398765, dev accuracy 91.20%, 1.3 s``."""
    parts = [f"cost {logs['cost']:.6f}"]
    if logs.get("dev_cost") is not None:
        parts.append(f"dev cost {logs['dev_cost']:.6f}")
    if logs.get("dev_accuracy") is not None:
        parts.append(f"dev accuracy {logs['dev_accuracy']:.2%}")
    parts.append(f"{seconds:.1f} s")
    end = " (early stopping)" if stopping else ""
    return f"{unit} {epoch + 1}/{total}: " + ", ".join(parts) + end


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is an interactive terminal (False for files, pipes, captures)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def in_notebook() -> bool:
    """Whether tqdm draws its bar as a notebook widget (stderr is not a terminal there)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return False
    return "notebook" in tqdm.__module__ or any(
        "notebook" in base.__module__ for base in tqdm.__mro__)


def make_progress(progress: bool | None, total: int, initial: int, unit: str) -> Any:
    """The progress display of a run: ``None`` (off), a tqdm bar, or :class:`ProgressLines`.

    ``progress``: False = off, True = a bar wherever stderr goes, None = a bar on a
    terminal (or in a notebook), plain lines elsewhere.
    """
    if progress is False:
        return None
    if progress is None and not (is_terminal(sys.stderr) or in_notebook()):
        return ProgressLines(total, unit=unit)
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc="training", unit=unit, disable=False,
                mininterval=0.25, leave=False)
