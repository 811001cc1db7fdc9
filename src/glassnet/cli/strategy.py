"""Course 3 commands: ``glassnet errors``, ``glassnet diagnose`` and ``glassnet select``.

Registered on the main group by :mod:`glassnet.cli` (``cli.add_command(errors)`` ...).
Bad input raises :class:`glassnet.errors.GlassnetError`, which the entry point
turns into one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from glassnet.core.errors import GlassnetError


@click.command("errors")
@click.argument("model_dir")
@click.option("--data", default=None,
              help="Dataset file (default: rebuild the run's own sets from MODEL_DIR/run.json).")
@click.option("--split", default="test", show_default=True,
              type=click.Choice(["train", "train_dev", "dev", "test"]),
              help="Which set's errors to analyse (train_dev only from the run's sets).")
@click.option("--out", default=None, help="Output folder (default: MODEL_DIR/errors-SPLIT).")
@click.option("--tags", default="mislabeled,blurry", show_default=True,
              help="Comma-separated tag columns of the sheet, e.g. blurry,mislabeled,great_cat.")
@click.option("--tagged", default=None,
              help="A filled-in errors.csv: count the tags and print the ceilings.")
@click.option("--max-images", default=200, show_default=True,
              help="Most errors shown on contact sheets (all go to the CSV).")
@click.option("--per-page", default=50, show_default=True, help="Images per contact sheet.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def errors(model_dir: str, data: str | None, split: str, out: str | None, tags: str,
           tagged: str | None, max_images: int, per_page: int, as_json: bool) -> None:
    """Error analysis: the misclassified examples of a set, to tag by hand, and the ceilings.

    First run: writes errors.csv (one row per error, an empty column per tag)
    and a contact sheet (each image with its true and predicted label and the
    confidence).  Fill in the CSV, then run again with --tagged errors.csv:
    the share of errors in each category and the error if all were fixed.
    """
    from glassnet.project.error_analysis import analyze, analyze_tagged

    if max_images < 0:
        raise GlassnetError(f"--max-images must be >= 0, got {max_images}")
    if tagged is not None:
        summary = analyze_tagged(model_dir, tagged, data=data, split=split)
        click.echo(json.dumps(summary.to_dict()) if as_json else str(summary))
        return
    result = analyze(model_dir, data=data, split=split, out=out, tags=tags,
                     max_images=max_images, per_page=per_page)
    if as_json:
        e = result.errors
        click.echo(json.dumps({
            "m": e.m, "n_errors": e.n_errors, "error_rate": e.error_rate,
            "csv": str(result.csv_path), "contact_sheets": [str(p) for p in result.sheets],
            "tags": result.tags,
        }))
        return
    click.echo(str(result))
    if result.errors.n_errors:
        again = f"glassnet errors {model_dir}" + (f" --data {data}" if data else "") + \
            f" --split {split} --tagged {result.csv_path}"
        click.echo(f"then: {again}")


@click.command("diagnose")
@click.option("--human", "human", type=float, required=True,
              help="Human-level error (the Bayes-error proxy).")
@click.option("--train", "train", type=float, required=True, help="Training error.")
@click.option("--train-dev", "train_dev", type=float, help="Train-dev error.")
@click.option("--dev", "dev", type=float, help="Dev error.")
@click.option("--test", "test", type=float, help="Test error.")
@click.option("--percent", is_flag=True, help="The errors are given in percent (8 for 8%).")
@click.option("--n-train", type=int, help="Examples the training error was measured on.")
@click.option("--n-train-dev", type=int, help="Examples of the train-dev set.")
@click.option("--n-dev", type=int, help="Examples of the dev set.")
@click.option("--n-test", type=int, help="Examples of the test set.")
@click.option("--json", "as_json", is_flag=True)
def diagnose_command(human: float, train: float, train_dev: float | None, dev: float | None,
                     test: float | None, percent: bool, n_train: int | None,
                     n_train_dev: int | None, n_dev: int | None, n_test: int | None,
                     as_json: bool) -> None:
    """Avoidable bias, variance, data mismatch, dev overfitting from a table of errors.

    With the sets' sizes (--n-train, --n-dev, ...) each error gets its count and 95%
    interval, and a gap that could be noise is said to be so instead of recommended on.
    """
    from glassnet.project.strategy import diagnose

    scale = 0.01 if percent else 1.0
    values = [None if v is None else v * scale for v in (human, train, train_dev, dev, test)]
    d = diagnose(*values, n_train=n_train, n_train_dev=n_train_dev, n_dev=n_dev, n_test=n_test)
    click.echo(json.dumps(d.to_dict()) if as_json else str(d))


def _flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in metrics.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out[f"{prefix}{k}"] = v
    return out


@click.command("select")
@click.argument("runs", nargs=-1, required=True)
@click.option("--optimize", default="test_accuracy", show_default=True,
              help="The optimizing metric (a key of the runs' metrics.json, e.g. dev.f1).")
@click.option("--mode", type=click.Choice(["max", "min"]), default=None,
              help="Maximize or minimize (default: minimize errors, costs and times).")
@click.option("--constraint", "constraints", multiple=True,
              help="A satisficing metric, e.g. 'train_seconds<=60' (repeatable).")
@click.option("--json", "as_json", is_flag=True)
def select(runs: tuple[str, ...], optimize: str, mode: str | None,
           constraints: tuple[str, ...], as_json: bool) -> None:
    """Pick the best of several trained runs: one optimizing metric, satisficing constraints."""
    from glassnet.project.selection import select_model

    candidates = {}
    for run in runs:
        path = Path(run) / "metrics.json"
        if not path.is_file():
            raise GlassnetError(f"{run}: no metrics.json (not a glassnet train output folder)")
        try:
            candidates[run] = _flatten(json.loads(path.read_text("utf-8")))
        except json.JSONDecodeError as exc:
            raise GlassnetError(f"{path}: not valid JSON ({exc})") from None
    cons = {}
    for c in constraints:
        for op in ("<=", ">=", "==", "<", ">"):
            if op in c:
                key, value = c.split(op, 1)
                try:
                    cons[key.strip()] = (op, float(value))
                except ValueError:
                    raise GlassnetError(f"--constraint {c!r}: {value!r} is not a number") from None
                break
        else:
            raise GlassnetError(f"--constraint {c!r}: expected METRIC<=VALUE (or >=, <, >, ==)")
    sel = select_model(candidates, optimize=optimize, constraints=cons, mode=mode)
    click.echo(json.dumps(sel.to_dict()) if as_json else str(sel))
