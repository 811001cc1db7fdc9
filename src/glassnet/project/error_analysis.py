"""Error analysis (Course 3): look at the mistakes, count their causes, find the ceiling.

The notes' procedure: take the misclassified dev (or test) examples, look at
them one by one, and tick the categories each falls in (a dog taken for a
cat, a great cat, a blurry image, an incorrect label, ...) in a spreadsheet.
The share of errors in a category bounds what fixing it can bring (the
"ceiling")::

    error E, share s of the errors in the category  ->  at best E * (1 - s)

e.g. E = 10% with 5% of the errors being dogs: fixing dogs gives 9.5% at
best; with 50% blurry images, 5% at best.  Work on the categories with the
highest ceilings first.

This module finds the errors of a classifier on a set (:func:`find_errors`),
writes a contact sheet of them (:func:`write_contact_sheets`) and a CSV with
one row per error and an empty column per tag (:func:`write_tag_sheet`), and
reads the CSV back once a person has filled it in (:func:`summarize_tags`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.atomic import atomic_write_json, atomic_write_text
from glassnet.core.errors import GlassnetError
from glassnet.project.error_sheets import (
    DEFAULT_TAGS,
    FALSE_VALUES,
    FIXED_COLUMNS,
    SPLITS,
    Misclassified,
    find_errors,
    write_contact_sheets,
)


def parse_tags(tags: str | Sequence[str] | None) -> list[str]:
    """Tag names from ``"blurry,mislabeled"`` or a list; checked for clashes."""
    if tags is None:
        return list(DEFAULT_TAGS)
    items = tags.split(",") if isinstance(tags, str) else list(tags)
    names = [str(t).strip() for t in items if str(t).strip()]
    for t in names:
        if t.lower() in FIXED_COLUMNS:
            raise GlassnetError(f"--tags: {t!r} is a fixed column of the sheet; pick another name")
        if any(ch in t for ch in ",\"\n\r"):
            raise GlassnetError(f"--tags: {t!r}: a tag cannot contain commas, quotes or newlines")
    dup = sorted({t for t in names if names.count(t) > 1})
    if dup:
        raise GlassnetError(f"--tags: repeated tag(s) {', '.join(dup)}")
    return names


def write_tag_sheet(errors: Misclassified, path: str | Path, tags: Sequence[str]) -> Path:
    """CSV: index, true, predicted, confidence, one empty column per tag, comments."""
    tags = parse_tags(tags)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*FIXED_COLUMNS[:4], *tags, "comments"])
    for i, t, p, c in zip(errors.indices, errors.true, errors.predicted, errors.confidence,
                          strict=True):
        w.writerow([int(i), errors.label(t), errors.label(p), f"{c:.4f}", *([""] * len(tags)), ""])
    atomic_write_text(path, buf.getvalue())
    return Path(path)


def read_tag_sheet(path: str | Path) -> tuple[numpy.ndarray, dict[str, numpy.ndarray]]:
    """(indices (n,), {tag: tagged (n,) bool}) from a filled-in tag sheet.

    A cell counts as tagged unless it is empty or one of 0 / no / n / false / -.
    Every column other than index, true, predicted, confidence and comments
    is a tag (columns added by hand count too).
    """
    p = Path(path)
    if not p.is_file():
        raise GlassnetError(f"{p}: no such tag sheet")
    try:
        text = p.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise GlassnetError(f"{p}: not a UTF-8 text file (save the sheet as CSV UTF-8)") from None
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise GlassnetError(f"{p}: the tag sheet is empty")
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    if "index" not in lower:
        raise GlassnetError(f"{p}: no 'index' column (the header is {', '.join(header)})")
    ix = lower.index("index")
    tag_cols = [(j, h) for j, h in enumerate(header) if h and h.lower() not in FIXED_COLUMNS]
    if not tag_cols:
        raise GlassnetError(f"{p}: no tag columns (only {', '.join(header)})")
    indices, cells = [], []
    for line, r in enumerate(rows[1:], start=2):
        raw = r[ix].strip() if ix < len(r) else ""
        try:
            indices.append(int(raw))
        except ValueError:
            raise GlassnetError(f"{p}, line {line}: index {raw!r} is not an integer") from None
        cells.append([(r[j].strip().lower() if j < len(r) else "") for j, _ in tag_cols])
    idx = numpy.asarray(indices, dtype=numpy.int64)
    dup = numpy.unique(idx)[numpy.unique(idx, return_counts=True)[1] > 1]
    if dup.size:
        raise GlassnetError(f"{p}: example(s) {', '.join(map(str, dup[:5]))} appear twice")
    table = numpy.asarray(cells, dtype=object).reshape(len(indices), len(tag_cols))
    tagged = ~numpy.isin(table, list(FALSE_VALUES))
    return idx, {h: tagged[:, k] for k, (_, h) in enumerate(tag_cols)}


@dataclass
class TagSummary:
    """Counts of each tag among the examined errors and the error ceiling they put.

    ``share[t]`` = (errors tagged t) / (errors examined); fixing every error
    tagged t lowers the error E to at best ``ceiling[t] = E * (1 - share[t])``.
    """

    error_rate: float
    n_examined: int
    counts: dict[str, int]
    untagged: int
    m: int | None = None
    n_errors: int | None = None
    what: str = "the set"
    notes: list[str] = field(default_factory=list)

    def share(self, tag: str) -> float:
        return self.counts[tag] / self.n_examined if self.n_examined else 0.0

    def ceiling(self, tag: str) -> float:
        """The lowest error reachable by fixing all errors of ``tag``: E * (1 - share)."""
        return self.error_rate * (1.0 - self.share(tag))

    def ranked(self) -> list[str]:
        return sorted(self.counts, key=lambda t: (-self.counts[t], t))

    def to_dict(self) -> dict[str, Any]:
        return {
            "error_rate": self.error_rate,
            "m": self.m,
            "n_errors": self.n_errors,
            "n_examined": self.n_examined,
            "untagged": self.untagged,
            "tags": {
                t: {"count": self.counts[t], "share": self.share(t), "ceiling": self.ceiling(t)}
                for t in self.ranked()
            },
            "notes": list(self.notes),
            "text": str(self),
        }

    def __str__(self) -> str:
        E = self.error_rate
        head = f"Error analysis of {self.what}: error E = {E:.2%}"
        if self.m is not None and self.n_errors is not None:
            head += f" ({self.n_errors} of {self.m} examples)"
        lines = [head, f"{self.n_examined} misclassified examples examined"]
        width = max([len(t) for t in self.counts] + [len("(no tag)"), len("tag")])
        lines.append(f"  {'tag':{width}}  count   share of errors   ceiling: error if all fixed")
        for t in self.ranked():
            lines.append(f"  {t:{width}}  {self.counts[t]:5d}   {self.share(t):14.1%}   "
                         f"{E:.2%} -> {self.ceiling(t):.2%}")
        if self.untagged:
            share = self.untagged / self.n_examined
            lines.append(f"  {'(no tag)':{width}}  {self.untagged:5d}   {share:14.1%}")
        if self.counts and self.n_examined:
            best = self.ranked()[0]
            if self.counts[best] > 0:
                lines.append(
                    f"Most promising: {best!r} ({self.share(best):.0%} of the errors): fixing "
                    f"all of them would lower the error from {E:.2%} to {self.ceiling(best):.2%} "
                    "at best."
                )
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


def summarize_tags(
    sheet: str | Path, error_rate: float, errors: Misclassified | None = None, what: str = "the set"
) -> TagSummary:
    """Count the tags of a filled-in sheet; ceilings relative to ``error_rate`` E.

    With ``errors`` (the same model on the same set) the sheet's rows are
    checked to be misclassified examples of it.
    """
    if not (isinstance(error_rate, int | float) and 0.0 <= error_rate <= 1.0):
        raise GlassnetError(f"error rate must be in [0, 1], got {error_rate!r}")
    idx, tags = read_tag_sheet(sheet)
    notes = []
    if errors is not None:
        unknown = numpy.setdiff1d(idx, errors.indices)
        if unknown.size:
            raise GlassnetError(
                f"{sheet}: example(s) {', '.join(map(str, unknown[:5]))} are not misclassified "
                f"by this model on {what} (was the sheet written for another model or split?)"
            )
        if idx.size < errors.n_errors:
            notes.append(f"the sheet holds {idx.size} of the {errors.n_errors} errors: the "
                         "shares are estimated from this sample")
    any_tag = numpy.zeros(idx.size, dtype=bool)
    for v in tags.values():
        any_tag |= v
    if len(tags) and idx.size:
        total = sum(int(v.sum()) for v in tags.values())
        if total > int(any_tag.sum()):
            notes.append("some errors carry several tags: the shares add up to more than 100%")
    return TagSummary(
        error_rate=float(error_rate),
        n_examined=int(idx.size),
        counts={t: int(v.sum()) for t, v in tags.items()},
        untagged=int((~any_tag).sum()),
        m=errors.m if errors is not None else None,
        n_errors=errors.n_errors if errors is not None else None,
        what=what,
        notes=notes,
    )


@dataclass
class ErrorAnalysis:
    """What :func:`analyze` wrote: the errors, the CSV, the contact sheets (if images)."""

    errors: Misclassified
    csv_path: Path
    sheets: list[Path]
    what: str
    example_shape: tuple[int, ...]
    tags: list[str]

    def __str__(self) -> str:
        e = self.errors
        lines = [f"{self.what}: {e.m} examples, {e.n_errors} misclassified "
                 f"(error {e.error_rate:.2%})"]
        lines.append(f"tag sheet: {self.csv_path} (one row per error; fill in the columns "
                     f"{', '.join(self.tags)} with 1/x/yes, add columns for new categories)")
        if self.sheets:
            lines.append("contact sheet" + ("s" if len(self.sheets) > 1 else "") + ": "
                         + ", ".join(map(str, self.sheets)))
        elif e.n_errors:
            lines.append(f"no contact sheet: the examples are not images (shape "
                         f"{self.example_shape}); see the CSV")
        return "\n".join(lines)


def load_split(model_dir: str | Path, data: str | None, split: str) -> tuple[Any, str]:
    """(Dataset, description) of ``split``: from ``data``, or rebuilt from the run's run.json."""
    from glassnet.data import load_dataset, load_train_test

    if split not in SPLITS:
        raise GlassnetError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    if data is None:
        run = Path(model_dir) / "run.json"
        if not run.is_file():
            raise GlassnetError(
                f"{model_dir}: give --data FILE (no run.json to rebuild the run's sets from)")
        from glassnet.data import Dataset
        from glassnet.project.config import RunConfig
        from glassnet.project.splits import load_splits

        try:
            config = json.loads(run.read_text("utf-8"))["config"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise GlassnetError(f"{run}: not a glassnet run file ({exc})") from None
        splits = load_splits(RunConfig.from_dict(config))
        xy = getattr(splits, split)
        if xy is None:
            flag = {"dev": "--dev-fraction", "train_dev": "--train-dev",
                    "test": "--test-data"}.get(split, "")
            raise GlassnetError(f"{model_dir}: the run has no {split} set (train with {flag})")
        ds = Dataset(x=xy[0], y=xy[1], classes=splits.classes, source=splits.source)
        return ds, f"the {split} set of the run in {model_dir}"
    if split == "test":
        train, ds = load_train_test(data)
        if ds is None:  # a file that holds one set (test_catvnoncat.h5): that set, as evaluate
            return train, f"the examples of {train.source or data} (its only set)"
    elif split == "train_dev":
        raise GlassnetError("--split train_dev: a train-dev set exists only in a run; "
                            "leave out --data to use the run's sets")
    else:
        ds = load_dataset(data, split)
    return ds, f"the {split} set ({ds.source or data})"


def analyze(
    model_dir: str | Path, data: str | None = None, split: str = "test",
    out: str | Path | None = None, tags: str | Sequence[str] | None = None,
    max_images: int | None = 200, per_page: int = 50,
) -> ErrorAnalysis:
    """Find the errors of the saved model on a set; write errors.csv and the contact sheet(s)."""
    model, pipe, ds, what = _model_and_set(model_dir, data, split)
    tag_names = parse_tags(tags)
    X = pipe.transform(ds.x, what)
    classes = model.metadata.get("classes") or ds.classes
    errors = find_errors(model, X, ds.y, classes)
    out = Path(out) if out is not None else Path(model_dir) / f"errors-{split}"
    csv_path = write_tag_sheet(errors, out / "errors.csv", tag_names)
    sheets = write_contact_sheets(ds.x, errors, out, per_page=per_page, max_images=max_images)
    atomic_write_json(out / "errors.json", {
        "model": str(model_dir), "data": data, "split": split, "m": errors.m,
        "n_errors": errors.n_errors, "error_rate": errors.error_rate, "tags": tag_names,
        "contact_sheets": [p.name for p in sheets],
    })
    return ErrorAnalysis(errors, csv_path, sheets, what, tuple(ds.x.shape[1:]), tag_names)


def analyze_tagged(
    model_dir: str | Path, tagged: str | Path, data: str | None = None, split: str = "test",
) -> TagSummary:
    """Count the tags of a filled-in sheet against the model's current errors on the set."""
    model, pipe, ds, what = _model_and_set(model_dir, data, split)
    X = pipe.transform(ds.x, what)
    errors = find_errors(model, X, ds.y, model.metadata.get("classes") or ds.classes)
    return summarize_tags(tagged, errors.error_rate, errors, what)


def _model_and_set(model_dir: str | Path, data: str | None, split: str) -> tuple:
    from glassnet.data.pipeline import InputPipeline
    from glassnet.models.saving import load_model

    model = load_model(model_dir)
    pipe = InputPipeline.of(model)
    if pipe is None:
        raise GlassnetError(
            f"{model_dir}: the model has no input pipeline metadata (save it with glassnet train)")
    ds, what = load_split(model_dir, data, split)
    if len(ds.x) == 0:
        raise GlassnetError(f"{what}: the set is empty")
    return model, pipe, ds, what
