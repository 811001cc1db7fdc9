"""RunConfig: the run settings written once (defaults, help, checks, flags, presets)."""

from __future__ import annotations

import json
from dataclasses import MISSING, fields

import pytest

from glassnet.cli.main import main
from glassnet.cli.train import settings_of, train
from glassnet.core.errors import GlassnetError
from glassnet.project.config import PRESETS, ConfigError, RunConfig

FIELDS = fields(RunConfig)


def _parse(*args: str) -> RunConfig:
    """The RunConfig that ``glassnet train ARGS`` trains (parsed, not run)."""
    ctx = train.make_context("train", list(args))
    flags = {k: v for k, v in ctx.params.items() if k in RunConfig.names() and k != "progress"}
    return settings_of(ctx.params["config_file"], flags, ctx.params["preset"])


class _Stop(Exception):
    pass


def test_every_field_has_a_default_help_and_a_flag():
    params = {p.name: p for p in train.params}
    for f in FIELDS:
        assert f.default is not MISSING or f.default_factory is not MISSING, f.name
        assert f.metadata["help"].strip(), f.name
        assert callable(f.metadata["check"]), f.name
        assert f.name in params, f"{f.name}: no option of glassnet train"
        opts = params[f.name].opts + params[f.name].secondary_opts
        dashed = f"--{f.name.replace('_', '-')}"
        assert dashed in opts, (f.name, opts)
        assert params[f.name].help.startswith(f.metadata["help"]), f.name
    # the options that are not settings of the run
    assert set(params) - set(RunConfig.names()) == {"config_file", "out", "overwrite", "resume",
                                                          "as_json", "preset"}


def test_the_defaults_are_the_documented_ones():
    cfg = RunConfig()  # the same good defaults for every dataset
    assert cfg.hidden == (64, 32) and cfg.optimizer == "adam" and cfg.learning_rate == 0.001
    assert cfg.epochs is None and cfg.batch_size == 64 and cfg.print_every == 1  # None: auto
    assert cfg.compute_dtype == "float32"
    # the course's recipe is a named preset: full-batch GD at 0.0075 for 2,500 iterations
    course = RunConfig.preset("course")
    assert (course.optimizer, course.learning_rate, course.batch_size) == ("gd", 0.0075, None)
    assert (course.epochs, course.print_every, course.hidden) == (2500, 100, (64, 32))
    assert RunConfig(rng="course").compute_dtype == "float64"  # the course computes in float64


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--iterations", "7"], {"epochs": 7}),
        (["--epochs", "7"], {"epochs": 7}),
        (["-a", "0.5"], {"learning_rate": 0.5}),
        (["--learning-rate", "0.5"], {"learning_rate": 0.5}),
        (["--train-dev", "0.1"], {"train_dev_fraction": 0.1}),
        (["--train-dev-fraction", "0.1"], {"train_dev_fraction": 0.1}),
        (["--batchnorm"], {"batchnorm": True}),
        (["--no-batchnorm"], {"batchnorm": False}),
        (["--hidden", "20,7,5"], {"hidden": (20, 7, 5)}),
        (["--hidden", ""], {"hidden": ()}),
        (["--model", "vgg16", "--model-option", "width=2", "--model-option", "fc_units=8"],
         {"model": "vgg16", "model_options": {"width": 2, "fc_units": 8}}),
        (["--augment", '{"flip": true}'], {"augment": {"flip": True}}),
        (["--keep-prob", "0.8"], {"keep_prob": 0.8}),
        (["--decay", "inverse-time", "--decay-interval", "10"],
         {"decay": "inverse_time", "decay_interval": 10}),
        (["--split-seed", "3", "--test-fraction", "0.3"], {"split_seed": 3, "test_fraction": 0.3}),
    ],
)
def test_flags_set_their_fields(args, expected):
    cfg = _parse("--data", "x.npz", *args)
    for name, value in expected.items():
        assert getattr(cfg, name) == value, name


def test_digits_preset_is_what_train_with_no_arguments_trains(monkeypatch, tmp_path):
    import glassnet.project.run as run

    seen = {}

    def fake(config, out=None, resume=False, progress=None, overwrite=False):
        seen["config"] = config
        raise _Stop

    monkeypatch.setattr(run, "run_training", fake)
    assert main(["train", "--out", str(tmp_path)]) == 1  # _Stop: an "internal error"
    digits = RunConfig.preset("digits")
    assert seen["config"] == digits == PRESETS["digits"]
    assert (digits.optimizer, digits.learning_rate, digits.batch_size) == ("adam", 0.001, 64)
    assert (digits.epochs, digits.print_every, digits.dev_fraction) == (60, 5, 0.1)
    # a flag changes one setting of the default job; --data / --model / --hidden leave it
    assert _parse("--epochs", "3") == digits.replace(epochs=3)
    assert _parse("--hidden", "8") == RunConfig(hidden=[8])


def test_a_config_file_and_flags(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[train]\nhidden = [5, 3]\nlearning-rate = 0.1\nepochs = 9\n')
    cfg = _parse("--config", str(path), "--epochs", "4")
    assert (cfg.hidden, cfg.learning_rate, cfg.epochs) == ((5, 3), 0.1, 4)  # the flag wins


def test_from_dict_rejects_unknown_keys_naming_them():
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict({"learning_rate": 0.1, "lerning_rate": 0.1, "iterations": 5})
    message = str(info.value)
    assert "lerning_rate" in message and "iterations" in message
    assert "lerning_rate (did you mean learning_rate?)" in message
    assert "iterations (did you mean epochs?)" in message  # the flag's alias is not a key
    assert "known: data, test_data" in message and "print_every" in message
    assert isinstance(info.value, GlassnetError)


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"learning_rate": -1}, ["learning_rate must be a positive number, got -1"]),
        ({"learning_rate": float("nan")}, ["learning_rate", "nan"]),
        ({"epochs": 0}, ["epochs must be a positive integer (or unset: auto), got 0"]),
        ({"epochs": 2.5}, ["epochs", "2.5"]),
        ({"batch_size": -1}, ["batch_size", "positive integer", "got -1"]),
        ({"l2": -1}, ["l2 must be >= 0, got -1"]),
        ({"dev_fraction": 1.5}, ["dev_fraction must be in [0, 1), got 1.5"]),
        ({"keep_prob": [0.8, 1.5]}, ["keep_prob", "(0, 1]", "1.5"]),
        ({"hidden": "20,x,5"}, ["hidden", "20,x,5"]),
        ({"hidden": [20, 0]}, ["hidden", "positive"]),
        ({"seed": True}, ["seed", "True"]),
        ({"rng": "global"}, ["rng", "'numpy', 'course'", "global"]),
        ({"init": "ones"}, ["init", "ones"]),
        ({"activation": "swish"}, ["activation", "swish"]),
        ({"decay": "sometimes"}, ["decay", "sometimes", "inverse_time"]),
        ({"augment": "{flip"}, ["augment", "JSON"]),
        ({"augment": {"rotate": 3}}, ["augment", "rotate"]),
        ({"optimizer": "adam", "beta": 0.9}, ["beta", "adam"]),
        ({"early_stopping": 3}, ["early_stopping", "dev_fraction"]),
        ({"human_error": 5}, ["human_error", "0.05 for 5%"]),
    ],
)
def test_errors_name_the_field_not_a_flag(settings, words):
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(settings)
    message = str(info.value)
    assert info.value.field == next(iter(settings)) or info.value.field in settings
    assert message.startswith(info.value.field)
    assert "--" not in message, message
    for w in words:
        assert w in message, (w, message)


def test_the_constructor_checks_too():
    with pytest.raises(ConfigError, match="learning_rate must be a positive number"):
        RunConfig(learning_rate=0)
    with pytest.raises(ConfigError, match="epochs"):
        RunConfig().replace(epochs=-1)
    with pytest.raises(ConfigError, match="unknown preset 'mnist'.*digits"):
        RunConfig.preset("mnist")


def test_coercions():
    cfg = RunConfig.from_dict({
        "hidden": "20, 7,5", "learning_rate": "1e-3", "epochs": 60.0, "keep_prob": [1, 0.8],
        "augment": '{"flip": true, "crop": 4}', "model_options": None, "data": None,
    })
    assert cfg.hidden == (20, 7, 5) and cfg.learning_rate == 0.001 and cfg.epochs == 60
    assert isinstance(cfg.epochs, int) and cfg.keep_prob == (1.0, 0.8)
    assert cfg.augment == {"flip": True, "crop": 4} and cfg.model_options == {}
    assert RunConfig.from_dict({"hidden": None}).hidden == ()  # logistic regression
    assert RunConfig.from_dict({"hidden": 12}).hidden == (12,)
    assert RunConfig.from_dict({"hidden": []}).hidden == ()
    assert RunConfig.from_dict({"learning_rate": None}).learning_rate == 0.001  # the default
    # the whole set as one batch (batch gradient descent): batch_size 0 or None
    assert RunConfig.from_dict({"batch_size": 0}).batch_size is None
    assert RunConfig.from_dict({"batch_size": None}).batch_size is None
    assert RunConfig.from_dict({"preset": "course", "epochs": 5}) == \
        RunConfig.preset("course").replace(epochs=5)


@pytest.mark.parametrize(
    "cfg",
    [
        RunConfig(),
        PRESETS["digits"],
        PRESETS["course"],
        RunConfig(hidden=[20, 7, 5], keep_prob=[0.9, 0.8, 0.7], augment={"flip": True},
                  model_options={"width": 2}, optimizer="adam", beta1=0.8, decay="step",
                  rng="course", dtype="float64", progress=False, human_error=0.05),
    ],
)
def test_to_dict_from_dict_round_trip(cfg):
    d = cfg.to_dict()
    assert list(d) == list(RunConfig.names())
    assert json.loads(json.dumps(d)) == d  # plain JSON (run.json)
    assert RunConfig.from_dict(d) == cfg
    assert RunConfig.from_dict(json.loads(json.dumps(d))) == cfg


def test_run_training_takes_a_run_config(tmp_path):
    from glassnet.project.run import run_training

    cfg = RunConfig(hidden=[8], epochs=3, print_every=1, optimizer="adam",
                    learning_rate=0.01, batch_size=128, progress=False)
    result = run_training(cfg, out=tmp_path)
    assert result.config == cfg.to_dict()
    assert result.metrics["epochs_run"] == 3 and result.metrics["task"] == "multiclass"
    saved = json.loads((tmp_path / "run.json").read_text())["config"]
    assert RunConfig.from_dict(saved) == cfg
    # a plain dict of some settings is the same run
    again = run_training({"hidden": "8", "epochs": 3, "print_every": 1, "optimizer": "adam",
                          "learning_rate": 0.01, "batch_size": 128, "progress": False})
    assert again.metrics["costs"] == result.metrics["costs"]


def test_the_course_preset_from_the_command_line_and_a_file(tmp_path):
    course = RunConfig.preset("course")
    assert _parse("--data", "x.npz", "--preset", "course") == course.replace(data="x.npz")
    assert _parse("--preset", "course", "--epochs", "7") == course.replace(epochs=7)
    path = tmp_path / "c.toml"
    path.write_text('preset = "course"\ndata = "x.npz"\nlearning_rate = 0.01\n')
    assert _parse("--config", str(path)) == course.replace(data="x.npz", learning_rate=0.01)
    # without a preset, every dataset gets the same defaults (not the course's)
    assert _parse("--data", "x.npz") == RunConfig(data="x.npz")


@pytest.mark.parametrize(
    ("m", "batch_size", "epochs"),
    [(120, 64, 200), (1_293, 64, 143), (10_000, 64, 20), (60_000, 64, 10), (209, None, 200)],
)
def test_auto_epochs_give_about_3000_updates_within_10_to_200_epochs(m, batch_size, epochs):
    from glassnet.project.optimization import resolve_epochs

    got, notes = resolve_epochs(RunConfig(batch_size=batch_size), m)
    assert got == epochs and "auto" in notes[0]
    assert resolve_epochs(RunConfig(epochs=7), m) == (7, [])
