"""One training run described by a :class:`~glassnet.project.config.RunConfig`.

``glassnet train`` (flags or a TOML/YAML file), the hyperparameter search and
the examples all go through :func:`run_training`: load the data, fit the input
pipeline on the training set, build the model, train, evaluate, save.  The
settings, their defaults and their checks are the fields of ``RunConfig``
(glassnet/project/config.py); a plain dict of them is taken too.

The learning rate has one holder while training: the optimizer's
``learning_rate``.  ``RunConfig.learning_rate`` is alpha0; :func:`make_optimizer`
starts the optimizer at it, and with a ``decay`` the Trainer moves the rate from
the schedule to the optimizer once per epoch (``Schedule.apply``), the schedule
taking alpha0 from the optimizer when the Trainer is built.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.backend import to_numpy
from glassnet.core.errors import GlassnetError
from glassnet.core.threads import num_threads, set_num_threads
from glassnet.data.pipeline import InputPipeline
from glassnet.data.targets import fold_into_output, scaler_for
from glassnet.models.zoo.catalog import input_layout as zoo_input_layout
from glassnet.project.config import ConfigError, RunConfig
from glassnet.project.optimization import (
    RunResult,
    make_optimizer,
    make_schedule,
    resolve_epochs,
    run_folder,
    start_run,
)
from glassnet.project.prechecks import check_augment, check_heldout, check_network_size
from glassnet.project.splits import infer_task, load_splits

__all__ = ["RunResult", "build_model", "input_layout", "make_optimizer", "make_schedule",
           "run_training"]


def build_model(cfg: RunConfig, input_shape: tuple[int, ...], task: str, n_out: int,
                m: int = 1) -> Any:
    """The configured network for inputs of ``input_shape`` (``m`` training examples: a
    dense network is first checked against the memory budget)."""
    from glassnet.models.builders import deep_network

    regularization = {"l2": cfg.l2, "l1": cfg.l1}
    out_act = cfg.output_activation
    if out_act and task != "regression" and out_act not in ("sigmoid", "softmax"):
        raise ConfigError(
            "output_activation",
            f"output_activation {out_act}: {task} labels need a sigmoid or softmax output "
            "(set task to regression for a real-valued output)",
        )
    if cfg.model:
        from glassnet.models.outputs import _output_for
        from glassnet.models.sequential import Sequential
        from glassnet.models.zoo.catalog import get_layers

        try:
            layers = get_layers(cfg.model, input_shape, n_out, **cfg.model_options)
        except (TypeError, ValueError) as exc:
            raise ConfigError("model", f"model {cfg.model}: {exc}") from None
        _, loss = _output_for(n_out, task)
        model = Sequential(layers, loss=loss, regularization=regularization, name=cfg.model)
        model.build(input_shape, seed=cfg.seed, rng=cfg.rng, dtype=cfg.compute_dtype)
        return model
    sizes = [int(numpy.prod(input_shape)), *cfg.hidden, n_out]
    check_network_size(cfg, sizes, m, numpy.dtype(cfg.compute_dtype).itemsize)
    return deep_network(
        sizes,
        hidden_activation=cfg.activation,
        output_activation=cfg.output_activation,
        init=cfg.init,
        init_scale=cfg.init_scale,
        task=task,
        batchnorm=cfg.batchnorm,
        keep_prob=list(cfg.keep_prob) if isinstance(cfg.keep_prob, tuple) else cfg.keep_prob,
        regularization=regularization,
        seed=cfg.seed,
        rng=cfg.rng,
        dtype=cfg.compute_dtype,
    )


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
    if task == "regression":  # in the targets' units; the baseline predicts the training mean
        from glassnet.functions.metrics import regression_report

        y = numpy.asarray(xy[1], dtype=numpy.float64)
        pred = numpy.asarray(to_numpy(model.predict(X)), dtype=numpy.float64).T
        result.update(regression_report(y.reshape(len(y), -1), pred,
                                        model.metadata.get("target_mean")))
    if task in ("binary", "multiclass"):
        pred = numpy.asarray(model.predict(X)).reshape(-1)
        report = classification_report(
            numpy.asarray(xy[1]).reshape(-1), pred, n_classes=max(2, model.n_outputs)
        )
        result.update({k: report[k] for k in ("macro_f1", "weighted_f1", "confusion_matrix")})
        if "f1" in report:
            result.update(precision=report["precision"], recall=report["recall"], f1=report["f1"])
    for key, value in result.items():  # a non-finite result is an error, never a number
        if isinstance(value, float) and not math.isfinite(value):
            raise GlassnetError(
                f"{what}: the {key} is {value} on {len(xy[0])} examples (the network's outputs "
                "overflow or are NaN there: retrain with a lower learning rate, or check these "
                "examples' values)")
    return result


def _scaled(targets: Any, y: Any) -> Any:
    return targets.transform(y) if targets is not None else y


REGRESSION_NOTE = ("regression with the default epochs: a 10% dev set held out, and early "
                   "stopping on its cost (patience 10 epochs) keeps the best epoch; set "
                   "--epochs, --dev-fraction or --early-stopping to choose")


def regression_defaults(cfg: RunConfig) -> RunConfig:
    """The defaults of a regression run that sets neither epochs, a dev set nor early
    stopping: a 10% dev set and early stopping on its cost (patience 10).

    Why only regression: there the dev cost *is* the reported metric (mean squared error),
    and a small noisy table overfits within the default ~3,000 updates (scikit-learn's
    diabetes: test RMSE 71.5 at 200 epochs against 55.2 with early stopping; predicting
    the mean: 77.2).  For classification the dev cross-entropy turns up long before the
    accuracy stops improving (cats: 64% against 70%), so it is not the default there."""
    return cfg.replace(dev_fraction=0.1, early_stopping=10)


def input_layout(cfg: RunConfig) -> str:
    """The layout the network's first layer declares, which the input pipeline lays the
    data out as: a zoo network's (``"image"`` for the convolutional ones), else ``"dense"``."""
    if not cfg.model:
        return "dense"
    try:
        return zoo_input_layout(cfg.model)
    except ValueError as exc:
        raise ConfigError("model", f"model {cfg.model}: {exc}") from None


def run_training(
    config: RunConfig | dict[str, Any],
    out: str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
    overwrite: bool = True,
) -> RunResult:
    """Load, preprocess, build, check, train, evaluate and (with ``out``) save one run.

    ``config``: a :class:`RunConfig`, or a dict of its settings (the others default).
    ``progress`` (when not None) overrides ``config.progress``.  ``out`` is locked for
    the run; an earlier run there is replaced only when it ends well (``overwrite``; else
    refused), and a resumed one continues from its furthest checkpoint
    (:mod:`glassnet.project.run_folder`).
    """
    from glassnet.text.charlm import is_char_model

    name = config.model if isinstance(config, RunConfig) else (
        config.get("model") if isinstance(config, Mapping) else None)
    if is_char_model(name):  # a character language model: its own pipeline
        from glassnet.project.text_run import run_text_training

        return run_text_training(config, out=out, resume=resume, progress=progress,
                                 overwrite=overwrite)
    cfg = RunConfig.from_dict(config)
    with run_folder(out, resume, overwrite) as folder:
        return _run_training(cfg, folder, resume, progress)


def _run_training(cfg: RunConfig, folder: Any, resume: bool, progress: bool | None
                  ) -> RunResult:
    """:func:`run_training` in its locked run folder (None: nothing is saved)."""
    from glassnet.core.atomic import atomic_write_json
    from glassnet.models.saving import save_model
    from glassnet.train.callbacks import Checkpoint, EarlyStopping
    from glassnet.train.trainer import Trainer

    if cfg.threads:
        set_num_threads(cfg.threads)
    started = time.perf_counter()
    splits = load_splits(cfg)
    task, n_out = infer_task(splits.train[1], splits.classes, cfg.task)
    if task == "regression" and cfg.epochs is None and not (
            cfg.dev_fraction or cfg.early_stopping):  # see regression_defaults
        cfg = regression_defaults(cfg)
        splits = load_splits(cfg)
        splits.notes.append(REGRESSION_NOTE)
    layout = input_layout(cfg)
    pipe = InputPipeline(layout, cfg.preprocess, cfg.compute_dtype).fit(splits.train[0])
    check_augment(cfg, pipe.input_shape, layout, len(splits.train[0]))
    model = build_model(cfg, pipe.input_shape, task, n_out, m=len(splits.train[0]))
    check_heldout(model, pipe, splits)
    pipe.attach(model)
    targets = scaler_for(model, task, splits.train[1], splits.notes)  # regression: standardized
    model.metadata.update(
        {
            "task": task,
            "classes": splits.classes if task in ("binary", "multiclass") else None,
            "trained_on": splits.source,
            "threads": num_threads(),
            "split": splits.record,
            **(targets.metadata() if targets is not None else {}),
        }
    )
    X = pipe.transform(splits.train[0], "training data")
    dev = None
    if splits.dev is not None:
        dev = (pipe.transform(splits.dev[0], "dev data"), _scaled(targets, splits.dev[1]))

    callbacks = []
    if cfg.early_stopping:  # RunConfig makes sure there is a dev set
        callbacks.append(EarlyStopping("dev_cost", patience=int(cfg.early_stopping)))
    ckpt_dir = folder.work / "checkpoint" if folder is not None else None
    if ckpt_dir is not None and cfg.checkpoint_every:
        callbacks.append(Checkpoint(ckpt_dir, every=int(cfg.checkpoint_every)))
    augment = None
    if cfg.augment:
        from glassnet.data import Augmenter

        augment = Augmenter(cfg.augment)
    epochs, epoch_notes = resolve_epochs(cfg, len(splits.train[0]))
    splits.notes.extend(epoch_notes)
    trainer = Trainer(
        model,
        optimizer=make_optimizer(cfg),
        epochs=epochs,
        batch_size=cfg.batch_size,
        schedule=make_schedule(cfg),
        seed=cfg.seed,
        callbacks=callbacks,
        clip_value=cfg.clip_value,
        clip_norm=cfg.clip_norm,
        augment=augment,
        record_every=cfg.print_every,
        progress=progress if progress is not None else cfg.progress,
    )
    splits.notes.extend(start_run(trainer, cfg, folder, resume))  # "resumed from ..."
    history = trainer.fit(X, _scaled(targets, splits.train[1]), *(dev or (None, None)))
    fold_into_output(model, targets)  # the model now predicts in the targets' own units

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
            for key in ("accuracy", "rmse", "baseline_rmse"):
                if key in res:
                    metrics[f"{name}_{key}"] = res[key]
    metrics["costs"] = {str(k): v for k, v in history.costs.items()}
    metrics["epochs_run"] = len(history.epochs)
    metrics["stopped_early"] = history.stopped_early
    metrics["best_epoch"] = history.best_epoch
    metrics["train_seconds"] = history.seconds
    metrics["seconds"] = time.perf_counter() - started
    metrics["notes"] = splits.notes
    if cfg.human_error is not None and task in ("binary", "multiclass"):
        try:
            from glassnet.project.strategy import diagnose
        except ImportError:
            diagnose = None
        if diagnose is not None:
            metrics["diagnosis"] = diagnose(
                human_error=float(cfg.human_error),
                train_error=1 - metrics["train_accuracy"],
                train_dev_error=(1 - metrics["train_dev_accuracy"])
                if "train_dev_accuracy" in metrics
                else None,
                dev_error=(1 - metrics["dev_accuracy"]) if "dev_accuracy" in metrics else None,
                test_error=(1 - metrics["test_accuracy"]) if "test_accuracy" in metrics else None,
                splits=splits,  # the sets' sizes: each error's count and interval
            ).to_dict()

    if folder is not None:  # into the run's own folder, or swapped in now that it ended well
        from glassnet.project.plots import learning_curve

        work = folder.work
        save_model(model, work)
        atomic_write_json(work / "metrics.json", metrics)
        atomic_write_json(work / "history.json", history.to_dict())
        learning_curve(history, work / "learning_curve.png")
        folder.commit()
    return RunResult(model, history, metrics, cfg.to_dict())
