"""What every kind of run shares: the optimizer and the learning-rate schedule of a
:class:`~glassnet.project.config.RunConfig`, and the :class:`RunResult` it returns
(used by :mod:`glassnet.project.run` and :mod:`glassnet.project.text_run`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glassnet.core.atomic import atomic_write_json
from glassnet.core.errors import GlassnetError
from glassnet.project.config import ConfigError, RunConfig


def start_run(trainer: Any, cfg: RunConfig, out: str | Path | None, resume: bool,
              ckpt_dir: Path | None) -> None:
    """Write the run's settings to ``out/run.json`` (what ``--resume`` reads back), and on a
    resume load the trainer's checkpoint."""
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        atomic_write_json(Path(out) / "run.json", {"config": cfg.to_dict()})
    if resume:
        if ckpt_dir is None:
            raise GlassnetError("resuming needs the run's output folder")
        trainer.load_checkpoint(ckpt_dir)


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
