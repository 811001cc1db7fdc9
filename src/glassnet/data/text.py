"""Plain text for character language models: reading it, cutting it into windows.

A character model learns p(x<t+1> | x<1..t>): a window of ``T`` characters is the input
x<1..T>, the same window moved one character on is the target y<t> = x<t+1>.  Windows
do not overlap (the hidden state starts at zero in each: truncated backpropagation
through time over ``T`` steps)::

    ids = 0 1 2 3 4 5 6 7 8            T = 4
    X   = [0 1 2 3] [4 5 6 7]          Y = [1 2 3 4] [5 6 7 8]

:func:`one_hot` lays indices (m, T) out as the sequence layout (V, m, T).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy

from glassnet.core.errors import GlassnetError


class TextError(GlassnetError, ValueError):
    """A text that cannot train a character model (binary, empty, too short)."""


def read_text(path: str | os.PathLike) -> str:
    """The UTF-8 text of ``path`` (``\\r\\n`` read as ``\\n``); refuses binary and empty files."""
    p = Path(path)
    if not p.exists():
        raise TextError(f"{p}: no such file")
    if not p.is_file():
        raise TextError(f"{p}: not a file")
    raw = p.read_bytes()
    if b"\x00" in raw[:65536]:
        raise TextError(f"{p}: a binary file, not text (it has NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TextError(f"{p}: not UTF-8 text (invalid byte at offset {exc.start})") from None
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise TextError(f"{p}: the text is empty")
    return text


def split_tail(text: str, dev_fraction: float) -> tuple[str, str | None]:
    """(train text, dev text): the last ``dev_fraction`` of the characters held out."""
    if not dev_fraction:
        return text, None
    n_dev = int(round(len(text) * float(dev_fraction)))
    if n_dev < 2 or len(text) - n_dev < 2:
        return text, None
    return text[:-n_dev], text[-n_dev:]


def windows(ids: numpy.ndarray, seq_length: int, what: str = "the text"
            ) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Inputs and targets (m, T) of index windows: X[i] = ids[iT : iT+T], Y[i] one on."""
    ids = numpy.asarray(ids, dtype=numpy.int64).reshape(-1)
    T = int(seq_length)
    if T < 1:
        raise TextError(f"seq_length must be a positive integer, got {seq_length}")
    if len(ids) < T + 1:
        raise TextError(f"seq_length {T} is longer than {what} ({len(ids)} characters; "
                        f"a window needs seq_length + 1)")
    m = (len(ids) - 1) // T
    idx = numpy.arange(m)[:, None] * T + numpy.arange(T)[None, :]
    return ids[idx], ids[idx + 1]


def one_hot(ids: numpy.ndarray, vocab_size: int, dtype: str | numpy.dtype = "float32"
            ) -> numpy.ndarray:
    """Indices (m, T) -> one-hot (V, m, T), the sequence layout."""
    ids = numpy.asarray(ids, dtype=numpy.int64)
    out = numpy.zeros((int(vocab_size), *ids.shape), dtype=dtype)
    m_idx, t_idx = numpy.indices(ids.shape)
    out[ids, m_idx, t_idx] = 1
    return out
