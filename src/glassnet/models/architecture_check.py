"""Reading and checking ``architecture.json`` before anything is built from it.

A model folder may come from anywhere, so its architecture file is treated as hostile:

* the file itself: at most ``MAX_ARCHITECTURE_BYTES``, UTF-8, JSON nested at most
  ``MAX_DEPTH`` deep (Python's parser would otherwise raise RecursionError), no
  ``NaN``/``Infinity`` and no number that overflows (``1e400``), no integer of more than
  ``MAX_INT_DIGITS`` digits;
* its fields: ``format``, ``format_version``, the model's ``input_shape`` (positive
  sizes), ``dtype``, ``loss``, ``name``, ``layers`` (a non-empty list of
  ``{"type": KNOWN_TYPE, "config": {...}}``), each layer setting checked against the
  layer's constructor (an unknown setting, a string where a number goes, a bool for an
  int, a size that is not a positive integer up to ``MAX_SIZE``), nested layers
  (``time_distributed``, ``bidirectional``) likewise;
* the metadata: ``classes`` a list of names, ``preprocessing`` a table, ...

Every problem is one :class:`~glassnet.core.errors.ModelFileError` line naming the file
and the place (``model.layers[2].config.units``).

    >>> arch = read_architecture_file(Path("runs/x/architecture.json"))  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.errors import ModelFileError
from glassnet.layers.base import LAYER_TYPES

FORMAT = "glassnet-model"
FORMAT_VERSION = 1
#: the largest architecture file read (the zoo's largest is ~40 KB)
MAX_ARCHITECTURE_BYTES = 4 * 2**20
#: the deepest nesting of JSON arrays and objects (a saved model reaches ~10)
MAX_DEPTH = 64
MAX_INT_DIGITS = 19
#: the largest size (units, filters, an input dimension) an architecture may declare
MAX_SIZE = 2**31 - 1
#: integer settings that may be 0 (every other integer setting is a size: >= 1)
_MAY_BE_ZERO = {"seed", "padding"}
_DTYPES = ("float32", "float64")


class _Refused(Exception):
    """A problem found while parsing (turned into ModelFileError with the file's name)."""


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line (newlines and runs of spaces as one space), at most ``limit``
    characters: messages quote what the file holds."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _at(where: str, key: str) -> str:
    """``where.key``, or ``where['odd key']`` for a key that is not a plain name."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_:]{0,40}", key):
        return f"{where}.{key}"
    return f"{where}[{one_line(repr(key), 40)}]"


# -- the file -----------------------------------------------------------------------------

def _nesting_depth(data: bytes) -> int:
    """The deepest nesting of ``[``/``{`` in JSON ``data``, strings skipped (no recursion)."""
    stripped = re.sub(rb'"(?:[^"\\]|\\.)*"', b'""', data)
    codes = numpy.frombuffer(stripped, dtype=numpy.uint8)
    step = numpy.isin(codes, (ord("["), ord("{"))).astype(numpy.int64)
    step -= numpy.isin(codes, (ord("]"), ord("}")))
    return int(numpy.cumsum(step).max(initial=0))


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is out of range")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"the integer {text[:24]}... has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _constant(text: str) -> Any:
    raise _Refused(f"{text} is not a number an architecture may hold")


def read_json_file(path: Path, what: str = "architecture file") -> Any:
    """The JSON value of ``path``, refusing a file too big, too deep or with bad numbers."""
    try:
        size = path.stat().st_size
        if size > MAX_ARCHITECTURE_BYTES:
            raise ModelFileError(f"{path}: {size} bytes, more than an {what} may have "
                                 f"({MAX_ARCHITECTURE_BYTES})")
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    depth = _nesting_depth(data)
    if depth > MAX_DEPTH:
        raise ModelFileError(f"{path}: not valid JSON (nested {depth} deep, more than "
                             f"{MAX_DEPTH})")
    try:
        return json.loads(data.decode("utf-8"), parse_float=_float, parse_int=_int,
                          parse_constant=_constant)
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{path}: not valid JSON (not UTF-8: {exc.reason} at byte "
                             f"{exc.start})") from None
    except (json.JSONDecodeError, _Refused, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path}: not valid JSON ({one_line(str(exc))})") from None


# -- the values ---------------------------------------------------------------------------

def _kinds_of(hint: Any) -> set[str]:
    """The JSON kinds a constructor annotation admits: int, float, str, bool, null, list,
    ints (a list of sizes, or of pairs of sizes), dict, layer; ``any`` when the annotation
    is not understood."""
    text = str(hint).replace("typing.", "")
    if text in ("", "Any", str(inspect.Parameter.empty)):
        return {"any"}
    text = text.replace("Padding", "str | int | Sequence[int]")  # geometry.Padding
    kinds: set[str] = set()
    for part in re.split(r"\|(?![^\[]*\])", text):
        token = part.strip()
        base = token.split("[", 1)[0].strip()
        if base in ("int", "float", "str", "bool", "dict"):
            kinds.add(base)
        elif base == "None":
            kinds.add("null")
        elif base in ("Sequence", "tuple", "list"):
            kinds.add("ints" if "int" in token else "list")
        elif base in ("Mapping",):
            kinds.add("dict")
        elif base in ("Layer", "Recurrent"):
            kinds.add("layer")
        elif base in ("Activation", "ActivationFunction", "Loss", "Regularizer"):
            kinds.update(("str", "dict"))
        else:
            return {"any"}
    return kinds


def _parameters(cls: type) -> dict[str, inspect.Parameter] | None:
    """The constructor parameters of ``cls`` (following ``**kwargs`` up the classes);
    None when some class takes any keyword."""
    found: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = list(inspect.signature(init).parameters.values())[1:]
        for p in params:
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                found.setdefault(p.name, p)
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return found
    return None


def _check_int(value: int, where: str, key: str) -> None:
    low = 0 if key in _MAY_BE_ZERO else 1
    if not low <= value <= MAX_SIZE:
        raise _Refused(f"{where}: {value} is not an integer from {low} to {MAX_SIZE}")


def _check_value(value: Any, kinds: set[str], where: str, key: str, depth: int) -> None:
    if "any" in kinds:
        return
    if value is None:
        ok = "null" in kinds
    elif isinstance(value, bool):
        ok = "bool" in kinds
    elif isinstance(value, int):
        ok = bool(kinds & {"int", "float"})
        if ok and "int" in kinds:
            _check_int(value, where, key)
    elif isinstance(value, float):
        ok = "float" in kinds
    elif isinstance(value, str):
        ok = "str" in kinds
    elif isinstance(value, list):
        ok = bool(kinds & {"list", "ints"})
        if "ints" in kinds and "list" not in kinds:  # sizes: ints, or pairs of ints
            for i, item in enumerate(value):
                inner = item if isinstance(item, list) else [item]
                for x in inner:
                    _check_value(x, {"int"}, f"{where}[{i}]", key, depth)
    elif isinstance(value, dict):
        if "layer" in kinds:
            check_layer_entry(value, where, depth + 1)
            return
        ok = "dict" in kinds
    else:  # pragma: no cover - json gives no other types
        ok = False
    if not ok:
        raise _Refused(f"{where}: expected {' or '.join(sorted(kinds))}, got "
                       f"{type(value).__name__} {json.dumps(value)[:40]}")


def check_layer_entry(entry: Any, where: str, depth: int = 0) -> None:
    """Refuse (``_Refused``) a layer entry of an unknown type or with a setting its
    constructor does not take, or of the wrong kind."""
    if depth > MAX_DEPTH:
        raise _Refused(f"{where}: layers nested too deep")
    if not isinstance(entry, dict):
        raise _Refused(f"{where}: expected a layer {{\"type\": ..., \"config\": {{...}}}}, "
                       f"got {type(entry).__name__}")
    kind = entry.get("type")
    if not isinstance(kind, str) or kind not in LAYER_TYPES:
        raise _Refused(f"{where}: unknown layer type {kind!r} (known: "
                       f"{', '.join(sorted(LAYER_TYPES))})")
    config = entry.get("config", {})
    if not isinstance(config, dict):
        raise _Refused(f"{where}.config: expected a table, got {type(config).__name__}")
    params = _parameters(LAYER_TYPES[kind])
    for key, value in config.items():
        if params is not None and key not in params:
            raise _Refused(f"{where}.config: {kind} has no setting {one_line(repr(key), 40)} "
                           f"(settings: {', '.join(params)})")
        hint = params[key].annotation if params is not None else inspect.Parameter.empty
        kinds = _kinds_of(hint)
        if key == "activation":  # saved as {"name": ...} whatever the annotation says
            kinds |= {"str", "dict", "null"}
        _check_value(value, kinds, _at(f"{where}.config", key), key, depth)
    if params is not None:
        needed = [k for k, p in params.items() if p.default is p.empty and k not in config]
        if needed:
            raise _Refused(f"{where}.config: {kind} needs the setting {needed[0]!r}")


def _check_model(model: dict) -> None:
    kind = model.get("type", "sequential")
    if kind != "sequential":
        raise _Refused(f"model.type: {kind!r}, expected 'sequential'")
    shape = model.get("input_shape")
    if not isinstance(shape, list) or not shape:
        raise _Refused("model.input_shape: expected a list of positive sizes")
    for i, d in enumerate(shape):
        _check_value(d, {"int"}, f"model.input_shape[{i}]", "input_shape", 0)
    if model.get("dtype", "float32") not in _DTYPES:
        raise _Refused(f"model.dtype: {model.get('dtype')!r}, expected one of {_DTYPES}")
    _check_value(model.get("name", "model"), {"str"}, "model.name", "name", 0)
    _check_value(model.get("loss"), {"str", "dict", "null"}, "model.loss", "loss", 0)
    loss = model.get("loss")
    if isinstance(loss, dict) and not isinstance(loss.get("name"), str):
        raise _Refused("model.loss.name: expected the loss's name")
    regularization = model.get("regularization")
    _check_value(regularization, {"dict", "null", "float"}, "model.regularization", "l2", 0)
    for key, value in (regularization or {}).items() if isinstance(regularization, dict) else ():
        _check_value(value, {"float"}, _at("model.regularization", key), key, 0)
    layers = model.get("layers")
    if not isinstance(layers, list) or not layers:
        raise _Refused("model.layers: expected a non-empty list of layers")
    for i, entry in enumerate(layers):
        check_layer_entry(entry, f"model.layers[{i}]")


_METADATA_KINDS = {
    "classes": {"list", "null"}, "preprocessing": {"dict", "null"}, "task": {"str", "null"},
    "text_model": {"str", "null"}, "seq_length": {"int", "null"},
    "dev_fraction": {"float", "null"}, "transfer": {"dict", "null"},
    "trained_on": {"str", "null"}, "vocabulary": {"dict", "list", "null"},
}


def _check_metadata(metadata: Any) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise _Refused(f"metadata: expected a table, got {type(metadata).__name__}")
    for key, kinds in _METADATA_KINDS.items():
        if key in metadata:
            _check_value(metadata[key], kinds, f"metadata.{key}", key, 0)
    for i, name in enumerate(metadata.get("classes") or ()):
        if not isinstance(name, str | int | float) or isinstance(name, bool):
            raise _Refused(f"metadata.classes[{i}]: expected a class name, got "
                           f"{type(name).__name__}")
    pre = metadata.get("preprocessing")
    if isinstance(pre, dict):
        for key, kinds in (("layout", {"str"}), ("mode", {"str"}), ("dtype", {"str"}),
                           ("scale", {"float", "null"}), ("standardize", {"bool", "null"}),
                           ("example_shape", {"ints"})):
            if key in pre:
                _check_value(pre[key], kinds, f"metadata.preprocessing.{key}", key, 0)


def check_architecture(arch: Any, path: Path) -> dict:
    """``arch`` (the parsed file ``path``) if it is a well-formed architecture of a format
    this glassnet reads; else ModelFileError naming the file and the field."""
    if not isinstance(arch, dict) or arch.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a glassnet architecture file (format != {FORMAT!r})")
    version = arch.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise ModelFileError(f"{path}: format version {version!r} is newer than this glassnet "
                             f"reads ({FORMAT_VERSION}); upgrade glassnet")
    if version < 1:
        raise ModelFileError(f"{path}: format version {version!r} is not a version glassnet "
                             "wrote")
    if not isinstance(arch.get("model"), dict):
        raise ModelFileError(f"{path}: missing key 'model'")
    try:
        _check_model(arch["model"])
        _check_metadata(arch.get("metadata"))
    except _Refused as exc:
        raise ModelFileError(f"{path}: invalid architecture ({one_line(str(exc))})") from None
    return arch


def read_architecture_file(path: Path) -> dict:
    """The checked architecture of the file ``path`` (see the module's docstring)."""
    return check_architecture(read_json_file(path), path)
