"""``glassnet train``: train a network on a dataset (or the default job) and save the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from glassnet.cli.common import _fail, _parse_model_options, _read_config_file

TRAIN_OPTIONS = {
    # flag name -> config key
    "model_option": "model_options",
    "data": "data",
    "test_data": "test_data",
    "model": "model",
    "hidden": "hidden",
    "activation": "activation",
    "output_activation": "output_activation",
    "task": "task",
    "init": "init",
    "init_scale": "init_scale",
    "optimizer": "optimizer",
    "learning_rate": "learning_rate",
    "beta": "beta",
    "beta1": "beta1",
    "beta2": "beta2",
    "epsilon": "epsilon",
    "decay": "decay",
    "decay_rate": "decay_rate",
    "decay_interval": "decay_interval",
    "iterations": "epochs",
    "batch_size": "batch_size",
    "l2": "l2",
    "l1": "l1",
    "keep_prob": "keep_prob",
    "batchnorm": "batchnorm",
    "dev_fraction": "dev_fraction",
    "train_dev": "train_dev_fraction",
    "human_error": "human_error",
    "early_stopping": "early_stopping",
    "checkpoint_every": "checkpoint_every",
    "clip_value": "clip_value",
    "clip_norm": "clip_norm",
    "augment": "augment",
    "preprocess": "preprocess",
    "seed": "seed",
    "rng": "rng",
    "dtype": "dtype",
    "print_every": "print_every",
}


@click.command()
@click.option(
    "--data",
    type=str,
    help="Training data: .h5, .npz, .csv, .mat, MNIST IDX or an image folder "
    "(default: scikit-learn's digits).",
)
@click.option(
    "--test-data", type=str, help="Test data (default: the file's test part, or 20% held out)."
)
@click.option("--model", type=str, help="A zoo architecture (e.g. small_convnet, small_resnet).")
@click.option(
    "--model-option",
    "model_option",
    multiple=True,
    help="A zoo architecture's setting as KEY=VALUE, e.g. width=2 (repeatable).",
)
@click.option(
    "--hidden", type=str, help="Hidden layer sizes, e.g. 20,7,5; empty = logistic regression."
)
@click.option(
    "--activation", type=str, help="Hidden activation: relu, tanh, sigmoid, leaky_relu, ..."
)
@click.option("--output-activation", type=str, help="Output activation (default from the labels).")
@click.option("--task", type=click.Choice(["binary", "multiclass", "multilabel", "regression"]))
@click.option("--init", type=click.Choice(["zeros", "random", "he", "xavier", "glorot"]))
@click.option("--init-scale", type=float, help="Scale of the 'random' initializer (0.01).")
@click.option("--optimizer", type=click.Choice(["gd", "sgd", "momentum", "rmsprop", "adam"]))
@click.option("--learning-rate", "-a", type=float, help="alpha (0.0075).")
@click.option("--beta", type=float, help="Momentum's beta.")
@click.option("--beta1", type=float, help="Adam's beta1.")
@click.option("--beta2", type=float, help="Adam's / RMSProp's beta2.")
@click.option("--epsilon", type=float)
@click.option(
    "--decay", type=str, help="Learning-rate decay: inverse_time, exponential, inverse_sqrt, step."
)
@click.option("--decay-rate", type=float)
@click.option("--decay-interval", type=int, help="Apply the decay every N epochs (staircase).")
@click.option(
    "--iterations",
    "--epochs",
    "iterations",
    type=int,
    help="Iterations of batch GD / epochs of mini-batch GD (2500).",
)
@click.option("--batch-size", type=int, help="Mini-batch size (default: the whole set).")
@click.option("--l2", type=float, help="L2 regularization lambda.")
@click.option("--l1", type=float, help="L1 regularization lambda.")
@click.option("--keep-prob", type=float, help="Inverted-dropout keep probability on hidden layers.")
@click.option("--batchnorm/--no-batchnorm", default=None, help="Batch norm on hidden layers.")
@click.option("--dev-fraction", type=float, help="Share of the training set held out as dev set.")
@click.option("--train-dev", type=float, help="Share held out as a train-dev set (data mismatch).")
@click.option("--human-error", type=float, help="Human-level error, the Bayes-error proxy.")
@click.option(
    "--early-stopping", type=int, help="Patience (evaluations) of early stopping on dev cost."
)
@click.option("--checkpoint-every", type=int, help="Checkpoint every N epochs (for --resume).")
@click.option("--clip-value", type=float)
@click.option("--clip-norm", type=float)
@click.option(
    "--augment", type=str, help='Image augmentation as JSON, e.g. {"flip": true, "crop": 4}.'
)
@click.option(
    "--preprocess", type=click.Choice(["auto", "none", "scale", "standardize", "scale+standardize"])
)
@click.option("--seed", type=int, help="Seed for initialization, shuffling and dropout (1).")
@click.option(
    "--rng",
    type=click.Choice(["numpy", "course"]),
    help="'course' draws the initial weights as the course's notebooks do.",
)
@click.option("--dtype", type=click.Choice(["float32", "float64"]))
@click.option("--print-every", type=int, help="Record the cost every N iterations (100).")
@click.option("--config", "config_file", type=str, help="A TOML/YAML/JSON file of these settings.")
@click.option("--out", type=str, default="runs/train", show_default=True, help="Output folder.")
@click.option("--resume", type=str, help="Continue the killed run saved in this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
def train(
    config_file: str | None,
    out: str,
    resume: str | None,
    as_json: bool,
    progress: bool | None,
    **flags: Any,
) -> None:
    """Train a network, evaluate it, save it with its learning curve and metrics.

    With no arguments: a deep network on scikit-learn's handwritten digits.
    """
    from glassnet.project.run import run_training

    if resume:
        run_file = Path(resume) / "run.json"
        if not run_file.is_file():
            _fail(f"{resume}: nothing to resume (no run.json; train with --checkpoint-every)")
        config = json.loads(run_file.read_text())["config"]
        out = resume
    else:
        config = _read_config_file(config_file) if config_file else {}
        for flag, value in flags.items():
            if flag == "model_option":
                if value:
                    config["model_options"] = _parse_model_options(value)
            elif value is not None:
                config[TRAIN_OPTIONS[flag]] = value
        if (
            "hidden" in config
            and isinstance(config["hidden"], str)
            and not config["hidden"].strip()
        ):
            config["hidden"] = []
        if "augment" in config and isinstance(config["augment"], str):
            try:
                config["augment"] = json.loads(config["augment"])
            except json.JSONDecodeError:
                _fail(
                    f'--augment: expected JSON such as {{"flip": true}}, got {config["augment"]!r}'
                )
        if config.get("model") is None and "data" not in config and "hidden" not in config:
            # the main job: a deep network on the bundled digits, trained with Adam
            config.setdefault("optimizer", "adam")
            config.setdefault("learning_rate", 0.001)
            config.setdefault("batch_size", 64)
            config.setdefault("epochs", 60)
            config.setdefault("print_every", 5)
            config.setdefault("dev_fraction", 0.1)  # so the learning curve shows train vs dev
    result = run_training(config, out=out, resume=bool(resume), progress=progress)
    m = result.metrics
    if as_json:
        payload = {k: m[k] for k in m if k not in ("train", "dev", "test", "train_dev")}
        payload.update({"out": str(out), "n_parameters": m["n_parameters"]})
        payload.setdefault("test_accuracy", None)
        payload.setdefault("train_accuracy", None)
        click.echo(json.dumps(payload))
        return
    click.echo(result.model.summary())
    for note in m.get("notes", []):
        click.echo(f"note: {note}")
    costs = result.history.costs
    if costs:
        first, last = min(costs), max(costs)
        click.echo(f"cost: {costs[first]:.6f} (epoch {first}) -> {costs[last]:.6f} (epoch {last})")
    for name in ("train", "train_dev", "dev", "test"):
        if f"{name}_accuracy" in m:
            click.echo(f"{name} accuracy: {m[f'{name}_accuracy']:.2%}")
        elif name in m:
            click.echo(f"{name} cost: {m[name]['cost']:.6f}")
    if "diagnosis" in m:
        click.echo(m["diagnosis"].get("text", ""))
    click.echo(
        f"trained in {m['train_seconds']:.1f} s; saved to {out}/ "
        "(architecture.json, parameters.npz, metrics.json, learning_curve.png)"
    )
