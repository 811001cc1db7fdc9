"""The CSV loader: a numeric table, one example per row, the label column chosen by name or
index, a header row detected, read in chunks so memory stays near the size of the result.

    >>> ds = load_csv("bc.csv", label_column="diagnosis")         # doctest: +SKIP
    >>> ds.notes                                                   # doctest: +SKIP
    ["label: column 'diagnosis' (1 of 31), 2 classes (B, M); 30 feature columns"]
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy

from glassnet.core.limits import check_size
from glassnet.data.records import DataError, Dataset, PathLike, _check_file, _finish

#: rows looked at to detect a header; rows converted to floats at a time
_SNIFF_ROWS = 1000
_CHUNK_ROWS = 20_000
#: integer-valued float targets are made int64 only below this (exact in float64)
_EXACT_INT = 2**53
Column = int | str


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _records(p: Path, delimiter: str | None) -> tuple[str, Iterator[list[str]]]:
    """The delimiter (sniffed from the first line when None) and the rows, fields stripped;
    blank lines and ``#`` comments skipped."""
    fh = open(p, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by the generator
    lines = (ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#"))
    first = next(lines, None)
    if first is None:
        fh.close()
        raise DataError(f"{p}: empty dataset (no rows)")
    if delimiter is None:
        delimiter = max((",", ";", "\t"), key=first.count) if any(
            c in first for c in ",;\t") else ","

    def rows() -> Iterator[list[str]]:
        with fh:
            for r in csv.reader(_chain(first, lines), delimiter=delimiter):
                yield [c.strip() for c in r]

    return delimiter, rows()


def csv_columns(path: PathLike, header: bool | None = None
                ) -> tuple[list[str] | None, int, str]:
    """(the header's names or None, the number of columns, the delimiter) of a CSV, read
    from its first rows by :func:`load_csv`'s rules (``header`` None: detected)."""
    p = _check_file(path)
    try:
        delimiter, rows = _records(p, None)
        head = list(itertools.islice(rows, _SNIFF_ROWS + 1))
        rows.close()
    except UnicodeDecodeError:
        raise DataError(f"{p}: not a text CSV file (cannot decode as UTF-8)") from None
    except csv.Error as exc:
        raise DataError(f"{p}: not a readable CSV file ({exc})") from None
    named = _detect_header(head) if header is None else header
    return (head[0] if named else None), len(head[0]), delimiter


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _detect_header(rows: list[list[str]]) -> bool:
    """Whether ``rows[0]`` names the columns.

    Yes when a field of it is not a number above a column of numbers (``a,b,label``
    over numbers; also ``1,2,3,label``), or - for text columns - when it never
    recurs below in a column whose values repeat (``kind`` above ``cat,dog,cat``).
    A first row of numbers is data.
    """
    first, body = rows[0], rows[1:]
    if not body:
        return not all(_is_number(c) for c in first if c != "")
    repeated_text = False
    for j, name in enumerate(first):
        col = [r[j] for r in body if j < len(r) and r[j] != ""]
        if not col or _is_number(name):
            continue
        if all(_is_number(c) for c in col):
            return True
        if name not in col and len(set(col)) < len(col):
            repeated_text = True
    return repeated_text


def _resolve(c: Column, names: list[str] | None, n_cols: int, p: Path, what: str) -> int:
    if isinstance(c, str):
        if names is None:
            raise DataError(f"{p}: {what} column {c!r} given by name but the file has no header")
        if c not in names:
            raise DataError(f"{p}: no column {c!r}; columns: {names}")
        return names.index(c)
    if isinstance(c, bool) or not isinstance(c, int | numpy.integer) or not -n_cols <= c < n_cols:
        raise DataError(f"{p}: {what} column {c!r} out of range for {n_cols} columns")
    return int(c) % n_cols


def _floats(cells: list[str], p: Path, rows: list[int], width: int, what: str,
            columns: list[str] | None = None) -> numpy.ndarray:
    """``cells`` (row-major, ``width`` per row) -> float64; empty -> NaN; a bad one named
    (with its column, from ``columns``, and for a text feature column the --label hint)."""
    try:
        return numpy.array([c if c else "nan" for c in cells], dtype=numpy.float64)
    except ValueError:
        bad = next(i for i, s in enumerate(cells) if s and not _is_number(s))
        shown = cells[bad] if len(cells[bad]) <= 40 else cells[bad][:40] + "..."
        where = f"at row {rows[bad // width]}"
        if columns is not None:
            col = columns[bad % width]
            where += (f", column {col} (text: if it is the label, pass --label {col.strip(chr(39))}"
                      "; features must be numbers)")
        raise DataError(f"{p}: non-numeric {what} {shown!r} {where}") from None


def _targets(labels: list[list[str]], p: Path,
             rows: list[int]) -> tuple[numpy.ndarray, list[str] | None]:
    """Label fields -> ``(y, classes)``: numbers (int64 when integral and exact), else
    text encoded 0..C-1 in sorted order."""
    k = len(labels[0]) if labels else 1
    flat = [s for r in labels for s in r]
    for i, s in enumerate(flat):
        if s == "":
            raise DataError(f"{p}: empty label at row {rows[i // k]}")
    if all(_is_number(s) for s in flat):
        y = _floats(flat, p, rows, k, "label").reshape(len(labels), k)
        if (numpy.all(numpy.isfinite(y)) and numpy.all(y == numpy.round(y))
                and numpy.all(numpy.abs(y) < _EXACT_INT)):
            y = y.astype(numpy.int64)
        return y, None
    if k != 1:
        raise DataError(f"{p}: non-numeric values in a multi-column target")
    names, codes = numpy.unique(numpy.array(flat, dtype=object), return_inverse=True)
    return codes.astype(numpy.int64).reshape(-1, 1), [str(s) for s in names]


def load_csv(
    path: PathLike,
    label_column: Column | Sequence[Column] = -1,
    *,
    features: Sequence[Column] | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
) -> Dataset:
    """A numeric CSV: one example per row, features ``x`` ``(m, n)``, label column(s) ``y``.

    ``label_column``: an index (default the last column), a header name, or a
    list of them (then ``y`` is ``(m, k)``; ``[]``: no label, ``y`` is ``(m, 0)``).
    ``features``: the feature columns (names or indices, in that order; default every
    column but the label's).
    ``header`` None detects a header row (see :func:`_detect_header`).  Text labels
    are encoded 0..C-1 in sorted order and named in ``classes``; integral numeric
    labels become int64 when exact (``|y| < 2**53``), others stay float64.
    ``delimiter`` None sniffs ``,`` / ``;`` / tab.  ``notes`` say which column is
    the label and how many classes it holds.
    """
    p = _check_file(path)
    try:
        return _load(p, label_column, features, delimiter, header)
    except UnicodeDecodeError:
        raise DataError(f"{p}: not a text CSV file (cannot decode as UTF-8)") from None
    except csv.Error as exc:
        limit = csv.field_size_limit()
        why = (f"a field longer than {limit} characters" if "field limit" in str(exc)
               else str(exc))
        raise DataError(f"{p}: not a readable CSV file ({why})") from None
    except OSError as exc:
        raise DataError(f"{p}: cannot read the file ({exc.strerror or exc})") from None


def _load(p: Path, label_column: Column | Sequence[Column], features: Sequence[Column] | None,
          delimiter: str | None, header: bool | None) -> Dataset:
    _, rows = _records(p, delimiter)
    head: list[list[str]] = []
    for r in rows:
        head.append(r)
        if len(head) > _SNIFF_ROWS:
            break
    if header is None:
        header = _detect_header(head)
    names = head[0] if header else None
    n_cols = len(head[0])
    if n_cols < 2 and label_column != []:
        raise DataError(f"{p}: need at least one feature column and one label column")
    multi = isinstance(label_column, Sequence) and not isinstance(label_column, str)
    label_idx = [_resolve(c, names, n_cols, p, "label")
                 for c in (label_column if multi else [label_column])]  # type: ignore[union-attr]
    if features is None:
        feat_idx = [j for j in range(n_cols) if j not in label_idx]
    else:
        feat_idx = [_resolve(c, names, n_cols, p, "feature") for c in features]
        both = [j for j in feat_idx if j in label_idx]
        if both:
            raise DataError(f"{p}: column {_name(both[0], names)} is both a feature and the label")
        if len(set(feat_idx)) != len(feat_idx):
            raise DataError(f"{p}: a feature column is given twice: {list(features)}")
    if not feat_idx:
        raise DataError(f"{p}: every column is a label column")

    blocks: list[numpy.ndarray] = []
    labels: list[list[str]] = []
    row_no: list[int] = []
    cells: list[str] = []
    chunk_rows: list[int] = []
    n_done = 0
    first_row = 2 if header else 1

    def flush() -> None:
        nonlocal cells, chunk_rows, n_done
        if chunk_rows:
            n_done += len(chunk_rows)
            check_size(n_done * len(feat_idx) * 8,
                       f"{p}: {n_done} rows of {len(feat_idx)} features")
            blocks.append(_floats(cells, p, chunk_rows, len(feat_idx), "value",
                                  [_name(j, names) for j in feat_idx])
                          .reshape(len(chunk_rows), len(feat_idx)))
            cells, chunk_rows = [], []

    for i, r in enumerate(_chain_rows(head[1:] if header else head, rows)):
        line = i + first_row
        if len(r) != n_cols:
            raise DataError(f"{p}: row {line} has {len(r)} fields, expected {n_cols}")
        cells.extend(r[j] for j in feat_idx)
        labels.append([r[j] for j in label_idx])
        chunk_rows.append(line)
        row_no.append(line)
        if len(chunk_rows) >= _CHUNK_ROWS:
            flush()
    flush()
    if not blocks:
        raise DataError(f"{p}: empty dataset (a header and no data rows)")
    x = numpy.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    if not label_idx:  # label_column=[]: features only (what predict reads), y is (m, 0)
        return _finish(x, numpy.zeros((len(x), 0)), None, p)
    y, classes = _targets(labels, p, row_no)
    if not multi:
        y = y.reshape(-1)
    ds = _finish(x, y, classes, p)
    ds.notes.append(_label_note(label_idx, names, n_cols, y, classes, len(feat_idx)))
    return ds


def _chain_rows(first: list[list[str]], rest: Iterator[list[str]]) -> Iterator[list[str]]:
    yield from first
    yield from rest


def _name(j: int, names: list[str] | None) -> str:
    return repr(names[j]) if names is not None else str(j)


def _label_note(label_idx: list[int], names: list[str] | None, n_cols: int, y: numpy.ndarray,
                classes: list[str] | None, n_features: int) -> str:
    """``label: column 'diagnosis' (1 of 31), 2 classes (B, M); 30 feature columns``."""
    where = ", ".join(f"{_name(j, names)} ({j + 1} of {n_cols})" for j in label_idx)
    head = f"label: column{'s' if len(label_idx) > 1 else ''} {where}"
    if names is None:
        head += " (no header row)"
    if classes is not None:
        shown = ", ".join(classes[:5]) + (", ..." if len(classes) > 5 else "")
        what = f"{len(classes)} classes ({shown})"
    elif numpy.issubdtype(y.dtype, numpy.integer) and y.ndim == 1:
        values = numpy.unique(y)
        shown = ", ".join(str(v) for v in values[:5]) + (", ..." if len(values) > 5 else "")
        what = (f"{len(values)} classes ({shown})" if len(values) <= 100
                else f"{len(values)} distinct integer values")
    else:
        what = f"numeric values from {float(y.min()):.6g} to {float(y.max()):.6g}"
    return f"{head}, {what}; {n_features} feature column{'s' if n_features != 1 else ''}"

