"""What every kind of run shares: the optimizer and the learning-rate schedule of a
:class:`~glassnet.project.config.RunConfig`, and the :class:`RunResult` it returns
(used by :mod:`glassnet.project.run` and :mod:`glassnet.project.text_run`), and where a
run writes (:func:`run_folder`, :func:`start_run`)."""

from __future__ import annotations

import math
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glassnet.core.atomic import atomic_write_json
from glassnet.core.errors import GlassnetError
from glassnet.project.config import ConfigError, RunConfig


def run_folder(out: str | Path | None, resume: bool = False,
               overwrite: bool = True) -> AbstractContextManager[Any]:
    """The locked :class:`~glassnet.project.run_folder.RunFolder` of ``out`` (a context
    giving None when the run saves nothing)."""
    if out is None:
        if resume:
            raise GlassnetError("resuming needs the run's output folder")
        return nullcontext(None)
    from glassnet.project.run_folder import RunFolder

    return RunFolder(out, resume=resume, overwrite=overwrite)


#: epochs=None (auto) trains for about this many updates, within [AUTO_EPOCHS_MIN, _MAX]
AUTO_UPDATES = 3000
AUTO_EPOCHS_MIN, AUTO_EPOCHS_MAX = 10, 200


def resolve_epochs(cfg: RunConfig, m: int) -> tuple[int, list[str]]:
    """(epochs, notes): ``cfg.epochs``, or for None (auto) the epochs of about
    :data:`AUTO_UPDATES` mini-batch updates on ``m`` examples,
    ``clamp(ceil(AUTO_UPDATES / ceil(m / batch_size)), 10, 200)`` (a deterministic
    function of the data's size, so a resumed run gets the same)."""
    if cfg.epochs is not None:
        return int(cfg.epochs), []
    batches = math.ceil(m / cfg.batch_size) if cfg.batch_size else 1
    epochs = min(AUTO_EPOCHS_MAX, max(AUTO_EPOCHS_MIN, math.ceil(AUTO_UPDATES / batches)))
    per = f"{batches} batches of {cfg.batch_size}" if cfg.batch_size else "1 full batch"
    return epochs, [f"epochs: {epochs} (auto: {per} per epoch, about {AUTO_UPDATES:,} updates "
                    "in all; --epochs to choose)"]


def start_run(trainer: Any, cfg: RunConfig, folder: Any, resume: bool) -> list[str]:
    """Write the run's settings to ``run.json`` in the folder the run writes (what
    ``--resume`` reads back), and on a resume load the furthest checkpoint.  Returns
    notes for the run's output (a resumed run killed before its first checkpoint
    starts over)."""
    if folder is None:
        return []
    atomic_write_json(folder.work / "run.json", {"config": cfg.to_dict()})
    if not resume:
        return []
    ckpt = folder.checkpoint_to_resume(cfg)
    if ckpt is None:
        return [f"{folder.out}: no checkpoint yet (killed before the first one): started over"]
    info = trainer.load_checkpoint(ckpt)
    done = int(info.get("epochs_done", 0))
    if done > trainer.epochs:
        raise ConfigError("epochs", f"epochs {trainer.epochs}: the run to resume has already "
                                    f"trained {done} epochs")
    return [f"resumed from the checkpoint after epoch {done}"]


def make_optimizer(cfg: RunConfig) -> Any:
    from glassnet.optim.optimizers import get_optimizer

    spec: dict[str, Any] = {"name": cfg.optimizer, "learning_rate": cfg.learning_rate}
    for key in ("beta", "beta1", "beta2", "epsilon"):
        if getattr(cfg, key) is not None:
            spec[key] = getattr(cfg, key)
    try:
        return get_optimizer(spec)
    except TypeError as exc:
        raise ConfigError("optimizer", f"optimizer {cfg.optimizer!r}: {exc}") from None


def make_schedule(cfg: RunConfig) -> Any:
    if not cfg.decay:
        return None
    from glassnet.optim.schedules import get_schedule

    spec = {"name": cfg.decay, "time_interval": int(cfg.decay_interval)}
    if cfg.decay in ("inverse_time", "inverse_time_decay", "time"):
        spec["decay_rate"] = cfg.decay_rate
    try:
        return get_schedule(spec)
    except TypeError as exc:
        raise ConfigError("decay", f"decay {cfg.decay!r}: {exc}") from None


@dataclass
class RunResult:
    model: Any
    history: Any
    metrics: dict[str, Any]
    config: dict[str, Any]  # RunConfig.to_dict() of the run's settings
