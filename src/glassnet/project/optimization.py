"""What every kind of run shares: the optimizer and the learning-rate schedule of a
:class:`~glassnet.project.config.RunConfig`, and the :class:`RunResult` it returns
(used by :mod:`glassnet.project.run` and :mod:`glassnet.project.text_run`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glassnet.project.config import ConfigError, RunConfig


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
