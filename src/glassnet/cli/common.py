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


def _read_config_file(path: str) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        _fail(f"{p}: no such configuration file")
    text = p.read_text("utf-8")
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        elif p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            _fail(f"{p}: configuration files are .toml, .yaml or .json")
    except Exception as exc:  # noqa: BLE001 - any parser error becomes one line
        _fail(f"{p}: cannot parse ({str(exc).splitlines()[0]})")
    if not isinstance(data, dict):
        _fail(f"{p}: expected a table of settings at the top level")
    data = data.get("train", data)
    return {str(k).replace("-", "_"): v for k, v in data.items()}


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
