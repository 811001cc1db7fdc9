"""What the commands share: the exit code for bad input, config files, model options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

EXIT_BAD_INPUT = 2


class CLIError(click.ClickException):
    exit_code = EXIT_BAD_INPUT


def _fail(message: str) -> None:
    raise CLIError(message)


MAX_CONFIG_BYTES = 4 * 2**20  # a configuration file is a few lines; refuse megabytes


def _read_config_file(path: str) -> dict[str, Any]:
    """The settings table of a TOML/YAML/JSON file (its ``[train]`` table if it has one),
    keys with underscores; one line naming the file for anything else."""
    p = Path(path)
    if not p.is_file():
        _fail(f"{p}: no such configuration file")
    if p.suffix.lower() not in (".toml", ".yaml", ".yml", ".json"):
        _fail(f"{p}: configuration files are .toml, .yaml or .json")
    try:
        size = p.stat().st_size
        if size > MAX_CONFIG_BYTES:
            _fail(f"{p}: {size} bytes is too large for a configuration file "
                  f"(at most {MAX_CONFIG_BYTES})")
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail(f"{p}: not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        _fail(f"{p}: cannot read ({exc.strerror or exc})")
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - any parser error becomes one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _fail(f"{p}: cannot parse ({first})")
    if not isinstance(data, dict):
        _fail(f"{p}: expected a table of settings at the top level, got {_kind(data)}")
    if "train" in data:
        if not isinstance(data["train"], dict):
            _fail(f"{p}: train must be a table of settings ([train]), got {_kind(data['train'])}")
        data = data["train"]
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def _kind(value: Any) -> str:
    """A value's kind in a configuration file's words, with the value when short."""
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
             list: "a list", dict: "a table", type(None): "nothing"}
    text = repr(value)
    shown = f" {text}" if len(text) <= 40 else ""
    return kinds.get(type(value), type(value).__name__) + shown


def _parse_model_options(items: tuple[str, ...]) -> dict[str, Any]:
    """``("width=2", "init=glorot")`` -> ``{"width": 2, "init": "glorot"}`` (JSON values)."""
    options: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            _fail(f"--model-option: expected KEY=VALUE, got {item!r}")
        try:
            options[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            options[key.strip()] = raw
    return options
