"""The ``glassnet`` command: train, evaluate, predict, info, gradcheck.

Bad input ends with one line on stderr naming the problem and exit code 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import numpy

from glassnet._version import __version__
from glassnet.core.errors import GlassnetError

EXIT_BAD_INPUT = 2


class CLIError(click.ClickException):
    exit_code = EXIT_BAD_INPUT


def _fail(message: str) -> None:
    raise CLIError(message)


def _read_config_file(path: str) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        _fail(f"{p}: no such configuration file")
    text = p.read_text("utf-8")
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        elif p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            _fail(f"{p}: configuration files are .toml, .yaml or .json")
    except Exception as exc:  # noqa: BLE001 - any parser error becomes one line
        _fail(f"{p}: cannot parse ({str(exc).splitlines()[0]})")
    if not isinstance(data, dict):
        _fail(f"{p}: expected a table of settings at the top level")
    data = data.get("train", data)
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def _parse_model_options(items: tuple[str, ...]) -> dict[str, Any]:
    """``("width=2", "init=glorot")`` -> ``{"width": 2, "init": "glorot"}`` (JSON values)."""
    options: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            _fail(f"--model-option: expected KEY=VALUE, got {item!r}")
        try:
            options[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            options[key.strip()] = raw
    return options


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="glassnet")
def cli() -> None:
    """glassnet: the Deep Learning Specialization's networks, from scratch in NumPy."""


# -- train ------------------------------------------------------------------------------

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


@cli.command()
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


# -- evaluate / predict / info ------------------------------------------------------------


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


@cli.command()
@click.argument("model_dir")
@click.option(
    "--data", required=True, help="Dataset file to evaluate on (its test part if it has one)."
)
@click.option("--split", default=None, help="train or test (default: test if the file has one).")
@click.option("--json", "as_json", is_flag=True)
def evaluate(model_dir: str, data: str, split: str | None, as_json: bool) -> None:
    """Cost, accuracy, precision/recall/F1 and confusion matrix of a saved model."""
    from glassnet.data import load_dataset, load_train_test
    from glassnet.project.run import _errors_of

    model, pipe = _load(model_dir)
    if split is None:
        train, test = load_train_test(data)
        ds = test if test is not None else train
    else:
        ds = load_dataset(data, split)
    res = _errors_of(model, pipe, (ds.x, ds.y), model.task, f"{data}")
    res["m"] = int(len(ds.x))
    if as_json:
        click.echo(json.dumps(res))
        return
    click.echo(f"{data}: {res['m']} examples")
    for key in ("cost", "accuracy", "precision", "recall", "f1", "macro_f1"):
        if key in res:
            click.echo(f"  {key:>9}: {res[key]:.4f}")
    if "confusion_matrix" in res:
        click.echo("  confusion matrix (rows: true, columns: predicted):")
        for row in res["confusion_matrix"]:
            click.echo("    " + " ".join(f"{v:5d}" for v in row))


def _read_inputs(paths: tuple[str, ...], pipe: Any) -> tuple[numpy.ndarray, list[str]]:
    shape = tuple(pipe.example_shape)
    images, names = [], []
    for p in paths:
        path = Path(p)
        if not path.exists():
            _fail(f"{p}: no such file")
        suffix = path.suffix.lower()
        if suffix in (".npy", ".npz", ".csv"):
            if suffix == ".npy":
                arr = numpy.load(path, allow_pickle=False)
            elif suffix == ".npz":
                with numpy.load(path, allow_pickle=False) as z:
                    key = "x" if "x" in z.files else z.files[0]
                    arr = z[key]
            else:
                arr = numpy.loadtxt(path, delimiter=",", ndmin=2)
            if arr.shape == shape:
                arr = arr[None]
            images.append(arr)
            names += [f"{p}[{i}]" for i in range(len(arr))]
        else:
            from PIL import Image, UnidentifiedImageError

            if len(shape) != 3:
                _fail(f"{p}: this model takes {shape} arrays, not images")
            try:
                with Image.open(path) as im:
                    im = im.convert("RGB" if shape[2] == 3 else "L").resize((shape[1], shape[0]))
                    arr = numpy.asarray(im).reshape(shape)
            except (UnidentifiedImageError, OSError) as exc:
                _fail(f"{p}: not an image or array file ({exc.__class__.__name__})")
            if pipe.scale is None and arr.dtype == numpy.uint8 and shape[-1] in (1, 3):
                arr = arr.astype(numpy.float32)
            images.append(arr[None])
            names.append(p)
    x = numpy.concatenate(images) if len(images) > 1 else images[0]
    return x, names


@cli.command()
@click.argument("model_dir")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True)
def predict(model_dir: str, inputs: tuple[str, ...], as_json: bool) -> None:
    """Predict the class (and probability) of image files or array files (.npy/.npz/.csv)."""
    model, pipe = _load(model_dir)
    x, names = _read_inputs(inputs, pipe)
    X = pipe.transform(x, "input")
    A = numpy.asarray(model.predict_proba(X))
    classes = model.metadata.get("classes")
    rows = []
    task = model.task
    for i, name in enumerate(names):
        if task == "multiclass":
            c = int(A[:, i].argmax())
            prob = float(A[c, i])
        elif task == "binary":
            c = int(A[0, i] > 0.5)
            prob = float(A[0, i] if c == 1 else 1 - A[0, i])
        else:
            rows.append({"input": name, "output": A[:, i].tolist()})
            continue
        label = classes[c] if classes and c < len(classes) else str(c)
        rows.append({"input": name, "class": c, "label": label, "probability": prob})
    if as_json:
        click.echo(json.dumps(rows))
        return
    for r in rows:
        if "class" in r:
            prob = r["probability"]
            click.echo(f"{r['input']}: {r['label']} (class {r['class']}, probability {prob:.3f})")
        else:
            click.echo(f"{r['input']}: {r['output']}")


@cli.command()
@click.argument("model_dir")
@click.option("--json", "as_json", is_flag=True)
def info(model_dir: str, as_json: bool) -> None:
    """Layers, output shapes and parameter counts of a saved model."""
    from glassnet.models.saving import read_architecture

    model, _ = _load(model_dir)
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
    click.echo(f"{model_dir}: {model.task} model, input {model.input_shape}")
    click.echo(model.summary())
    classes = model.metadata.get("classes")
    if classes:
        click.echo(f"classes: {', '.join(map(str, classes))}")


@cli.command()
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
def gradcheck(
    model_dir: str | None, data: str | None, examples: int, threshold: float, seed: int
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
        max_per_array=None if model.n_parameters <= 5000 else 50,
        seed=seed,
    )
    click.echo(f"{label}:\n{result}")
    if not result.passed:
        sys.exit(1)


# commands that live in modules of their own
from glassnet.cli.search import search  # noqa: E402
from glassnet.cli.strategy import diagnose_command, errors, select  # noqa: E402

for _command in (search, errors, diagnose_command, select):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the command; bad input -> one line on stderr, exit 2."""
    try:
        cli.main(args=argv, prog_name="glassnet", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("glassnet: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"glassnet: error: {exc.format_message()}", err=True)
        return EXIT_BAD_INPUT
    except (GlassnetError, ValueError, KeyError, OSError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        if isinstance(exc, KeyError):
            msg = f"missing {msg}"
        click.echo(f"glassnet: error: {msg}", err=True)
        return EXIT_BAD_INPUT
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
