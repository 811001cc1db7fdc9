"""Optimization algorithms of Course 2, on the course's dictionaries.

``parameters`` is ``{"W1": ..., "b1": ..., "gamma2": ..., ...}`` and ``grads``
is ``{"dW1": ..., "db1": ..., "dgamma2": ...}``: the gradient of parameter
``key`` is ``grads["d" + key]``.  Every optimizer updates ``parameters`` in
place (so a model's layers see the new values) and keeps its state keyed by the
gradient names, as the course does: ``v["dW1"]``, ``s["dW1"]`` and ``t``.

=============  =============================================================
optimizer      update of W (the same for every parameter: b, gamma, beta, ...)
=============  =============================================================
gd             W := W - alpha dW
momentum       v_dW := beta v_dW + (1 - beta) dW;          W := W - alpha v_dW
rmsprop        s_dW := beta2 s_dW + (1 - beta2) dW^2;       W := W - alpha dW / (sqrt(s_dW) + eps)
adam           v_dW := beta1 v_dW + (1 - beta1) dW;         s_dW := beta2 s_dW + (1 - beta2) dW^2
               v_corr = v_dW / (1 - beta1^t);  s_corr = s_dW / (1 - beta2^t)
               W := W - alpha v_corr / (sqrt(s_corr) + eps)
=============  =============================================================

``t`` counts steps, one per mini-batch (Adam's bias correction uses it).

A parameter whose gradient is missing from ``grads`` is *frozen*: it is skipped
and its state is left as it is (transfer learning freezes layers this way).

``learning_rate`` is a plain mutable attribute: a learning-rate schedule
(:mod:`glassnet.schedules`) sets it before each epoch.

The bookkeeping that makes a step fast (cache-sized chunks, multi-tensor groups of small
parameters, threads, the compiled one-pass kernels) is :mod:`glassnet.optim.engine`'s; the
rules here only say how a step's direction comes from the gradient and the state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy

from glassnet.core.backend import get_xp, to_numpy
from glassnet.optim.engine import UpdateEngine


# --------------------------------------------------------------------------------------
# optimizers
# --------------------------------------------------------------------------------------
class Optimizer(UpdateEngine):
    """Base class: ``step(parameters, grads)`` updates ``parameters`` in place.

    Subclasses name their state dictionaries in ``slots`` (``("v",)``,
    ``("s",)``, ``("v", "s")``) and implement ``_direction``: given the
    gradient, the state arrays and a scratch array of the same shape, update the
    state in place and write into the scratch the step that W -= subtracts.
    """

    name: ClassVar[str] = "optimizer"
    slots: ClassVar[tuple[str, ...]] = ()
    #: large CPU parameters go through glassnet.fused's one-pass kernel when numba is there
    #: (bitwise the result of ``_direction``; instances may set it False)
    fused: bool = False

    def __init__(self, learning_rate: float = 0.01) -> None:
        lr = float(learning_rate)
        if not (math.isfinite(lr) and lr >= 0.0):
            raise ValueError(f"{type(self).__name__}: learning_rate must be >= 0, got {lr}")
        self.learning_rate = lr
        self.t = 0
        self.state: dict[str, dict[str, Any]] = {slot: {} for slot in self.slots}
        self._scratch: dict[str, Any] = {}
        self._arenas: dict[Any, tuple] = {}

    # -- the course's names for the state --------------------------------------------
    @property
    def v(self) -> dict[str, Any]:
        """Velocities / first moments, ``v["dW1"]``."""
        return self.state["v"]

    @property
    def s(self) -> dict[str, Any]:
        """Squared-gradient averages / second moments, ``s["dW1"]``."""
        return self.state["s"]

    # -- hyperparameters ----------------------------------------------------------------
    def hyperparameters(self) -> dict[str, Any]:
        """Hyperparameters other than the learning rate."""
        return {}

    def config(self) -> dict[str, Any]:
        """JSON-able ``{"name": ..., "learning_rate": ..., <hyperparameters>}``."""
        return {"name": self.name, "learning_rate": self.learning_rate, **self.hyperparameters()}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Optimizer:
        cfg = {k: v for k, v in config.items() if k != "name"}
        return cls(**cfg)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({args})"



    def _constants(self, lr: float, t: int) -> tuple[float, ...]:
        """Python-float constants of this step (Python floats keep float32 float32)."""
        return (lr,)

    def _direction(self, dW: Any, state: list[Any], tmp: Any, c: tuple[float, ...]) -> None:
        """Update ``state`` in place and write the step into ``tmp`` (then W -= tmp)."""
        raise NotImplementedError









    # -- state --------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the state (t = 0, v = s = 0)."""
        self.t = 0
        for d in self.state.values():
            d.clear()
        self._arenas = {}

    def state_dict(self) -> dict[str, numpy.ndarray]:
        """Flat NumPy state for an ``.npz`` file: ``"t"``, ``"learning_rate"``, ``"v/dW1"``, ..."""
        out: dict[str, numpy.ndarray] = {
            "t": numpy.asarray(self.t, dtype=numpy.int64),
            "learning_rate": numpy.asarray(self.learning_rate, dtype=numpy.float64),
        }
        for slot, d in self.state.items():
            for gkey, a in d.items():
                out[f"{slot}/{gkey}"] = numpy.array(to_numpy(a), copy=True)
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (continuing gives identical updates)."""
        xp = get_xp()
        new: dict[str, dict[str, Any]] = {slot: {} for slot in self.slots}
        t = self.t
        lr = self.learning_rate
        for name, value in state.items():
            if name == "t":
                t = int(numpy.asarray(value))
            elif name == "learning_rate":
                lr = float(numpy.asarray(value))
            else:
                slot, sep, gkey = name.partition("/")
                if not sep or slot not in new:
                    raise ValueError(
                        f"{type(self).__name__}: unexpected state entry {name!r} (this optimizer "
                        f"keeps {', '.join(repr(s + '/...') for s in self.slots) or 'no arrays'})"
                    )
                new[slot][gkey] = xp.array(value, copy=True)
        if t < 0:
            raise ValueError(f"{type(self).__name__}: t must be >= 0, got {t}")
        self.t = t
        self.learning_rate = lr
        self.state = new
        self._arenas = {}


class GradientDescent(Optimizer):
    """(Mini-batch) gradient descent: W := W - alpha dW."""

    name = "gd"

    def _direction(self, dW, state, tmp, c):
        (lr,) = c
        get_xp().multiply(dW, lr, out=tmp)  # alpha dW


class Momentum(Optimizer):
    """Gradient descent with momentum (the course's form, no bias correction).

    ::

        v_dW := beta v_dW + (1 - beta) dW
        W    := W - alpha v_dW

    ``beta = 0.9`` averages about the last 10 gradients.
    """

    name = "momentum"
    slots = ("v",)
    fused = True

    def __init__(self, learning_rate: float = 0.01, beta: float = 0.9) -> None:
        super().__init__(learning_rate)
        if not 0.0 <= float(beta) < 1.0:
            raise ValueError(f"Momentum: beta must be in [0, 1), got {beta}")
        self.beta = float(beta)

    def hyperparameters(self) -> dict[str, Any]:
        return {"beta": self.beta}

    def _constants(self, lr, t):
        return (lr, self.beta, 1.0 - self.beta)

    def _direction(self, dW, state, tmp, c):
        lr, beta, one_minus_beta = c
        xp = get_xp()
        (v,) = state
        v *= beta
        xp.multiply(dW, one_minus_beta, out=tmp)
        v += tmp  # v = beta v + (1 - beta) dW
        xp.multiply(v, lr, out=tmp)  # alpha v


class RMSProp(Optimizer):
    """RMSProp (the course's form, no bias correction).

    ::

        s_dW := beta2 s_dW + (1 - beta2) dW^2          (dW^2 element-wise)
        W    := W - alpha dW / (sqrt(s_dW) + eps)

    ``beta2 = 0.9`` by default (Hinton's value; also Keras'): without bias
    correction the first step is about alpha / sqrt(1 - beta2) per component,
    which 0.999 would make 32 alpha.  ``eps = 1e-8`` as in the notes.
    """

    name = "rmsprop"
    slots = ("s",)
    fused = True

    def __init__(
        self, learning_rate: float = 0.001, beta2: float = 0.9, epsilon: float = 1e-8
    ) -> None:
        super().__init__(learning_rate)
        if not 0.0 <= float(beta2) < 1.0:
            raise ValueError(f"RMSProp: beta2 must be in [0, 1), got {beta2}")
        if not float(epsilon) > 0.0:
            raise ValueError(f"RMSProp: epsilon must be > 0, got {epsilon}")
        self.beta2 = float(beta2)
        self.epsilon = float(epsilon)

    def hyperparameters(self) -> dict[str, Any]:
        return {"beta2": self.beta2, "epsilon": self.epsilon}

    def _constants(self, lr, t):
        return (lr, self.beta2, 1.0 - self.beta2, self.epsilon)

    def _direction(self, dW, state, tmp, c):
        lr, beta2, one_minus_beta2, eps = c
        xp = get_xp()
        (s,) = state
        s *= beta2
        xp.multiply(dW, dW, out=tmp)
        tmp *= one_minus_beta2
        s += tmp  # s = beta2 s + (1 - beta2) dW^2
        xp.sqrt(s, out=tmp)
        tmp += eps
        xp.divide(dW, tmp, out=tmp)
        tmp *= lr  # alpha dW / (sqrt(s) + eps)


class Adam(Optimizer):
    """Adam: momentum + RMSProp with bias correction (the notes' recommended defaults).

    ::

        v_dW := beta1 v_dW + (1 - beta1) dW
        s_dW := beta2 s_dW + (1 - beta2) dW^2
        v_corr = v_dW / (1 - beta1^t);    s_corr = s_dW / (1 - beta2^t)
        W := W - alpha v_corr / (sqrt(s_corr) + eps)

    alpha to tune; beta1 = 0.9, beta2 = 0.999, eps = 1e-8.  Computed as
    W -= [alpha sqrt(1 - beta2^t) / (1 - beta1^t)] v / (sqrt(s) + eps sqrt(1 - beta2^t)),
    which is the same expression with the corrections folded into two scalars.
    """

    name = "adam"
    slots = ("v", "s")
    fused = True

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None:
        super().__init__(learning_rate)
        for nm, b in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= float(b) < 1.0:
                raise ValueError(f"Adam: {nm} must be in [0, 1), got {b}")
        if not float(epsilon) > 0.0:
            raise ValueError(f"Adam: epsilon must be > 0, got {epsilon}")
        self.beta1 = float(beta1)
        self.beta2 = float(beta2)
        self.epsilon = float(epsilon)

    def hyperparameters(self) -> dict[str, Any]:
        return {"beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}

    def _constants(self, lr, t):
        b1, b2 = self.beta1, self.beta2
        corr1 = 1.0 - b1**t  # 1 - beta1^t
        sqrt_corr2 = math.sqrt(1.0 - b2**t)  # sqrt(1 - beta2^t)
        step_size = lr * sqrt_corr2 / corr1
        eps_hat = self.epsilon * sqrt_corr2
        return (b1, 1.0 - b1, b2, 1.0 - b2, step_size, eps_hat)

    def _direction(self, dW, state, tmp, c):
        b1, one_minus_b1, b2, one_minus_b2, step_size, eps_hat = c
        xp = get_xp()
        v, s = state
        v *= b1
        xp.multiply(dW, one_minus_b1, out=tmp)
        v += tmp  # v = beta1 v + (1 - beta1) dW
        s *= b2
        xp.multiply(dW, dW, out=tmp)
        tmp *= one_minus_b2
        s += tmp  # s = beta2 s + (1 - beta2) dW^2
        xp.sqrt(s, out=tmp)
        tmp += eps_hat
        xp.divide(v, tmp, out=tmp)
        tmp *= step_size  # alpha v_corr / (sqrt(s_corr) + eps)


# --------------------------------------------------------------------------------------
# lookup
# --------------------------------------------------------------------------------------
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "gd": GradientDescent,
    "sgd": GradientDescent,
    "gradient_descent": GradientDescent,
    "momentum": Momentum,
    "rmsprop": RMSProp,
    "adam": Adam,
}


def get_optimizer(spec: str | Mapping[str, Any] | Optimizer, **overrides: Any) -> Optimizer:
    """An optimizer from a name, a config dict (``{"name": "adam", ...}``) or an instance.

    Names: gd / sgd / gradient_descent, momentum, rmsprop, adam.  ``overrides``
    (e.g. ``learning_rate=0.01``) replace the spec's hyperparameters; ``None``
    values are ignored.  An instance is returned as is (with overrides set on it).
    """
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if isinstance(spec, Optimizer):
        for k, val in overrides.items():
            if k != "learning_rate" and not hasattr(spec, k):
                raise TypeError(f"{type(spec).__name__} has no hyperparameter {k!r}")
            setattr(spec, k, float(val))
        return spec
    if isinstance(spec, str):
        cfg: dict[str, Any] = {"name": spec}
    elif isinstance(spec, Mapping):
        cfg = dict(spec)
    else:
        raise TypeError(f"optimizer spec must be a name, a dict or an Optimizer, got {spec!r}")
    name = str(cfg.pop("name", cfg.pop("type", ""))).lower().replace("-", "_")
    if name not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {name!r}: expected one of {', '.join(sorted(OPTIMIZERS))}"
        )
    cls = OPTIMIZERS[name]
    cfg.update(overrides)
    try:
        return cls(**cfg)
    except TypeError as exc:
        raise TypeError(f"bad arguments for optimizer {name!r}: {exc}") from None


def optimizer_names() -> Iterable[str]:
    return tuple(OPTIMIZERS)
