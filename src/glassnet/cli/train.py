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
from glassnet.core.errors import RunLockedError
from glassnet.project.config import _INVERSE_TIME, PRESET_KEY, PRESETS, ConfigError, RunConfig
from glassnet.project.run_folder import (
    RESUMABLE,
    RunExistsError,
    holds_run,
    read_run_config,
    resume_conflicts,
)
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
    f = next((f for f in fields(RunConfig) if f.name == exc.field), None)
    if f is None:
        return message
    return _flag_name(f) + message[len(exc.field):]


def _flag_name(f: Field) -> str:
    return "/".join(d for d in flags_of(f) if d.startswith("--"))


def _given(config_file: str | None, flags: dict[str, Any]) -> dict[str, Any]:
    """The settings given: the file's (checked, naming the file), then the flags'."""
    given = _read_config_file(config_file) if config_file else {}
    if given:
        given = RunConfig.check_keys(given, source=config_file)
    for name, value in flags.items():
        if name == "model_options":
            if value:
                given[name] = _parse_model_options(value)
        elif value is not None:
            given[name] = value
    return given


def settings_of(config_file: str | None, flags: dict[str, Any],
                preset: str | None = None) -> RunConfig:
    """The run's settings: the file's, then the flags given; the rest from ``preset``
    (``--preset``, or the file's ``preset = NAME``), else the defaults (the digits preset
    for the default job: no --data, --model or --hidden)."""
    given = _given(config_file, flags)
    preset = preset or given.pop(PRESET_KEY, None)
    default_job = given.get("model") is None and "data" not in given and "hidden" not in given
    base = RunConfig.preset(DEFAULT_PRESET) if default_job else None
    if is_char_model(given.get("model")):  # a character language model: Adam, batches, ...
        base = RunConfig.preset("text")
    if preset is not None:
        base = RunConfig.preset(preset)
    try:
        config = RunConfig.from_dict(given, base=base)
    except ConfigError as exc:
        from_flag = exc.field is not None and flags.get(exc.field) not in (None, ())
        if config_file is None or from_flag or exc.field not in given:
            raise
        raise ConfigError(exc.field, f"{config_file}: {exc}") from None
    if flags.get("decay_rate") is not None and config.decay not in _INVERSE_TIME:
        raise ConfigError("decay_rate", f"decay_rate: only --decay inverse_time has a decay "
                                        f"rate (decay: {config.decay})")
    return config


def resumed_settings(folder: str, config_file: str | None, flags: dict[str, Any],
                     preset: str | None) -> RunConfig:
    """The settings of the run to resume, with the changes a resumed run may take (more
    --epochs, ...); the flags that would change the run itself are refused, named."""
    saved = read_run_config(folder)
    if preset is not None:
        _fail(f"--preset: not with --resume (the run keeps its settings, from {folder}/run.json)")
    changes = _given(config_file, flags)
    changes.pop(PRESET_KEY, None)
    conflicts = resume_conflicts(saved, changes)
    if conflicts:
        named = ", ".join(_flag_name(f) for f in fields(RunConfig) if f.name in conflicts)
        can = ", ".join(f"--{k.replace('_', '-')}" for k in RESUMABLE)
        _fail(f"--resume {folder}: {named} would change the run saved there; a resumed run "
              f"can change only {can}")
    return RunConfig.from_dict(changes, base=saved)


@click.command()
@run_config_options
@click.option("--config", "config_file", type=str, help="A TOML/YAML/JSON file of these settings.")
@click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
              help="Start from a named recipe: course (full-batch GD, 0.0075, 2500 iterations, "
                   "the course's notebooks), digits (the default job), text.")
@click.option("--out", type=str, default=None,
              help="Output folder (default: runs/train, or runs/train-2, -3, ... when taken).")
@click.option("--overwrite", is_flag=True,
              help="Replace the run already in --out (once the new run has ended well).")
@click.option("--resume", type=str, help="Continue the killed run saved in this folder "
                                         "(more --epochs may be given).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def train(
    config_file: str | None,
    preset: str | None,
    out: str | None,
    overwrite: bool,
    resume: str | None,
    as_json: bool,
    **flags: Any,
) -> None:
    """Train a network, evaluate it, save it with its learning curve and metrics.

    The defaults, for every dataset: Adam at 0.001, mini-batches of 64, 20 epochs.
    With no --data, --model or --hidden: the "digits" preset, a deep network on
    scikit-learn's handwritten digits (60 epochs, a dev set).  --preset course: the
    course's full-batch gradient descent at 0.0075 for 2,500 iterations.
    Configuration files take the same settings, with underscores (learning_rate = 0.01).
    """
    from glassnet.project.run import run_training

    progress = flags.pop("progress")  # for this process only: not a setting of the run
    try:
        if resume:
            if overwrite:
                _fail("--overwrite: not with --resume (the resumed run replaces its own files)")
            if out is not None and Path(out) != Path(resume):
                _fail(f"--out {out}: a resumed run is saved where it was ({resume})")
            config = resumed_settings(resume, config_file, flags, preset)
            out = resume
        else:
            config = settings_of(config_file, flags, preset)
            out = _run_folder(out)
        result = run_training(config, out=out, resume=bool(resume), progress=progress,
                              overwrite=overwrite)
    except ConfigError as exc:
        _fail(flag_message(exc))
    except (RunExistsError, RunLockedError) as exc:  # --out is taken: one line, exit 2
        _fail(str(exc))
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
        f"trained in {_seconds(m['train_seconds'])}; saved to {out}/ "
        "(architecture.json, parameters.npz, metrics.json, learning_curve.png)"
    )


def _run_folder(out: str | None) -> str:
    """Where a new run goes: ``--out``, else the first of runs/train, runs/train-2, ...
    that holds no run and is not being written (the run itself refuses to replace an
    earlier run without --overwrite)."""
    if out is not None:
        return out
    base, k = Path("runs/train"), 1
    folder = base
    while holds_run(folder) or (folder / ".lock").exists():
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
    click.echo(f"trained in {_seconds(m['train_seconds'])}; saved to {out}/ "
               "(architecture.json, "
               "parameters.npz, vocabulary.json, metrics.json, learning_curve.png); "
               f"glassnet sample {out}")


def _seconds(t: float) -> str:
    """``0.043 s``, ``2.51 s``, ``41.3 s``: enough digits to be read."""
    return f"{t:.3f} s" if t < 1 else f"{t:.2f} s" if t < 10 else f"{t:.1f} s"
