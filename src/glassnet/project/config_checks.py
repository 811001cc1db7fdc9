"""The checks of :class:`~glassnet.project.config.RunConfig`'s settings, and its error.

A check takes ``(field name, value)`` and returns the normalized value or raises
:class:`ConfigError`, whose message starts with the field's name
("learning_rate must be a positive number, got -1").
"""

from __future__ import annotations

import copy
import json
import math
import numbers
import os
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from glassnet.core.errors import GlassnetError
from glassnet.optim.schedules import SCHEDULES


class ConfigError(GlassnetError):
    """A bad run setting.  ``field`` names it (None for unknown keys); the message
    starts with that name."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


Check = Callable[[str, Any], Any]  # (field name, value) -> the normalized value, or raises


# -- checks ------------------------------------------------------------------------------------
def _as_number(v: Any, integer: bool) -> float | int | None:
    """``v`` as an int / float (numeric strings too, e.g. YAML's ``1e-3``); None if it is not."""
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            return None
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return None
    x = float(v)
    if integer:
        return int(x) if math.isfinite(x) and x == int(x) else None
    return x


def _number(what: str, *, integer: bool = False, optional: bool = False,
            gt: float | None = None, ge: float | None = None, lt: float | None = None,
            le: float | None = None) -> Check:
    """A check for a number in the given bounds: ``{name} must be {what}, got {value}``."""

    def check(name: str, v: Any) -> Any:
        if v is None and optional:
            return None
        x = _as_number(v, integer)
        ok = (
            x is not None and math.isfinite(x)
            and (gt is None or x > gt) and (ge is None or x >= ge)
            and (lt is None or x < lt) and (le is None or x <= le)
        )
        if not ok:
            raise ConfigError(name, f"{name} must be {what}, got {v!r}")
        return x

    return check


_POSITIVE = _number("a positive number", gt=0)
_POSITIVE_OR_NONE = _number("a positive number (or unset)", gt=0, optional=True)
_NON_NEGATIVE = _number(">= 0", ge=0)
_FRACTION = _number("in [0, 1)", ge=0, lt=1)
_BETA = _number("in [0, 1) (or unset)", ge=0, lt=1, optional=True)
_COUNT = _number("a positive integer", integer=True, ge=1, le=2**31 - 1)
_COUNT_OR_ZERO = _number("a non-negative integer (0 = off)", integer=True, ge=0,
                         le=2**31 - 1)
_SEED = _number("an integer in [0, 2**32)", integer=True, ge=0, lt=2**32)
_MAX_COUNT = 2**31 - 1


def _batch_size(name: str, v: Any) -> int | None:
    """A positive mini-batch size, or None / 0: the whole set (batch gradient descent)."""
    if v is None:
        return None
    n = _number("a positive integer (0: the whole set)", integer=True, ge=0,
                le=_MAX_COUNT)(name, v)
    return int(n) or None


def _text(optional: bool = True) -> Check:
    def check(name: str, v: Any) -> Any:
        if (v is None and optional) or isinstance(v, os.PathLike):
            return v if v is None else os.fspath(v)
        if not isinstance(v, str):
            raise ConfigError(name, f"{name} must be a string, got {v!r}")
        return v

    return check


def _flag(optional: bool) -> Check:
    def check(name: str, v: Any) -> Any:
        if (v is None and optional) or isinstance(v, bool):
            return v
        if isinstance(v, int) and v in (0, 1):
            return bool(v)
        raise ConfigError(name, f"{name} must be true or false, got {v!r}")

    return check


def _hidden(name: str, v: Any) -> tuple[int, ...]:
    """``"20,7,5"``, ``[20, 7, 5]``, ``20``, ``""``/``None``/``[]`` (logistic regression)."""
    raw = v
    if v is None:
        v = []
    if isinstance(v, str):
        try:
            v = [int(h) for h in v.replace(" ", "").split(",") if h]
        except ValueError:
            raise ConfigError(name, f"{name}: expected sizes like 20,7,5, got {raw!r}") from None
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        v = [v]
    if not isinstance(v, list | tuple):
        raise ConfigError(name, f"{name}: expected sizes like [20, 7, 5], got {raw!r}")
    if len(v) > _MAX_LAYERS:
        raise ConfigError(name, f"{name}: at most {_MAX_LAYERS} hidden layers, got {len(v)}")
    sizes = [_as_number(h, integer=True) for h in v]
    if any(s is None or not 1 <= s <= _MAX_COUNT for s in sizes):
        raise ConfigError(name, f"{name}: layer sizes must be positive integers, got {raw!r}")
    return tuple(sizes)


def _keep_prob(name: str, v: Any) -> Any:
    """None, one probability for every hidden layer, or one per hidden layer."""
    one = _number("in (0, 1]", gt=0, le=1, optional=True)
    return tuple(one(name, k) for k in v) if isinstance(v, list | tuple) else one(name, v)


def _activation(optional: bool) -> Check:
    def check(name: str, v: Any) -> Any:
        v = _text(optional)(name, v)
        if v is not None:
            from glassnet.functions.activations import get_activation

            try:
                get_activation(v)
            except ValueError as exc:
                raise ConfigError(name, f"{name}: {exc}") from None
        return v

    return check


def _decay(name: str, v: Any) -> str | None:
    v = _text()(name, v)
    if v is None:
        return None
    key = v.strip().lower().replace("-", "_")
    if key not in SCHEDULES:
        raise ConfigError(name, f"{name} {v!r}: expected one of {', '.join(SCHEDULES)}")
    return key


_MAX_DEPTH = 8  # nesting of a table setting's values (model_options, augment)
_MAX_LAYERS = 1000


def _depth(v: Any, limit: int = _MAX_DEPTH) -> int:
    """How deeply ``v``'s lists and tables nest (counted up to just past ``limit``)."""
    if limit < 0 or not isinstance(v, Mapping | list | tuple):
        return 0
    items = v.values() if isinstance(v, Mapping) else v
    return 1 + max((_depth(x, limit - 1) for x in items), default=0)


def _model_options(name: str, v: Any) -> dict[str, Any]:
    v = {} if v is None else v
    if not isinstance(v, Mapping):
        raise ConfigError(name, f"{name} must be a table of KEY = VALUE, got {v!r}")
    if _depth(v) > _MAX_DEPTH:
        raise ConfigError(name, f"{name}: values nested more than {_MAX_DEPTH} deep")
    return {str(k): val for k, val in v.items()}


def _augment(name: str, v: Any) -> dict[str, Any] | None:
    """A dict of augmentation options or its JSON text, e.g. ``{"flip": true, "crop": 4}``."""
    if v is None:
        return None
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except json.JSONDecodeError:
            raise ConfigError(
                name, f'{name}: expected JSON such as {{"flip": true}}, got {v!r}') from None
    if not isinstance(v, Mapping) or _depth(v) > _MAX_DEPTH:
        raise ConfigError(name, f'{name}: expected options such as {{"flip": true}}, got {v!r}')
    from glassnet.data import Augmenter

    v = {str(k): val for k, val in v.items()}
    try:
        Augmenter(v)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ConfigError(name, f"{name}: {exc}") from None
    for key, check in _AUGMENT_CHECKS.items():
        if key in v and not isinstance(v[key], bool):
            try:
                check(f"{name} {key}", v[key])
            except ConfigError as exc:
                raise ConfigError(name, str(exc)) from None
    return v


_AUGMENT_CHECKS: dict[str, Check] = {
    "flip": _number("true, false or a probability in [0, 1]", ge=0, le=1),
    "crop": _number("a padding in pixels (an integer >= 0)", integer=True, ge=0, le=4096),
    "noise": _number(">= 0", ge=0),
    "color_shift": _number(">= 0", ge=0),
}


def _one_of(choices: tuple[str, ...], optional: bool = False) -> Check:
    def check(name: str, v: Any) -> Any:
        if v is None and optional:
            return None
        if v not in choices:
            listed = ", ".join(repr(c) for c in choices)
            raise ConfigError(name, f"{name} must be one of {listed}, got {v!r}")
        return v

    return check


def _setting(default: Any, help: str, check: Check, *, choices: tuple[str, ...] | None = None,
             flags: tuple[str, ...] = (), cli: str | None = None, optional: bool = False) -> Any:
    """A field: its default, help, check (+ choices), extra flag spellings, CLI form.

    ``cli``: how the command line takes it when not from the type: "text" (parsed by the
    check), "key=value" (repeatable), "float" (one value of a number-or-list field).
    """
    if choices is not None:
        check = _one_of(choices, optional)
    meta = {"help": help, "check": check, "choices": choices, "flags": flags, "cli": cli}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def _column(name: str, v: Any) -> int | str | None:
    """A CSV column: a header name, or an index (``-1`` the last; ``"3"`` is index 3)."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | str):
        raise ConfigError(name, f"{name} must be a column name or index, got {v!r}")
    if isinstance(v, str):
        v = v.strip()
        if not v:
            raise ConfigError(name, f"{name} must be a column name or index, got ''")
        if v.lstrip("-").isdigit():
            return int(v)
    return v


def _columns(name: str, v: Any) -> tuple[int | str, ...] | None:
    """CSV columns: ``"a,b,3"``, ``["a", 3]``, or None (every column but the label)."""
    if v is None:
        return None
    if isinstance(v, str):
        v = [c for c in v.split(",") if c.strip()]
    elif isinstance(v, int) and not isinstance(v, bool):
        v = [v]
    if not isinstance(v, list | tuple) or not v:
        raise ConfigError(name, f"{name} must be column names or indices like a,b,3, got {v!r}")
    return tuple(_column(name, c) for c in v)  # type: ignore[misc]


def _image_size(name: str, v: Any) -> tuple[int, int] | None:
    """``"28x28"``, ``"28"`` (square), ``[28, 28]``, or None (the images' own size)."""
    raw = v
    if v is None:
        return None
    if isinstance(v, str):
        v = [p for p in v.lower().replace("x", ",").split(",") if p.strip()]
    elif isinstance(v, int) and not isinstance(v, bool):
        v = [v]
    if not isinstance(v, list | tuple) or len(v) not in (1, 2):
        raise ConfigError(name, f"{name} must be HxW such as 28x28, got {raw!r}")
    sizes = [_as_number(s, integer=True) for s in v]
    if any(s is None or not 1 <= s <= 4096 for s in sizes):
        raise ConfigError(name, f"{name} must be HxW with sides in 1..4096, got {raw!r}")
    return (int(sizes[0]), int(sizes[-1]))  # type: ignore[arg-type]
