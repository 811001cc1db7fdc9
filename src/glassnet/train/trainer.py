"""The training loop: (mini-batch) gradient descent with callbacks.

One epoch is one pass over the m training examples in mini-batches of
``batch_size`` (``None`` or ``m``: batch gradient descent, one iteration per
epoch, the Course 1 setting; ``1``: stochastic gradient descent).  Each step::

    A[L] = forward(X{t})          J{t} = cost(A[L], Y{t})
    grads = backward(A[L], Y{t})  parameters -= optimizer's update

A mini-batch X{t} is cut along the batch axis of the layout the model declares for its
input (m is axis 1 of dense (n_x, m) and sequence (n_x, m, T_x) data, axis 0 of images),
and Y{t} along the batch axis of its output's layout, never by guessing from a rank.
The examples are reshuffled every epoch with a generator seeded by
``(seed, epoch)``; the last, partial mini-batch is kept.  The epoch cost is
the average over the epoch's examples of the per-mini-batch costs (each
mini-batch weighted by its size).  Because every random draw of an epoch
(the shuffle, dropout masks, augmentation) comes from ``(seed, epoch)``, a run
resumed from a checkpoint ends with exactly the parameters of an
uninterrupted run.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.backend import get_xp
from glassnet.core.errors import GlassnetError, ModelFileError, TrainingDiverged
from glassnet.core.layouts import examples_back, examples_first
from glassnet.data.batches import shuffled_batches
from glassnet.optim.clipping import clip_by_norm, clip_by_value
from glassnet.optim.optimizers import Optimizer, get_optimizer
from glassnet.optim.schedules import Schedule, get_schedule
from glassnet.train.callbacks import Callback, History
from glassnet.train.checkpoint import find_checkpoint
from glassnet.train.divergence import (
    all_finite,
    divergence_message,
    gradient_message,
    nonfinite_data_message,
    nonfinite_gradients,
    where,
)
from glassnet.train.progress import ProgressLines, make_progress


def accuracy_of(model: Any, A: Any, Y: Any) -> float | None:
    """Fraction right for classifiers (None for regression)."""
    task = model.task
    xp = get_xp()
    if getattr(model.loss, "allows_missing", False):
        from glassnet.functions.metrics import masked_accuracy

        return masked_accuracy(A, Y)
    if task == "multiclass":
        axis = model.output_layout.class_axis  # the classes: axis 0 of (C, m)
        return float((A.argmax(axis=axis) == Y.argmax(axis=axis)).mean())
    if task in ("binary", "multilabel"):
        return float(xp.mean((A > 0.5) == (Y > 0.5)))
    return None


class Trainer:
    """Trains a model with an optimizer, a learning-rate schedule and callbacks.

    ``epochs`` is the number of passes (``iterations`` for batch gradient
    descent); ``record_every`` how often the cost is recorded (every 100 in
    the course); ``eval_every`` how often the dev set is evaluated (every
    epoch with mini-batches, every ``record_every`` with batch GD).  ``progress``: None
    shows a bar on a terminal and plain lines (one per epoch, at most one per 2 s) when
    stderr is not one (:mod:`glassnet.train.progress`); True always a bar; False nothing.
    The history's ``costs`` always hold the first and the last epoch run (however the run
    ended) and its ``seconds`` the time trained, the sessions before a resume included.

    The learning rate has one holder, ``optimizer.learning_rate`` (``learning_rate``
    here only starts it).  Without a schedule nothing changes it; with one, the
    schedule keeps alpha0 and :meth:`Schedule.apply` sets the optimizer's rate before
    each epoch, the one path from the schedule to the optimizer.
    """

    def __init__(
        self,
        model: Any,
        optimizer: str | dict | Optimizer = "gd",
        learning_rate: float | None = None,
        epochs: int = 100,
        batch_size: int | None = None,
        schedule: str | dict | Schedule | None = None,
        seed: int = 0,
        callbacks: Sequence[Callback] = (),
        clip_value: float | None = None,
        clip_norm: float | None = None,
        augment: Callable[[Any, numpy.random.Generator], Any] | None = None,
        record_every: int = 100,
        eval_every: int | None = None,
        progress: bool | None = None,
        verbose: bool = False,
    ) -> None:
        if int(epochs) < 1:
            raise ValueError(f"epochs (iterations) must be a positive integer, got {epochs}")
        if batch_size is not None and int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        if record_every < 1:
            raise ValueError(f"record_every must be >= 1, got {record_every}")
        for name, v in (("clip_value", clip_value), ("clip_norm", clip_norm)):
            if v is not None and not v > 0:
                raise ValueError(f"{name} must be positive, got {v}")
        self.model = model
        overrides = {} if learning_rate is None else {"learning_rate": float(learning_rate)}
        if learning_rate is not None and not (math.isfinite(learning_rate) and learning_rate > 0):
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate}")
        self.optimizer = get_optimizer(optimizer, **overrides)
        # the current learning rate lives in one place, self.optimizer.learning_rate; a
        # schedule holds alpha0 (taken from the optimizer now, before a checkpoint could
        # load a decayed rate into it) and sets the optimizer's rate each epoch (apply)
        self.schedule = get_schedule(schedule) if schedule is not None else None
        if self.schedule is not None:
            if self.schedule.learning_rate is None:
                self.schedule.learning_rate = float(self.optimizer.learning_rate)
            elif learning_rate is not None and self.schedule.learning_rate != float(learning_rate):
                raise ValueError(
                    f"two initial learning rates: learning_rate={learning_rate} and the "
                    f"schedule's {self.schedule.learning_rate}; give one")
        self.epochs = int(epochs)
        self.batch_size = None if batch_size is None else int(batch_size)
        self.seed = int(seed)
        self.callbacks = list(callbacks)
        self.clip_value = clip_value
        self.clip_norm = clip_norm
        self.augment = augment
        self.record_every = int(record_every)
        self.eval_every = eval_every
        self.progress = progress
        self.verbose = verbose
        self.history = History()
        self.start_epoch = 0
        self.stop_training = False

    # -- the loop -------------------------------------------------------------------------
    def _seed_epoch(self, epoch: int) -> numpy.random.Generator:
        """All randomness of an epoch derives from (seed, epoch): resumable exactly."""
        for i, layer in enumerate(self.model.layers):
            if hasattr(layer, "rng") and isinstance(layer.rng, numpy.random.Generator):
                layer.rng = numpy.random.default_rng([self.seed, epoch, 1 + i])
        return numpy.random.default_rng([self.seed, epoch, 0])

    def fit(self, X: Any, Y: Any, X_dev: Any = None, Y_dev: Any = None) -> History:
        """Train on (X, Y); evaluate on (X_dev, Y_dev) if given.  Returns the history."""
        model = self.model
        xp = get_xp()
        X_given = X
        with numpy.errstate(over="ignore"):  # values beyond the dtype: reported below
            X = xp.asarray(X, dtype=model.dtype)
        model.check_input(X)
        Y = model.prepare_labels(Y)
        axis = model.input_layout.batch_axis  # m's axis in X, and in Y (the output's layout)
        y_axis = model.output_layout.batch_axis
        m = X.shape[axis]
        if m == 0:
            raise GlassnetError("training set is empty")
        if Y.shape[y_axis] != m:
            raise GlassnetError(f"X has {m} examples but Y has {Y.shape[y_axis]}")
        if not all_finite(X):  # NaN/inf, or finite values beyond the compute dtype
            raise GlassnetError(nonfinite_data_message(X_given, model.dtype, "training data"))
        have_dev = X_dev is not None and Y_dev is not None
        if have_dev:
            dev_given = X_dev
            X_dev = xp.asarray(X_dev, dtype=model.dtype)
            model.check_input(X_dev)
            if not all_finite(X_dev):
                raise GlassnetError(nonfinite_data_message(dev_given, model.dtype, "dev data"))
            Y_dev = model.prepare_labels(Y_dev)
        batch = m if self.batch_size is None else min(self.batch_size, m)
        minibatch = batch < m
        n_batches = -(-m // batch)
        eval_every = self.eval_every or (1 if minibatch else self.record_every)
        # examples-first copies, so a mini-batch is a gather of contiguous rows
        X_rows = examples_first(X, axis) if minibatch else X
        Y_rows = examples_first(Y, y_axis) if minibatch else Y

        for cb in self.callbacks:
            cb.on_train_begin(self)
        bar = make_progress(self.progress, self.epochs, self.start_epoch,
                            "epoch" if minibatch else "iteration")
        started = time.perf_counter()
        seconds_before = self.history.seconds  # of the sessions before a resume
        self.stop_training = False
        try:
            for epoch in range(self.start_epoch, self.epochs):
                if self.schedule is not None:  # the one path from schedule to optimizer
                    self.schedule.apply(self.optimizer, epoch)
                rng = self._seed_epoch(epoch)
                if minibatch:
                    total = 0.0
                    for t, idx in enumerate(shuffled_batches(m, batch, rng)):
                        Xb = examples_back(X_rows[idx], axis)  # X{t}: the examples idx
                        Yb = examples_back(Y_rows[idx], y_axis)
                        if self.augment is not None:
                            Xb = self.augment(Xb, rng)
                        total += self._step(Xb, Yb, epoch, t, n_batches) * len(idx)
                    cost = total / m
                else:
                    Xb = self.augment(X, rng) if self.augment is not None else X
                    cost = self._step(Xb, Y, epoch, 0, 1)
                logs: dict[str, float] = {
                    "epoch": epoch,
                    "cost": cost,
                    "learning_rate": self.optimizer.learning_rate,
                }
                if epoch % self.record_every == 0 or epoch == self.epochs - 1:
                    self.history.costs[epoch] = cost
                    if self.verbose:
                        print(f"Cost after iteration {epoch}: {cost:.6f}")
                if have_dev and (epoch % eval_every == 0 or epoch == self.epochs - 1):
                    A, logs["dev_cost"] = model.outputs_and_cost(X_dev, Y_dev)
                    acc = accuracy_of(model, A, Y_dev)
                    if acc is not None:
                        logs["dev_accuracy"] = acc
                self.history.epochs.append(logs)
                # kept current every epoch, so a checkpoint holds the time trained so far
                self.history.seconds = seconds_before + time.perf_counter() - started
                for cb in self.callbacks:
                    cb.on_epoch_end(self, epoch, logs)
                if self.stop_training:
                    self.history.costs.setdefault(epoch, cost)  # the curve ends where it stopped
                if isinstance(bar, ProgressLines):
                    bar.update(epoch, logs, self.history.seconds, stopping=self.stop_training)
                elif bar is not None:
                    post = {"cost": f"{cost:.4f}"}
                    if "dev_accuracy" in logs:
                        post["dev_acc"] = f"{logs['dev_accuracy']:.3f}"
                    bar.set_postfix(post, refresh=False)
                    bar.update(1)
                if self.stop_training:
                    break
        finally:
            if bar is not None:
                bar.close()
        self.history.seconds = seconds_before + time.perf_counter() - started
        for cb in self.callbacks:
            cb.on_train_end(self)
        return self.history

    def _step(self, Xb: Any, Yb: Any, epoch: int, t: int, steps: int) -> float:
        """One update on the mini-batch t of ``steps`` of ``epoch``; a cost or a gradient
        that is not finite ends the run with the place and the layer that diverged."""
        model = self.model
        try:  # an overflow is no warning here: a non-finite cost or gradient is an error below
            with numpy.errstate(over="ignore", invalid="ignore"):
                cost = model.train_step(Xb, Yb)
        except TrainingDiverged:
            cost = math.nan
        rate = getattr(self.optimizer, "learning_rate", None)
        if not math.isfinite(cost):
            at = where(epoch, self.epochs, t, steps)
            raise TrainingDiverged(divergence_message(model, Xb, at, rate)) from None
        grads = model.grads
        bad = nonfinite_gradients(model)
        if bad:
            at = where(epoch, self.epochs, t, steps)
            raise TrainingDiverged(gradient_message(model, bad, at, rate))
        if self.clip_value is not None:
            clip_by_value(grads, self.clip_value)
        if self.clip_norm is not None:
            clip_by_norm(grads, self.clip_norm)
        self.optimizer.step(model.parameters, grads)
        return cost

    # -- checkpoints ------------------------------------------------------------------------
    def save_checkpoint(
        self, directory: str | Path, epochs_done: int, extra: dict | None = None
    ) -> None:
        """Model, optimizer state, history and callbacks' state, swapped in atomically."""
        from glassnet.core.atomic import atomic_save_npz, atomic_write_json, fsync_directory
        from glassnet.models.saving import save_model

        directory = Path(directory)
        new = directory.with_name(directory.name + ".new")
        old = directory.with_name(directory.name + ".old")
        if new.exists():
            shutil.rmtree(new)
        save_model(self.model, new)
        arrays = {f"opt:{k}": v for k, v in self.optimizer.state_dict().items()}
        for i, cb in enumerate(self.callbacks):
            arrays.update({f"cb{i}:{k}": v for k, v in cb.arrays().items()})
        atomic_save_npz(new / "trainer_state.npz", arrays)
        atomic_write_json(
            new / "trainer.json",
            {
                "epochs_done": epochs_done,
                "epochs": self.epochs,
                "seed": self.seed,
                "optimizer": self.optimizer.config(),
                "history": self.history.to_dict(),
                "callbacks": [cb.state_dict() for cb in self.callbacks],
                "extra": extra or {},
            },
        )
        fsync_directory(new)
        if directory.exists():  # from here until the rename below, find_checkpoint takes .old
            if old.exists():
                shutil.rmtree(old)
            directory.rename(old)
        new.rename(directory)
        fsync_directory(directory.parent)
        if old.exists():
            shutil.rmtree(old)

    def load_checkpoint(self, directory: str | Path) -> dict:
        """Restore what :meth:`save_checkpoint` wrote; training then continues where it stopped."""
        from glassnet.core.atomic import load_npz_safely
        from glassnet.models.saving import load_model

        directory = find_checkpoint(directory)
        saved = load_model(directory)
        self.model.set_parameters({**saved.parameters, **saved.state})
        from glassnet.models.architecture_check import read_json_file

        info = read_json_file(directory / "trainer.json", "trainer state file")
        if not isinstance(info, dict):
            raise ModelFileError(f"{directory / 'trainer.json'}: not a trainer state (a JSON "
                                 "object of epochs_done, optimizer, history, ...)")
        arrays = load_npz_safely(directory / "trainer_state.npz", "trainer state")
        self.optimizer.load_state_dict(
            {k[4:]: v for k, v in arrays.items() if k.startswith("opt:")}
        )
        saved = info.get("callbacks", [])
        for i, (cb, state) in enumerate(zip(self.callbacks, saved, strict=False)):
            cb.load_state_dict(state)
            prefix = f"cb{i}:"
            cb.load_arrays({k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
        self.history = History.from_dict(info["history"])
        self.start_epoch = int(info["epochs_done"])
        return info


def fit(
    model: Any,
    X: Any,
    Y: Any,
    X_dev: Any = None,
    Y_dev: Any = None,
    **kwargs: Any,
) -> History:
    """Train ``model`` on (X, Y): keyword arguments are those of :class:`Trainer`.

    ``iterations`` is accepted as a synonym of ``epochs`` (batch gradient descent).
    """
    if "iterations" in kwargs:
        kwargs["epochs"] = kwargs.pop("iterations")
    return Trainer(model, **kwargs).fit(X, Y, X_dev, Y_dev)


def evaluate(model: Any, X: Any, Y: Any, batch_size: int | None = None) -> dict[str, float]:
    """Cost and (for classifiers) accuracy of ``model`` on (X, Y), batch by batch (batches
    sized by memory unless ``batch_size``): the peak memory does not grow with m."""
    from glassnet.models.inference import evaluate_in_batches

    return evaluate_in_batches(model, X, model.prepare_labels(Y), batch_size)
