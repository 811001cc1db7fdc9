"""What a training run records and what may act on it after each epoch: the history, early
stopping (restoring the best weights), checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class History:
    """What happened during training.

    ``costs`` maps the epoch (= iteration for batch gradient descent) to the
    cost, recorded every ``record_every`` epochs, as the course's notebooks do;
    ``epochs`` has one dict per epoch with ``cost``, ``learning_rate`` and, when
    evaluated, ``dev_cost``, ``dev_accuracy`` and ``train_accuracy``.
    """

    costs: dict[int, float] = field(default_factory=dict)
    epochs: list[dict[str, float]] = field(default_factory=list)
    stopped_early: bool = False
    best_epoch: int | None = None
    seconds: float = 0.0

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """(epochs, values) of one per-epoch quantity, where it was measured."""
        xs, ys = [], []
        for row in self.epochs:
            if key in row and row[key] is not None:
                xs.append(int(row["epoch"]))
                ys.append(float(row[key]))
        return xs, ys

    def to_dict(self) -> dict:
        return {
            "costs": {str(k): v for k, v in self.costs.items()},
            "epochs": self.epochs,
            "stopped_early": self.stopped_early,
            "best_epoch": self.best_epoch,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(
            costs={int(k): float(v) for k, v in d.get("costs", {}).items()},
            epochs=list(d.get("epochs", [])),
            stopped_early=bool(d.get("stopped_early", False)),
            best_epoch=d.get("best_epoch"),
            seconds=float(d.get("seconds", 0.0)),
        )


class Callback:
    """Hooks into the loop.  ``trainer.stop_training = True`` ends training after the epoch."""

    def on_train_begin(self, trainer: Any) -> None:
        pass

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict[str, float]) -> None:
        pass

    def on_train_end(self, trainer: Any) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        """JSON-able state (saved in checkpoints); arrays go in ``arrays()``."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def arrays(self) -> dict[str, Any]:
        return {}

    def load_arrays(self, arrays: dict[str, Any]) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` (the dev cost by default) has not improved for ``patience``
    evaluations; with ``restore_best`` put back the parameters of the best epoch."""

    def __init__(
        self,
        monitor: str = "dev_cost",
        patience: int = 10,
        min_delta: float = 0.0,
        mode: str | None = None,
        restore_best: bool = True,
    ) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode or ("max" if "accuracy" in monitor or "f1" in monitor else "min")
        self.restore_best = restore_best
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self._best_params: dict[str, Any] = {}

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict[str, float]) -> None:
        value = logs.get(self.monitor)
        if value is None:
            return
        if self._improved(value):
            self.best, self.best_epoch, self.wait = float(value), epoch, 0
            if self.restore_best:
                self._best_params = {k: v.copy() for k, v in trainer.model.parameters.items()}
                self._best_params.update(
                    {f"state:{k}": v.copy() for k, v in trainer.model.state.items()}
                )
        else:
            self.wait += 1
            if self.wait > self.patience:
                trainer.stop_training = True
                trainer.history.stopped_early = True

    def on_train_end(self, trainer: Any) -> None:
        trainer.history.best_epoch = self.best_epoch
        if self.restore_best and self._best_params:
            values = {k: v for k, v in self._best_params.items() if not k.startswith("state:")}
            values.update(
                {k[6:]: v for k, v in self._best_params.items() if k.startswith("state:")}
            )
            trainer.model.set_parameters(values)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state.get("best")
        self.best_epoch = state.get("best_epoch")
        self.wait = int(state.get("wait", 0))

    def arrays(self) -> dict[str, Any]:
        return dict(self._best_params)

    def load_arrays(self, arrays: dict[str, Any]) -> None:
        self._best_params = dict(arrays)


class Checkpoint(Callback):
    """Save the whole training state to ``directory`` every ``every`` epochs (atomically)."""

    def __init__(self, directory: str | Path, every: int = 1, extra: dict | None = None) -> None:
        if every < 1:
            raise ValueError(f"Checkpoint: every must be >= 1, got {every}")
        self.directory = Path(directory)
        self.every = int(every)
        self.extra = extra or {}

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict[str, float]) -> None:
        if (epoch + 1) % self.every == 0 or trainer.stop_training or epoch + 1 == trainer.epochs:
            trainer.save_checkpoint(self.directory, epoch + 1, self.extra)
