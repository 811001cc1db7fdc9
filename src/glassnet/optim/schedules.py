"""Learning-rate decay (Course 2): alpha as a function of the epoch number.

As we approach the minimum we want smaller steps, so that mini-batch gradient
descent oscillates in a tighter region around it.  With alpha0 the initial
learning rate and ``e`` the epoch number (0 for the first epoch):

===================  ==============================================  =====================
schedule             alpha(e)                                         hyperparameters
===================  ==============================================  =====================
Constant             alpha0                                           alpha0
InverseTimeDecay     alpha0 / (1 + decay_rate * e)                    alpha0, decay_rate
ExponentialDecay     base^e * alpha0            (the notes: 0.95^e)   alpha0, base
InverseSqrtDecay     k / sqrt(e) * alpha0       (e = 0 read as e = 1) alpha0, k
StepDecay            factor^floor(e / time_interval) * alpha0         alpha0, factor, interval
===================  ==============================================  =====================

**Fixed-interval ("scheduled") decay.**  Every schedule takes
``time_interval``: the epoch number in the formula is replaced by
``floor(e / time_interval)``, so alpha drops in discrete steps once every
``time_interval`` epochs (the course's
alpha = alpha0 / (1 + decay_rate * floor(epoch_num / time_interval))).  With the
default ``time_interval = 1`` the decay is applied every epoch.
``StepDecay`` is the staircase schedule: ExponentialDecay whose base is the drop
``factor`` and whose interval is the number of epochs between drops.

**Epoch 0 of InverseSqrtDecay.**  k / sqrt(0) is infinite, so the epoch count
used there is max(e, 1): epochs 0 and 1 both train with k * alpha0, and from
epoch 1 on the formula holds exactly.

A schedule is called with the epoch number: ``schedule(epoch) -> alpha``; the
training loop sets ``optimizer.learning_rate = schedule(epoch)`` before each
epoch (:meth:`Schedule.apply` does just that).  ``learning_rate`` (alpha0) may
be left as ``None``: ``apply`` then takes alpha0 from the optimizer the first
time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar


class Schedule:
    """Base class: ``__call__(epoch) -> learning rate``."""

    name: ClassVar[str] = "schedule"

    def __init__(self, learning_rate: float | None = None, time_interval: int = 1) -> None:
        if learning_rate is not None:
            learning_rate = float(learning_rate)
            if not (math.isfinite(learning_rate) and learning_rate >= 0.0):
                raise ValueError(f"{type(self).__name__}: learning_rate must be >= 0")
        if int(time_interval) < 1 or int(time_interval) != time_interval:
            raise ValueError(
                f"{type(self).__name__}: time_interval must be a positive integer, "
                f"got {time_interval}"
            )
        self.learning_rate = learning_rate
        self.time_interval = int(time_interval)

    # -- the schedule -------------------------------------------------------------------
    def steps(self, epoch: int) -> int:
        """The epoch count the formula uses: floor(epoch / time_interval)."""
        if epoch < 0:
            raise ValueError(f"{type(self).__name__}: epoch must be >= 0, got {epoch}")
        return int(epoch) // self.time_interval

    def multiplier(self, e: int) -> float:
        """alpha / alpha0 after ``e`` decay steps."""
        raise NotImplementedError

    def __call__(self, epoch: int) -> float:
        """alpha for epoch ``epoch`` (0-based)."""
        if self.learning_rate is None:
            raise ValueError(
                f"{type(self).__name__}: no initial learning rate; pass learning_rate=... or "
                "use schedule.apply(optimizer, epoch)"
            )
        return self.learning_rate * self.multiplier(self.steps(epoch))

    def apply(self, optimizer: Any, epoch: int) -> float:
        """Set ``optimizer.learning_rate`` for ``epoch`` and return it.

        When this schedule has no alpha0 yet, the optimizer's current learning
        rate becomes alpha0 (call this before the first epoch).
        """
        if self.learning_rate is None:
            self.learning_rate = float(optimizer.learning_rate)
        lr = self(epoch)
        optimizer.learning_rate = lr
        return lr

    # -- configuration ------------------------------------------------------------------
    def hyperparameters(self) -> dict[str, Any]:
        return {}

    def config(self) -> dict[str, Any]:
        """JSON-able ``{"name": ..., "learning_rate": ..., "time_interval": ..., ...}``."""
        return {
            "name": self.name,
            "learning_rate": self.learning_rate,
            "time_interval": self.time_interval,
            **self.hyperparameters(),
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Schedule:
        return cls(**{k: v for k, v in config.items() if k != "name"})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """alpha = alpha0 (no decay)."""

    name = "constant"

    def multiplier(self, e: int) -> float:
        return 1.0


class InverseTimeDecay(Schedule):
    """alpha = alpha0 / (1 + decay_rate * e), e = floor(epoch / time_interval)."""

    name = "inverse_time"

    def __init__(
        self, learning_rate: float | None = None, decay_rate: float = 1.0, time_interval: int = 1
    ) -> None:
        super().__init__(learning_rate, time_interval)
        if not float(decay_rate) >= 0.0:
            raise ValueError(f"InverseTimeDecay: decay_rate must be >= 0, got {decay_rate}")
        self.decay_rate = float(decay_rate)

    def hyperparameters(self) -> dict[str, Any]:
        return {"decay_rate": self.decay_rate}

    def multiplier(self, e: int) -> float:
        return 1.0 / (1.0 + self.decay_rate * e)


class ExponentialDecay(Schedule):
    """alpha = base^e * alpha0, e = floor(epoch / time_interval) (the notes: base 0.95)."""

    name = "exponential"

    def __init__(
        self, learning_rate: float | None = None, base: float = 0.95, time_interval: int = 1
    ) -> None:
        super().__init__(learning_rate, time_interval)
        if not 0.0 < float(base) <= 1.0:
            raise ValueError(f"{type(self).__name__}: base must be in (0, 1], got {base}")
        self.base = float(base)

    def hyperparameters(self) -> dict[str, Any]:
        return {"base": self.base}

    def multiplier(self, e: int) -> float:
        return self.base**e


class InverseSqrtDecay(Schedule):
    """alpha = k / sqrt(e) * alpha0, e = max(floor(epoch / time_interval), 1).

    Epoch 0 is read as epoch 1 (k / sqrt(0) would be infinite), so the first
    two decay steps both use k * alpha0.
    """

    name = "inverse_sqrt"

    def __init__(
        self, learning_rate: float | None = None, k: float = 1.0, time_interval: int = 1
    ) -> None:
        super().__init__(learning_rate, time_interval)
        if not float(k) > 0.0:
            raise ValueError(f"InverseSqrtDecay: k must be > 0, got {k}")
        self.k = float(k)

    def hyperparameters(self) -> dict[str, Any]:
        return {"k": self.k}

    def multiplier(self, e: int) -> float:
        return self.k / math.sqrt(max(e, 1))


class StepDecay(ExponentialDecay):
    """Staircase: alpha = factor^floor(epoch / time_interval) * alpha0.

    Drops alpha by ``factor`` once every ``time_interval`` epochs (default: halve
    it every 10 epochs).
    """

    name = "step"

    def __init__(
        self, learning_rate: float | None = None, factor: float = 0.5, time_interval: int = 10
    ) -> None:
        super().__init__(learning_rate, base=factor, time_interval=time_interval)

    @property
    def factor(self) -> float:
        """The drop factor (the base of the exponential)."""
        return self.base

    @factor.setter
    def factor(self, value: float) -> None:
        self.base = float(value)

    def hyperparameters(self) -> dict[str, Any]:
        return {"factor": self.base}


SCHEDULES: dict[str, type[Schedule]] = {
    "constant": Constant,
    "none": Constant,
    "inverse_time": InverseTimeDecay,
    "inverse_time_decay": InverseTimeDecay,
    "time": InverseTimeDecay,
    "exponential": ExponentialDecay,
    "exponential_decay": ExponentialDecay,
    "inverse_sqrt": InverseSqrtDecay,
    "inverse_sqrt_decay": InverseSqrtDecay,
    "step": StepDecay,
    "step_decay": StepDecay,
    "staircase": StepDecay,
}


def get_schedule(spec: str | Mapping[str, Any] | Schedule | None, **overrides: Any) -> Schedule:
    """A schedule from a name, a config dict (``{"name": "exponential", ...}``) or an instance.

    Names: constant (none), inverse_time, exponential, inverse_sqrt, step
    (staircase).  ``None`` gives Constant.  ``overrides`` (``None`` values
    ignored) replace the spec's arguments, e.g. ``learning_rate=0.1``.
    """
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if isinstance(spec, Schedule):
        for k, val in overrides.items():
            if not hasattr(spec, k):
                raise TypeError(f"{type(spec).__name__} has no argument {k!r}")
            setattr(spec, k, val)
        return spec
    if spec is None:
        cfg: dict[str, Any] = {"name": "constant"}
    elif isinstance(spec, str):
        cfg = {"name": spec}
    elif isinstance(spec, Mapping):
        cfg = dict(spec)
    else:
        raise TypeError(f"schedule spec must be a name, a dict or a Schedule, got {spec!r}")
    name = str(cfg.pop("name", cfg.pop("type", "constant"))).lower().replace("-", "_")
    if name not in SCHEDULES:
        names = ", ".join(sorted(SCHEDULES))
        raise ValueError(f"unknown learning-rate schedule {name!r}: expected one of {names}")
    cfg.update(overrides)
    try:
        return SCHEDULES[name](**cfg)
    except TypeError as exc:
        raise TypeError(f"bad arguments for schedule {name!r}: {exc}") from None


# -- the course's functions (Course 2, week 2, "Learning rate decay") -----------------------
def update_lr(learning_rate0: float, epoch_num: int, decay_rate: float) -> float:
    """alpha = alpha0 / (1 + decay_rate * epoch_num): :class:`InverseTimeDecay` every epoch."""
    return InverseTimeDecay(learning_rate0, decay_rate)(epoch_num)


def schedule_lr_decay(
    learning_rate0: float, epoch_num: int, decay_rate: float, time_interval: int = 1000
) -> float:
    """alpha = alpha0 / (1 + decay_rate * floor(epoch_num / time_interval)).

    The fixed-interval ("scheduled") :class:`InverseTimeDecay`.
    """
    return InverseTimeDecay(learning_rate0, decay_rate, time_interval)(epoch_num)
