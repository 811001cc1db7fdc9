"""``glassnet evaluate``, ``info`` and ``gradcheck``: look at a saved model (``predict`` is
:mod:`glassnet.cli.predict`)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import numpy

from glassnet.cli.common import _fail


def _load(directory: str) -> tuple[Any, Any]:
    from glassnet.data.pipeline import InputPipeline
    from glassnet.models.saving import load_model

    model = load_model(directory)
    pipe = InputPipeline.of(model)
    if pipe is None:
        _fail(
            f"{directory}: the model has no input pipeline metadata (save it with glassnet train)"
        )
    return model, pipe


@click.command()
@click.argument("model_dir")
@click.option(
    "--data", required=True,
    help="Dataset file to evaluate on: its test part, or the rows the run held out of it.")
@click.option("--split", default=None,
              help="test (default: the file's test part, or the run's held-out test rows of "
                   "its training file), train, or all (every row).")
@click.option("--json", "as_json", is_flag=True)
def evaluate(model_dir: str, data: str, split: str | None, as_json: bool) -> None:
    """Cost, accuracy, precision/recall/F1 and confusion matrix (RMSE, MAE and R^2 for
    regression) of a saved model; for a character language model, the cross-entropy per
    character on a text file."""
    from glassnet.cli.sample import evaluate_text, is_text_run
    from glassnet.project.run import _errors_of
    from glassnet.project.splits import evaluation_rows

    if is_text_run(model_dir):
        evaluate_text(model_dir, data, as_json)
        return

    model, pipe = _load(model_dir)
    x, y, rows = evaluation_rows(data, split, model.metadata.get("split"))
    res = _errors_of(model, pipe, (x, y), model.task, f"{data}")
    res["m"] = int(len(x))
    res["rows"] = rows
    if as_json:
        click.echo(json.dumps(res))
        return
    click.echo(f"{data}: {rows}")
    for key in ("cost", "accuracy", "precision", "recall", "f1", "macro_f1", "rmse", "mae",
                "r2", "baseline_rmse"):
        if key in res:
            click.echo(f"  {key:>13}: {res[key]:.4f}")
    if "baseline_rmse" in res:
        click.echo("  (baseline_rmse: predicting the training targets' mean)")
    if "confusion_matrix" in res:
        click.echo("  confusion matrix (rows: true, columns: predicted):")
        for row in res["confusion_matrix"]:
            click.echo("    " + " ".join(f"{v:5d}" for v in row))


@click.command()
@click.argument("model_dir")
@click.option("--json", "as_json", is_flag=True)
def info(model_dir: str, as_json: bool) -> None:
    """Layers, output shapes and parameter counts of a saved model."""
    from glassnet.cli.sample import is_text_run, load_text_model
    from glassnet.models.saving import load_model, read_architecture

    text_model = is_text_run(model_dir)  # info needs no input pipeline (a model saved from
    model = load_text_model(model_dir)[0] if text_model else load_model(model_dir)  # Python)
    if as_json:
        arch = read_architecture(model_dir)
        click.echo(
            json.dumps(
                {
                    "architecture": arch["model"],
                    "n_parameters": model.n_parameters,
                    "parameters": {k: list(v.shape) for k, v in model.parameters.items()},
                    "metadata": model.metadata,
                }
            )
        )
        return
    if text_model:
        meta = model.metadata
        click.echo(f"{model_dir}: character language model {meta['text_model']}, "
                   f"{model.input_shape[0]} characters in the vocabulary, windows of "
                   f"{meta.get('seq_length')}, trained on {meta.get('trained_on')}")
        click.echo(model.summary())
        return
    click.echo(f"{model_dir}: {model.task} model, input {model.input_shape}")
    click.echo(model.summary())
    classes = model.metadata.get("classes")
    if classes:
        click.echo(f"classes: {', '.join(map(str, classes))}")


@click.command()
@click.argument("model_dir", required=False)
@click.option("--data", help="Data for a saved model (a few examples are used).")
@click.option(
    "--examples",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="Examples to check on.",
)
@click.option("--threshold", default=1e-7, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--all", "check_all", is_flag=True,
              help="Check every component (default: a random sample of a large model's).")
def gradcheck(
    model_dir: str | None, data: str | None, examples: int, threshold: float, seed: int,
    check_all: bool,
) -> None:
    """Gradient checking: backward pass vs two-sided differences (exit 0 only if it passes).

    Without MODEL_DIR: a small 4-5-3-1 network (ReLU/tanh, sigmoid) on random data.
    """
    from glassnet.gradcheck import gradient_check

    rng = numpy.random.default_rng(seed)
    if model_dir is None:
        from glassnet.layers import Dense
        from glassnet.models.sequential import Sequential

        model = Sequential([Dense(5, "relu"), Dense(3, "tanh"), Dense(1, "sigmoid")])
        model.build(4, seed=seed, dtype="float64")
        for p in model.parameters.values():  # non-zero biases test db too
            p += rng.normal(0, 0.1, p.shape)
        X = rng.standard_normal((4, examples))
        Y = (rng.random((1, examples)) > 0.5).astype(float)
        label = "random 4-5-3-1 network"
    else:
        model, pipe = _load(model_dir)
        if data is None:
            _fail("gradcheck MODEL_DIR needs --data")
        from glassnet.data import load_dataset

        ds = load_dataset(data, "train")
        idx = rng.choice(len(ds.x), size=min(examples, len(ds.x)), replace=False)
        model.astype("float64")
        pipe.dtype = numpy.dtype("float64")
        X = pipe.transform(ds.x[idx], data)
        Y = model.prepare_labels(ds.y[idx])
        label = model_dir
    result = gradient_check(
        model,
        X,
        Y,
        threshold=threshold,
        max_per_array=None if check_all else "auto",
        seed=seed,
    )
    click.echo(f"{label}:\n{result}")
    if not result.passed:
        sys.exit(1)
