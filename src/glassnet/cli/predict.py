"""``glassnet predict``: a saved model's predictions for new inputs, read as ``train`` reads.

Inputs, any number and mixed:

* a CSV (``.csv``/``.tsv``/``.txt``) read by :func:`glassnet.data.formats.load_csv` (a
  header is detected, the delimiter sniffed): its feature columns are the run's
  ``features`` when it recorded some, else every column when there are as many as the model
  takes, else every column but the label (the run's ``label``, by default the last) - so the
  training file itself, label and all, is taken;
* a folder: every image inside it, in sub-folders too (a folder of class folders);
* an image file, resized to the model's ``(n_H, n_W)`` and converted to its channels;
* ``.npy``/``.npz`` arrays of one example or of ``(m, ...)`` examples, and the other dataset
  files ``train`` reads (``.h5``, ``.mat``, MNIST IDX): their examples, labels ignored.

The examples go through the model in batches sized by memory
(:func:`glassnet.models.inference.inference_batch_size`).  ``--out predictions.csv``
writes one row per input (atomically): ``input,label,class,probability`` for classifiers,
``input,value`` for regression (``value_0, value_1, ...`` for several outputs).
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import click
import numpy

from glassnet.cli.common import _fail
from glassnet.cli.inspect import _load
from glassnet.data.records import IMAGE_EXTENSIONS

ARRAY_SUFFIXES = (".npy", ".npz")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")


# -- reading the inputs ----------------------------------------------------------------------
def _shape_text(shape: tuple[int, ...]) -> str:
    """``(4,)``, ``(8, 8, 3)``: a shape as Python writes it."""
    return str(tuple(int(d) for d in shape))


def _run_columns(model_dir: str, model: Any) -> tuple[Any, Any]:
    """(label, features) of the run's CSV, from the model's metadata or ``run.json``."""
    meta = model.metadata
    label, features = meta.get("label"), meta.get("features")
    run_file = Path(model_dir) / "run.json"
    if (label is None or features is None) and run_file.is_file():
        try:
            config = json.loads(run_file.read_text("utf-8")).get("config", {})
        except (OSError, ValueError, AttributeError):
            config = {}
        label = config.get("label") if label is None else label
        features = config.get("features") if features is None else features
    return label, (list(features) if features else None)


def _column(p: Path, names: list[str] | None, n_cols: int, c: int | str, what: str) -> int:
    if isinstance(c, str) and not c.lstrip("-").isdigit():
        if names is None:
            _fail(f"{p}: the run's {what} column {c!r} is a name but the file has no header")
        if c not in names:
            _fail(f"{p}: no column {c!r} (the run's {what}); columns: {', '.join(names)}")
        return names.index(c)
    i = int(c)
    if not -n_cols <= i < n_cols:
        _fail(f"{p}: the run's {what} column {i} is out of range for {n_cols} columns")
    return i % n_cols


def _read_csv(p: Path, shape: tuple[int, ...], label: Any, features: list | None
              ) -> numpy.ndarray:
    """The feature columns of a CSV as ``(m, *shape)`` (see the module's docstring)."""
    from glassnet.data.csv_format import csv_columns, load_csv

    n_x = math.prod(shape)
    names, n_cols, delimiter = csv_columns(p)
    found = f"{n_cols} columns" + (f" ({', '.join(names)})" if names else "")
    if features:
        feat = [_column(p, names, n_cols, c, "feature") for c in features]
    elif n_cols == n_x:
        feat = list(range(n_cols))
    elif n_cols == n_x + 1:
        drop = _column(p, names, n_cols, -1 if label is None else label, "label")
        feat = [j for j in range(n_cols) if j != drop]
    else:
        told = "the last" if label is None else repr(label)
        _fail(f"{p}: {found}; the model takes {n_x} feature columns (or {n_x} and the label "
              f"column, {told})")
    if len(feat) != n_x:
        _fail(f"{p}: the run's features are {len(feat)} columns; the model takes {n_x}")
    others = [j for j in range(n_cols) if j not in feat]
    ds = load_csv(p, label_column=others, delimiter=delimiter)
    order = sorted(feat)
    x = ds.x[:, [order.index(j) for j in feat]]  # the run's order of the features
    return x.reshape(len(x), *shape)


def _read_array(p: Path, shape: tuple[int, ...]) -> numpy.ndarray:
    """The examples of a .npy/.npz file (key ``x``, else the first) or of a dataset file."""
    from glassnet.data.loaders import load_dataset

    if p.suffix.lower() not in ARRAY_SUFFIXES:
        arr = load_dataset(p, "train").x  # its errors name the file
    else:
        try:
            if p.suffix.lower() == ".npy":
                arr = numpy.load(p, allow_pickle=False)
            else:
                with numpy.load(p, allow_pickle=False) as z:
                    if not z.files:
                        _fail(f"{p}: an empty .npz archive")
                    arr = z["x" if "x" in z.files else z.files[0]]
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            _fail(f"{p}: not a {p.suffix.lower()} array file ({exc.__class__.__name__})")
    if tuple(arr.shape) == shape:
        arr = arr[None]
    if tuple(arr.shape[1:]) != shape:
        _fail(f"{p}: an array of shape {_shape_text(arr.shape)}; the model takes examples of "
              f"shape {_shape_text(shape)} or (m, {', '.join(map(str, shape))})")
    if not numpy.issubdtype(arr.dtype, numpy.number):
        _fail(f"{p}: non-numeric dtype {arr.dtype}")
    if not numpy.isfinite(arr.astype(numpy.float64, copy=False)).all():
        _fail(f"{p}: contains NaN or inf")
    return arr


def _read_image(p: Path, shape: tuple[int, ...], pipe: Any) -> numpy.ndarray:
    """One image as ``(1, n_H, n_W, n_C)``: converted and resized as the training folders are."""
    from glassnet.data import read_image  # bombs and damaged files: one DataError line

    if len(shape) != 3 or shape[2] not in (1, 3):
        _fail(f"{p}: this model takes examples of shape {_shape_text(shape)}, not images")
    n_H, n_W, n_C = shape
    arr = read_image(p, (n_H, n_W), grayscale=n_C == 1).reshape(shape)
    if pipe.scale is None:  # a model trained on unscaled values takes the pixels as numbers
        arr = arr.astype(numpy.float32)
    return arr[None]


def _images_in(folder: Path) -> list[Path]:
    files = sorted(f for f in folder.rglob("*") if f.is_file()
                   and f.suffix.lower() in IMAGE_EXTENSIONS
                   and not any(part.startswith(".") for part in f.relative_to(folder).parts))
    if not files:
        _fail(f"{folder}: a folder with no images in it or its sub-folders "
              f"({', '.join(IMAGE_EXTENSIONS)})")
    return files


def read_inputs(paths: tuple[str, ...], pipe: Any, label: Any = None,
                features: list | None = None) -> tuple[numpy.ndarray, list[str]]:
    """(the raw examples ``(m, ...)`` of every input, one name per example)."""
    shape = tuple(int(d) for d in pipe.example_shape)
    parts, names = [], []
    for text in paths:
        p = Path(text)
        if not p.exists():
            _fail(f"{p}: no such file or folder")
        suffix = p.suffix.lower()
        if p.is_dir():
            files = _images_in(p)
            if len(shape) != 3:
                _fail(f"{p}: a folder of images; this model takes examples of shape "
                      f"{_shape_text(shape)}, not images")
            parts += [_read_image(f, shape, pipe) for f in files]
            names += [str(f) for f in files]
            continue
        if suffix in CSV_SUFFIXES:
            arr = _read_csv(p, shape, label, features)
        elif suffix in IMAGE_EXTENSIONS:
            arr = _read_image(p, shape, pipe)
            parts.append(arr)
            names.append(text)
            continue
        elif suffix in ARRAY_SUFFIXES or suffix in (".h5", ".hdf5", ".mat", ".gz") \
                or "ubyte" in p.name:
            arr = _read_array(p, shape)
        else:
            arr = _read_image(p, shape, pipe)  # a picture with another suffix, or a clear error
            parts.append(arr)
            names.append(text)
            continue
        parts.append(arr)
        names += [f"{text}[{i}]" for i in range(len(arr))]
    x = numpy.concatenate(parts) if len(parts) > 1 else parts[0]
    return x, names


# -- predicting and writing -------------------------------------------------------------------
def outputs_of(model: Any, pipe: Any, x: numpy.ndarray) -> numpy.ndarray:
    """A[L] ``(n_y, m)`` for the raw examples ``x``, transformed and run in batches."""
    from glassnet.core.backend import to_numpy
    from glassnet.models.inference import inference_batch_size

    if model.output_layout.name != "dense":
        _fail(f"predict writes one row per input; this model outputs "
              f"{model.output_layout.describe()} arrays")
    size = inference_batch_size(model)
    parts = [to_numpy(model.predict_proba(pipe.transform(x[a:a + size], "input"), size))
             for a in range(0, len(x), size)]
    return numpy.concatenate(parts, axis=1)


def prediction_rows(model: Any, A: numpy.ndarray, names: list[str]) -> list[dict[str, Any]]:
    """One dict per input: class, label and probability, or the output values."""
    classes = model.metadata.get("classes")
    task = model.task
    rows = []
    for i, name in enumerate(names):
        if task == "multiclass":
            c = int(A[:, i].argmax())
            prob = float(A[c, i])
        elif task == "binary":
            c = int(A[0, i] > 0.5)
            prob = float(A[0, i] if c == 1 else 1 - A[0, i])
        else:
            row = {"input": name, "output": A[:, i].tolist()}
            if A.shape[0] == 1:
                row["value"] = float(A[0, i])
            rows.append(row)
            continue
        label = classes[c] if classes and c < len(classes) else str(c)
        rows.append({"input": name, "class": c, "label": label, "probability": prob})
    return rows


def write_predictions_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """``input,label,class,probability`` or ``input,value`` rows, written atomically."""
    from glassnet.core.atomic import atomic_write_text

    if path.parent and not path.parent.exists():
        _fail(f"{path}: no such folder {path.parent}")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if rows and "class" in rows[0]:
        writer.writerow(["input", "label", "class", "probability"])
        for r in rows:
            writer.writerow([r["input"], r["label"], r["class"], f"{r['probability']:.6f}"])
    else:
        k = len(rows[0]["output"]) if rows else 1
        writer.writerow(["input", *(["value"] if k == 1 else [f"value_{j}" for j in range(k)])])
        for r in rows:
            writer.writerow([r["input"], *(f"{v:.6g}" for v in r["output"])])
    atomic_write_text(path, buf.getvalue())


@click.command()
@click.argument("model_dir")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out", default=None, metavar="FILE.csv",
              help="Write one row per input to this CSV (input, label, class, probability; "
                   "for regression the value).")
@click.option("--json", "as_json", is_flag=True)
def predict(model_dir: str, inputs: tuple[str, ...], out: str | None, as_json: bool) -> None:
    """Predict the class (and probability), or the value, of each input: CSV files (with a
    header, or the training file itself), folders of images, image files, .npy/.npz arrays."""
    model, pipe = _load(model_dir)
    label, features = _run_columns(model_dir, model)
    x, names = read_inputs(inputs, pipe, label, features)
    rows = prediction_rows(model, outputs_of(model, pipe, x), names)
    if out is not None:
        write_predictions_csv(Path(out), rows)
    if as_json:
        click.echo(json.dumps(rows))
        return
    if out is not None:
        click.echo(f"{len(rows)} predictions written to {out}")
        return
    for r in rows:
        if "class" in r:
            prob = r["probability"]
            click.echo(f"{r['input']}: {r['label']} (class {r['class']}, probability {prob:.3f})")
        else:
            click.echo(f"{r['input']}: {r.get('value', r['output'])}")
