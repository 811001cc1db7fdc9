"""Fuzzing the configuration reader (issue 16 item 4): every input either gives a RunConfig
or raises glassnet's own error with one line; nothing else escapes.

Random tables of known keys (and a few unknown ones) with values of random types, read
both as a dict (``RunConfig.from_dict``) and as a TOML / JSON file through the command
line's reader; bounded examples, no training."""

from __future__ import annotations

import json
import math

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from glassnet.cli.common import CLIError, _read_config_file  # noqa: E402
from glassnet.cli.train import settings_of  # noqa: E402
from glassnet.core.errors import GlassnetError  # noqa: E402
from glassnet.project.config import PRESETS, ConfigError, RunConfig  # noqa: E402

KEYS = [*RunConfig.names(), "preset", "train", "lerning_rate", "iterations"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.integers(-3, 300),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(0, 1),
    st.text(max_size=12), st.sampled_from(["adam", "gd", "relu", "20,7,5", "1e-3", "half",
                                           "x", "", "inverse_time", "course", "28x28",
                                           '{"flip": true}', '{"crop": 1000}', "0.5"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)
tables = st.one_of(
    st.dictionaries(st.sampled_from([*RunConfig.names(), "preset"]), values, max_size=3),
    st.dictionaries(st.sampled_from(KEYS), values, max_size=6),
)
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def _one_line(exc: BaseException) -> None:
    text = str(exc)
    assert text.strip() and "\n" not in text.strip(), text
    assert len(text) < 2000


@FUZZ
@given(tables)
def test_from_dict_gives_a_config_or_a_config_error(table):
    try:
        cfg = RunConfig.from_dict(table, source="fuzz.toml")
    except GlassnetError as exc:
        _one_line(exc)
        return
    assert isinstance(cfg, RunConfig)
    again = RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))  # run.json round trip
    assert again == cfg


def _toml_value(v):
    """A TOML literal of ``v`` (None has none: left out)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) \
            else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v if x is not None) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()
                           if x is not None) + "}"


@FUZZ
@given(tables, st.sampled_from(["toml", "json", "yaml", "raw"]), st.binary(max_size=40))
def test_the_file_reader_gives_settings_or_one_line(tmp_path_factory, table, kind, noise):
    folder = tmp_path_factory.mktemp("cfg")
    if kind == "toml":
        path = folder / "c.toml"
        path.write_text("\n".join(f"{k} = {_toml_value(v)}" for k, v in table.items()
                                  if v is not None))
    elif kind == "json":
        path = folder / "c.json"
        path.write_text(json.dumps(table))
    elif kind == "yaml":
        import yaml

        path = folder / "c.yaml"
        path.write_text(yaml.safe_dump(table))
    else:  # bytes that may not be UTF-8 or valid TOML at all
        path = folder / "c.toml"
        path.write_bytes(noise)
    try:  # what `glassnet train --config FILE` does with it
        cfg = settings_of(str(path), {})
    except (CLIError, ConfigError, GlassnetError) as exc:
        message = exc.format_message() if isinstance(exc, CLIError) else str(exc)
        assert str(path) in message, message  # the file is named
        _one_line(exc if not isinstance(exc, CLIError) else ValueError(message))
        return
    assert isinstance(cfg, RunConfig)


def test_the_reporters_inputs_name_the_key_and_the_file(tmp_path):
    cases = {'l2 = "x"': "l2", "hidden = 1.5": "hidden", 'keep_prob = "x"': "keep_prob",
             'dev_fraction = "half"': "dev_fraction", "train = 5": "train",
             'preset = "nope"': "preset"}
    for text, key in cases.items():
        path = tmp_path / "c.toml"
        path.write_text(text + "\n")
        with pytest.raises((CLIError, ConfigError)) as info:
            RunConfig.check_keys(_read_config_file(str(path)), source=str(path))
        message = info.value.format_message() if isinstance(info.value, CLIError) \
            else str(info.value)
        assert message.startswith(f"{path}: {key}"), message
    (tmp_path / "latin1.toml").write_bytes(b"data = '\xe9t\xe9'\n")
    with pytest.raises(CLIError, match="latin1.toml: not UTF-8"):
        _read_config_file(str(tmp_path / "latin1.toml"))
    assert set(PRESETS) >= {"course", "digits", "text"}
