"""``glassnet train``: train a network on a dataset (or the default job) and save the run.

Its settings' options are made from :class:`~glassnet.project.config.RunConfig`'s fields:
``--learning-rate`` for ``learning_rate`` (and the aliases of the field's metadata, e.g.
``--iterations``), the type, choices and help of the field.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from dataclasses import Field, fields
from pathlib import Path
from typing import Any

import click

from glassnet.cli.common import _fail, _parse_model_options, _read_config_file
from glassnet.project.config import ConfigError, RunConfig
from glassnet.text.charlm import is_char_model

DEFAULT_PRESET = "digits"  # what ``glassnet train`` trains with no --data, --model or --hidden
_CLICK_TYPES = {int: click.INT, float: click.FLOAT, str: click.STRING, bool: click.BOOL}


def flags_of(f: Field) -> list[str]:
    """The command-line spellings of setting ``f``: ``--learning-rate``, ``-a``."""
    main = f"--{f.name.replace('_', '-')}"
    extra = list(f.metadata.get("flags", ()))
    if f.metadata.get("cli") == "key=value":  # --model-option KEY=VALUE (repeatable)
        return [*extra, main]
    return [main, *extra]


def _option(f: Field, annotation: Any) -> Callable[[Any], Any]:
    """The click option of one RunConfig field."""
    meta = f.metadata
    decls = flags_of(f)
    kinds = [t for t in typing.get_args(annotation) if t is not type(None)] or [annotation]
    default = f.default_factory() if callable(f.default_factory) else f.default
    shown = default if not isinstance(default, list) else ",".join(map(str, default))
    help_text = meta["help"]
    if default not in (None, [], {}, False) and f"{shown}" not in help_text:
        help_text = f"{help_text} [{shown}]"
    kwargs: dict[str, Any] = {"help": help_text, "default": None}
    cli = meta.get("cli")
    if cli == "key=value":
        kwargs.update(multiple=True, default=(), metavar="KEY=VALUE")
    elif cli == "text":
        kwargs["type"] = click.STRING
    elif cli == "float":
        kwargs["type"] = click.FLOAT
    elif meta.get("choices"):
        kwargs["type"] = click.Choice(list(meta["choices"]))
    elif kinds[0] is bool:
        long = [d for d in decls if d.startswith("--")]
        decls = [f"{d}/--no-{d[2:]}" for d in long] + [d for d in decls if d not in long]
    else:
        kwargs["type"] = _CLICK_TYPES[kinds[0]]
    return click.option(*decls, f.name, **kwargs)


def run_config_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds one option per RunConfig field to ``command`` (in the fields' order)."""
    hints = typing.get_type_hints(RunConfig)
    for f in reversed(fields(RunConfig)):
        command = _option(f, hints[f.name])(command)
    return command


def flag_message(exc: ConfigError) -> str:
    """A config error in the command line's words: the field's name becomes its flag."""
    message = str(exc)
    if exc.field is None or not message.startswith(exc.field):
        return message
    f = next(f for f in fields(RunConfig) if f.name == exc.field)
    spelled = "/".join(d for d in flags_of(f) if d.startswith("--"))
    return spelled + message[len(exc.field):]


def settings_of(config_file: str | None, flags: dict[str, Any]) -> RunConfig:
    """The run's settings: the file's, then the flags given; the rest from the defaults,
    or from the digits preset for the default job (no --data, --model or --hidden)."""
    given = _read_config_file(config_file) if config_file else {}
    for name, value in flags.items():
        if name == "model_options":
            if value:
                given[name] = _parse_model_options(value)
        elif value is not None:
            given[name] = value
    default_job = given.get("model") is None and "data" not in given and "hidden" not in given
    base = RunConfig.preset(DEFAULT_PRESET) if default_job else None
    if is_char_model(given.get("model")):  # a character language model: Adam, batches, ...
        base = RunConfig.preset("text")
    return RunConfig.from_dict(given, base=base)


@click.command()
@run_config_options
@click.option("--config", "config_file", type=str, help="A TOML/YAML/JSON file of these settings.")
@click.option("--out", type=str, default=None,
              help="Output folder (default: runs/train, or runs/train-2, -3, ... when taken).")
@click.option("--overwrite", is_flag=True, help="Replace the run already in --out.")
@click.option("--resume", type=str, help="Continue the killed run saved in this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def train(
    config_file: str | None,
    out: str | None,
    overwrite: bool,
    resume: str | None,
    as_json: bool,
    **flags: Any,
) -> None:
    """Train a network, evaluate it, save it with its learning curve and metrics.

    With no --data, --model or --hidden: the "digits" preset, a deep network on
    scikit-learn's handwritten digits trained with Adam (RunConfig.preset("digits")).
    Configuration files take the same settings, with underscores (learning_rate = 0.01).
    """
    from glassnet.project.run import run_training

    progress = flags.pop("progress")  # for this process only: not a setting of the run
    try:
        if resume:
            run_file = Path(resume) / "run.json"
            if not run_file.is_file():
                _fail(f"{resume}: nothing to resume (no run.json; train with --checkpoint-every)")
            config = RunConfig.from_dict(json.loads(run_file.read_text())["config"])
            out = resume
        else:
            config = settings_of(config_file, flags)
            out = _run_folder(out, overwrite)
        result = run_training(config, out=out, resume=bool(resume), progress=progress)
    except ConfigError as exc:
        _fail(flag_message(exc))
    m = result.metrics
    if as_json:
        payload = {k: m[k] for k in m if k not in ("train", "dev", "test", "train_dev")}
        payload.update({"out": str(out), "n_parameters": m["n_parameters"]})
        payload.setdefault("test_accuracy", None)
        payload.setdefault("train_accuracy", None)
        click.echo(json.dumps(payload))
        return
    click.echo(result.model.summary())
    if m.get("task") == "language_model":
        _report_text_run(m, out)
        return
    for note in m.get("notes", []):
        click.echo(f"note: {note}")
    if m.get("stopped_early"):
        click.echo(f"early stopping: the dev cost stopped improving; epoch {m.get('best_epoch')}"
                   "'s parameters (the best dev cost) were kept")
    costs = result.history.costs
    if costs:
        first, last = min(costs), max(costs)
        click.echo(f"cost: {costs[first]:.6f} (epoch {first}) -> {costs[last]:.6f} (epoch {last})")
    for name in ("train", "train_dev", "dev", "test"):
        if f"{name}_accuracy" in m:
            click.echo(f"{name} accuracy: {m[f'{name}_accuracy']:.2%}")
        elif "rmse" in m.get(name, {}):
            r = m[name]
            click.echo(f"{name}: RMSE {r['rmse']:.4g}, MAE {r['mae']:.4g}, R^2 {r['r2']:.4f} "
                       f"(predicting the training mean: RMSE {r['baseline_rmse']:.4g})")
        elif name in m:
            click.echo(f"{name} cost: {m[name]['cost']:.6f}")
    if "diagnosis" in m:
        click.echo(m["diagnosis"].get("text", ""))
    click.echo(
        f"trained in {m['train_seconds']:.1f} s; saved to {out}/ "
        "(architecture.json, parameters.npz, metrics.json, learning_curve.png)"
    )


def _holds_run(folder: Path) -> bool:
    return any((folder / name).exists() for name in ("run.json", "architecture.json"))


def _run_folder(out: str | None, overwrite: bool) -> str:
    """Where a new run goes: never over an earlier run unless told (``--overwrite``)."""
    if out is not None:
        if _holds_run(Path(out)) and not overwrite:
            _fail(f"{out}: holds an earlier run; pass --overwrite to replace it, or choose "
                  "another --out")
        return out
    base, k = Path("runs/train"), 1
    folder = base
    while _holds_run(folder):
        k += 1
        folder = base.with_name(f"{base.name}-{k}")
    return str(folder)


def _report_text_run(m: dict[str, Any], out: str) -> None:
    """What ``glassnet train`` prints after a character language model's run."""
    for note in m.get("notes", []):
        click.echo(f"note: {note}")
    click.echo(f"vocabulary: {m['vocab_size']} characters (uniform: "
               f"{m['uniform_bits_per_char']:.3f} bits/char); windows of {m['seq_length']}")
    for name in ("train", "dev"):
        if name in m:
            r = m[name]
            click.echo(f"{name} cross-entropy: {r['nats_per_char']:.4f} nats/char = "
                       f"{r['bits_per_char']:.4f} bits/char, perplexity {r['perplexity']:.3f}")
    click.echo(f"trained in {m['train_seconds']:.1f} s; saved to {out}/ (architecture.json, "
               "parameters.npz, vocabulary.json, metrics.json, learning_curve.png); "
               f"glassnet sample {out}")
