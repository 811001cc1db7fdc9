"""One training run described by a plain configuration dict.

``glassnet train`` (flags or a TOML/YAML file), the hyperparameter search and
the examples all go through :func:`run_training`: load the data, fit the input
pipeline on the training set, build the model, train, evaluate, save.

Configuration keys (all optional; :data:`DEFAULTS` gives the values):

=================  =============================================================
data, test_data    dataset paths (default: scikit-learn's bundled digits)
model              a zoo architecture name; otherwise a dense network of ``hidden``
hidden             hidden layer sizes, e.g. ``[20, 7, 5]``; ``[]`` = logistic regression
activation         hidden activation; ``output_activation`` / ``task`` override the output
init, init_scale   zeros | random (x init_scale) | he | xavier | glorot
optimizer          gd | momentum | rmsprop | adam, with beta, beta1, beta2, epsilon
learning_rate      alpha0; ``decay`` (+ decay_rate, decay_interval) schedules it
epochs             passes over the data (= iterations for batch GD); batch_size None = m
l2, l1, keep_prob  regularization; ``batchnorm`` true adds batch norm to hidden layers
dev_fraction       share of the training set held out as dev set
early_stopping     patience in evaluations (0 = off), on the dev cost
seed, rng, dtype   reproducibility: rng "course" draws weights as the notebooks do
split_seed         the seed of the test/dev/train-dev hold-outs (0), apart from ``seed``
=================  =============================================================
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.errors import GlassnetError
from glassnet.data.pipeline import InputPipeline
from glassnet.project.splits import infer_task, load_splits

DEFAULTS: dict[str, Any] = {
    "data": None,
    "test_data": None,
    "test_fraction": 0.2,
    "model": None,
    "model_options": {},
    "hidden": [64, 32],
    "activation": "relu",
    "output_activation": None,
    "task": None,
    "init": "he",
    "init_scale": 0.01,
    "optimizer": "gd",
    "learning_rate": 0.0075,
    "beta": None,
    "beta1": None,
    "beta2": None,
    "epsilon": None,
    "decay": None,
    "decay_rate": 1.0,
    "decay_interval": 1,
    "epochs": 2500,
    "batch_size": None,
    "l2": 0.0,
    "l1": 0.0,
    "keep_prob": None,
    "batchnorm": False,
    "dev_fraction": 0.0,
    "train_dev_fraction": 0.0,
    "human_error": None,
    "early_stopping": 0,
    "checkpoint_every": 0,
    "clip_value": None,
    "clip_norm": None,
    "augment": None,
    "preprocess": "auto",
    "seed": 1,
    "split_seed": 0,
    "rng": "numpy",
    "dtype": None,
    "print_every": 100,
    "progress": None,
}


def normalize_config(config: dict[str, Any]) -> dict[str, Any]:
    """Defaults filled in, names checked, values validated (clear errors)."""
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise GlassnetError(
            f"unknown configuration key(s) {', '.join(unknown)}; known: {', '.join(DEFAULTS)}"
        )
    cfg = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None or k in ("hidden",)}}
    hidden = cfg["hidden"]
    if hidden is None:
        hidden = []
    if isinstance(hidden, str):
        try:
            hidden = [int(h) for h in hidden.replace(" ", "").split(",") if h]
        except ValueError:
            raise GlassnetError(
                f"--hidden: expected sizes like 20,7,5, got {cfg['hidden']!r}"
            ) from None
    if isinstance(hidden, int):
        hidden = [hidden]
    if any(int(h) < 1 for h in hidden):
        raise GlassnetError(f"--hidden: layer sizes must be positive, got {hidden}")
    cfg["hidden"] = [int(h) for h in hidden]
    lr = cfg["learning_rate"]
    if not isinstance(lr, int | float) or not numpy.isfinite(lr) or lr <= 0:
        raise GlassnetError(f"--learning-rate must be a positive number, got {lr}")
    if not isinstance(cfg["epochs"], int) or cfg["epochs"] < 1:
        raise GlassnetError(
            f"--iterations/--epochs must be a positive integer, got {cfg['epochs']}"
        )
    if cfg["batch_size"] is not None and int(cfg["batch_size"]) < 1:
        raise GlassnetError(f"--batch-size must be a positive integer, got {cfg['batch_size']}")
    for key in ("l2", "l1"):
        if cfg[key] < 0:
            raise GlassnetError(f"--{key} must be >= 0, got {cfg[key]}")
    for key in ("dev_fraction", "train_dev_fraction", "test_fraction"):
        if not 0 <= cfg[key] < 1:
            raise GlassnetError(f"{key} must be in [0, 1), got {cfg[key]}")
    kp = cfg["keep_prob"]
    for k in kp if isinstance(kp, list | tuple) else [kp]:
        if k is not None and not 0 < k <= 1:
            raise GlassnetError(f"--keep-prob must be in (0, 1], got {k}")
    if cfg["print_every"] < 1:
        raise GlassnetError(f"--print-every must be >= 1, got {cfg['print_every']}")
    seed = cfg["seed"]
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise GlassnetError(f"--seed must be a non-negative integer, got {seed!r}")
    he = cfg["human_error"]
    if he is not None and not (isinstance(he, int | float) and 0 <= he < 1):
        raise GlassnetError(f"--human-error is a fraction in [0, 1) (0.05 for 5%), got {he}")
    if cfg["rng"] not in ("numpy", "course"):
        raise GlassnetError(f"--rng must be 'numpy' or 'course', got {cfg['rng']!r}")
    if cfg["dtype"] is None:
        # the course computes in float64; glassnet trains in float32 by default
        cfg["dtype"] = "float64" if cfg["rng"] == "course" else "float32"
    return cfg


def build_model(cfg: dict[str, Any], input_shape: tuple[int, ...], task: str, n_out: int) -> Any:
    """The configured network for inputs of ``input_shape``."""
    from glassnet.models.builders import deep_network

    regularization = {"l2": cfg["l2"], "l1": cfg["l1"]}
    out_act = cfg["output_activation"]
    if out_act and task != "regression" and out_act not in ("sigmoid", "softmax"):
        raise GlassnetError(
            f"--output-activation {out_act}: {task} labels need a sigmoid or softmax output "
            "(use --task regression for a real-valued output)"
        )
    if cfg["model"]:
        from glassnet.models.outputs import _output_for
        from glassnet.models.sequential import Sequential
        from glassnet.models.zoo.catalog import get_layers

        try:
            layers = get_layers(cfg["model"], input_shape, n_out, **(cfg["model_options"] or {}))
        except (TypeError, ValueError) as exc:
            raise GlassnetError(f"--model {cfg['model']}: {exc}") from None
        _, loss = _output_for(n_out, task)
        model = Sequential(layers, loss=loss, regularization=regularization, name=cfg["model"])
        model.build(input_shape, seed=cfg["seed"], rng=cfg["rng"], dtype=cfg["dtype"])
        return model
    return deep_network(
        [int(numpy.prod(input_shape))] + cfg["hidden"] + [n_out],
        hidden_activation=cfg["activation"],
        output_activation=cfg["output_activation"],
        init=cfg["init"],
        init_scale=cfg["init_scale"],
        task=task,
        batchnorm=bool(cfg["batchnorm"]),
        keep_prob=cfg["keep_prob"],
        regularization=regularization,
        seed=cfg["seed"],
        rng=cfg["rng"],
        dtype=cfg["dtype"],
    )


def make_optimizer(cfg: dict[str, Any]) -> Any:
    from glassnet.optim.optimizers import get_optimizer

    spec: dict[str, Any] = {"name": cfg["optimizer"], "learning_rate": cfg["learning_rate"]}
    for key in ("beta", "beta1", "beta2", "epsilon"):
        if cfg[key] is not None:
            spec[key] = cfg[key]
    try:
        return get_optimizer(spec)
    except TypeError as exc:
        raise GlassnetError(f"optimizer {cfg['optimizer']!r}: {exc}") from None


def make_schedule(cfg: dict[str, Any]) -> Any:
    if not cfg["decay"]:
        return None
    from glassnet.optim.schedules import get_schedule

    spec = {"name": cfg["decay"], "time_interval": int(cfg["decay_interval"])}
    name = str(cfg["decay"]).lower()
    if name in ("inverse_time", "inverse", "time"):
        spec["decay_rate"] = cfg["decay_rate"]
    try:
        return get_schedule(spec)
    except TypeError as exc:
        raise GlassnetError(f"decay {cfg['decay']!r}: {exc}") from None


@dataclass
class RunResult:
    model: Any
    history: Any
    metrics: dict[str, Any]
    config: dict[str, Any]


def _errors_of(model: Any, pipe: InputPipeline, xy: tuple | None, task: str, what: str) -> dict:
    if xy is None:
        return {}
    from glassnet.functions.metrics import classification_report
    from glassnet.train.trainer import evaluate

    X = pipe.transform(xy[0], what)
    out = evaluate(model, X, xy[1])
    result: dict[str, Any] = {"cost": out["cost"]}
    if "accuracy" in out:
        result["accuracy"] = out["accuracy"]
    if task in ("binary", "multiclass"):
        pred = numpy.asarray(model.predict(X)).reshape(-1)
        report = classification_report(
            numpy.asarray(xy[1]).reshape(-1), pred, n_classes=max(2, model.n_outputs)
        )
        result.update({k: report[k] for k in ("macro_f1", "weighted_f1", "confusion_matrix")})
        if "f1" in report:
            result.update(precision=report["precision"], recall=report["recall"], f1=report["f1"])
    return result


def run_training(
    config: dict[str, Any],
    out: str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
) -> RunResult:
    """Load, preprocess, build, train, evaluate and (with ``out``) save one run."""
    from glassnet.core.atomic import atomic_write_json
    from glassnet.models.saving import save_model
    from glassnet.train.callbacks import Checkpoint, EarlyStopping
    from glassnet.train.trainer import Trainer

    cfg = normalize_config(config)
    started = time.perf_counter()
    splits = load_splits(cfg)
    layout = "image" if cfg["model"] else "dense"
    pipe = InputPipeline(layout, cfg["preprocess"], cfg["dtype"]).fit(splits.train[0])
    task, n_out = infer_task(splits.train[1], splits.classes, cfg["task"])
    model = build_model(cfg, pipe.input_shape, task, n_out)
    pipe.attach(model)
    model.metadata.update(
        {
            "task": task,
            "classes": splits.classes if task in ("binary", "multiclass") else None,
            "trained_on": splits.source,
        }
    )
    X = pipe.transform(splits.train[0], "training data")
    dev = None
    if splits.dev is not None:
        dev = (pipe.transform(splits.dev[0], "dev data"), splits.dev[1])

    callbacks = []
    if cfg["early_stopping"]:
        if dev is None:
            raise GlassnetError("early stopping needs a dev set: give --dev-fraction")
        callbacks.append(EarlyStopping("dev_cost", patience=int(cfg["early_stopping"])))
    ckpt_dir = Path(out) / "checkpoint" if out is not None else None
    if ckpt_dir is not None and cfg["checkpoint_every"]:
        callbacks.append(Checkpoint(ckpt_dir, every=int(cfg["checkpoint_every"])))
    augment = None
    if cfg["augment"]:
        from glassnet.data import Augmenter

        augment = (
            Augmenter(cfg["augment"])
            if isinstance(cfg["augment"], dict)
            else Augmenter(json.loads(cfg["augment"]) if isinstance(cfg["augment"], str) else None)
        )
    trainer = Trainer(
        model,
        optimizer=make_optimizer(cfg),
        epochs=cfg["epochs"],
        batch_size=cfg["batch_size"],
        schedule=make_schedule(cfg),
        seed=cfg["seed"],
        callbacks=callbacks,
        clip_value=cfg["clip_value"],
        clip_norm=cfg["clip_norm"],
        augment=augment,
        record_every=cfg["print_every"],
        progress=progress if progress is not None else cfg["progress"],
    )
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        atomic_write_json(Path(out) / "run.json", {"config": config})
    if resume:
        if ckpt_dir is None:
            raise GlassnetError("resuming needs the run's output folder")
        trainer.load_checkpoint(ckpt_dir)
    history = trainer.fit(X, splits.train[1], *(dev or (None, None)))

    metrics: dict[str, Any] = {"task": task, "n_parameters": model.n_parameters}
    for name, xy in (
        ("train", splits.train),
        ("train_dev", splits.train_dev),
        ("dev", splits.dev),
        ("test", splits.test),
    ):
        res = _errors_of(model, pipe, xy, task, f"{name} data")
        if res:
            metrics[name] = res
            if "accuracy" in res:
                metrics[f"{name}_accuracy"] = res["accuracy"]
    metrics["costs"] = {str(k): v for k, v in history.costs.items()}
    metrics["epochs_run"] = len(history.epochs)
    metrics["stopped_early"] = history.stopped_early
    metrics["train_seconds"] = history.seconds
    metrics["seconds"] = time.perf_counter() - started
    metrics["notes"] = splits.notes
    if cfg["human_error"] is not None and task in ("binary", "multiclass"):
        try:
            from glassnet.project.strategy import diagnose
        except ImportError:
            diagnose = None
        if diagnose is not None:
            metrics["diagnosis"] = diagnose(
                human_error=float(cfg["human_error"]),
                train_error=1 - metrics["train_accuracy"],
                train_dev_error=(1 - metrics["train_dev_accuracy"])
                if "train_dev_accuracy" in metrics
                else None,
                dev_error=(1 - metrics["dev_accuracy"]) if "dev_accuracy" in metrics else None,
                test_error=(1 - metrics["test_accuracy"]) if "test_accuracy" in metrics else None,
            ).to_dict()

    if out is not None:
        from glassnet.project.plots import learning_curve

        out = Path(out)
        save_model(model, out)
        atomic_write_json(out / "metrics.json", metrics)
        atomic_write_json(out / "history.json", history.to_dict())
        learning_curve(history, out / "learning_curve.png")
    return RunResult(model, history, metrics, cfg)
