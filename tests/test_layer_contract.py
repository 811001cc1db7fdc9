"""The building-block contract, checked on every registered layer kind.

``glassnet.layers.base.LAYER_TYPES`` holds every layer kind (``Layer.__init_subclass__``
registers a class that sets ``kind``).  ``CASES`` below maps each kind to one or more ways
to build it and an example shape; for every case:

* the shape ``build`` returns is ``compute_output_shape``'s and the forward pass's;
* the parameter count is the sum of the parameters' sizes, equals ``n_parameters`` and the
  course's formula written in the row (``n[l] n[l-1] + n[l]`` for a dense layer,
  ``f f n_C_prev n_C + n_C`` for a convolution, ...);
* the architecture-file entry survives JSON, rebuilds an equal entry, and with the same
  parameters and state the rebuilt layer computes the same outputs;
* float32 in, float32 out (activations, dA_prev, gradients, parameters and state);
* the backward pass passes the notes' gradient check in float64 (relative difference below
  1e-7, every parameter and the input), in training and in test mode;
* a frozen layer (``trainable = False`` with its grads cleared, as ``Sequential.freeze``
  does) fills no gradients and still passes dA_prev down unchanged.

A registered kind without a row fails ``test_every_registered_kind_has_a_row``: add a row.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from helpers import (
    assert_close,
    assert_gradients,
    batch_axis_for,
    built,
    forward_backward,
    random_input,
)

import glassnet
from glassnet.layers import (
    ActivationLayer,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    BatchNorm,
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Dense,
    DepthwiseConv2D,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    InceptionModule,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MobileNetV1Block,
    MobileNetV2Block,
    ResidualBlock,
    SeparableConv2D,
)
from glassnet.layers.base import LAYER_TYPES, Layer, layer_from_config, layer_to_config
from glassnet.layers.recurrent import GRU, LSTM, SimpleRNN
from glassnet.layers.recurrent.bidirectional import Bidirectional
from glassnet.layers.time_distributed import TimeDistributed


def _import_every_module() -> None:
    """Import all of glassnet, so every layer kind, wherever it lives, is registered."""
    for info in pkgutil.walk_packages(glassnet.__path__, "glassnet."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)


_import_every_module()
#: the library's registered kinds (a test module's own subclasses are not the library's)
REGISTERED = {
    kind: cls for kind, cls in LAYER_TYPES.items() if cls.__module__.startswith("glassnet.")
}


def _fixed_dropout_mask(layer: Layer, x: np.ndarray) -> None:
    """The notes: gradient-check dropout with a fixed mask D."""
    layer.set_mask(np.random.default_rng(5).random(x.shape) < layer.keep_prob)


@dataclass(frozen=True)
class Case:
    """One way to build a layer kind: ``make()`` is the unbuilt layer, built for examples
    of ``shape``, run on ``m`` of them, with ``n_params`` parameters (the course's formula;
    None where the row leaves it to the sum over the sub-layers)."""

    make: Callable[[], Layer]
    shape: tuple[int, ...]
    n_params: int | None
    m: int = 3
    #: called on the built layer and its input before every pass (fixed dropout masks)
    prepare: Callable[[Layer, np.ndarray], None] | None = None
    #: False where compute_output_shape cannot run before a build (BLOCK_SHAPE_RULE)
    shape_rule: bool = True
    #: the examples' axis of the input and output when the rank does not say it (sequences)
    batch_axis: int | None = None

    def axis(self, shape: tuple[int, ...]) -> int:
        return batch_axis_for(shape) if self.batch_axis is None else self.batch_axis


BLOCK_SHAPE_RULE = (
    "Block.compute_output_shape raises NotImplementedError (a block learns its shape by "
    "building its parts); delete shape_rule=False from the row once blocks compute it"
)

CASES: dict[str, Case] = {
    # -- dense data (n, m) ---------------------------------------------------------------
    "dense-tanh": Case(lambda: Dense(3, "tanh"), (4,), 3 * 4 + 3),
    "dense-relu-no-bias": Case(lambda: Dense(2, "relu", use_bias=False), (5,), 2 * 5),
    "dense-softmax": Case(lambda: Dense(4, "softmax", init="xavier"), (3,), 4 * 3 + 4),
    "dense-leaky-relu": Case(lambda: Dense(3, {"name": "leaky_relu", "slope": 0.2}), (2,),
                             3 * 2 + 3),
    "activation-sigmoid": Case(lambda: ActivationLayer("sigmoid"), (4,), 0),
    "activation-softmax": Case(lambda: ActivationLayer("softmax"), (4,), 0),
    "activation-relu-images": Case(lambda: ActivationLayer("relu"), (3, 3, 2), 0),
    "activation-softmax-images": Case(lambda: ActivationLayer("softmax"), (3, 3, 4), 0),
    "batchnorm-dense": Case(lambda: BatchNorm(), (4,), 2 * 4, m=5),
    "batchnorm-images": Case(lambda: BatchNorm(momentum=0.8), (3, 3, 2), 2 * 2),
    "dropout": Case(lambda: Dropout(0.7, seed=3), (6,), 0, m=4, prepare=_fixed_dropout_mask),
    "dropout-images": Case(lambda: Dropout(0.5, seed=4), (3, 3, 2), 0,
                           prepare=_fixed_dropout_mask),
    "flatten": Case(lambda: Flatten(), (3, 2, 2), 0),
    # -- sequences (n_x, m, T_x): one Dense applied at every time step ---------------------
    "time-distributed-dense": Case(lambda: TimeDistributed(Dense(3, "tanh")), (4, 5), 3 * 4 + 3,
                                   batch_axis=1),
    # -- recurrent (n_x, m, T_x): G gates, Waa (G n_a, n_a), Wax (G n_a, n_x), ba (G n_a) ---
    "simple-rnn-sequences": Case(lambda: SimpleRNN(3), (4, 5), 3 * 3 + 3 * 4 + 3,
                                 batch_axis=1),
    "simple-rnn-relu-last": Case(lambda: SimpleRNN(3, "relu", return_sequences=False), (2, 4),
                                 3 * 3 + 3 * 2 + 3, batch_axis=1),
    "gru-sequences": Case(lambda: GRU(3), (2, 4), 3 * (3 * 3 + 3 * 2 + 3), batch_axis=1),
    "gru-reset-after-last": Case(lambda: GRU(2, reset_after=True, return_sequences=False),
                                 (3, 4), 3 * (2 * 2 + 2 * 3 + 2) + 2, batch_axis=1),
    "lstm-sequences": Case(lambda: LSTM(3), (2, 4), 4 * (3 * 3 + 3 * 2 + 3), batch_axis=1),
    "lstm-last": Case(lambda: LSTM(2, return_sequences=False), (3, 5), 4 * (2 * 2 + 2 * 3 + 2),
                      batch_axis=1),
    "bidirectional-lstm": Case(lambda: Bidirectional(LSTM(2)), (3, 4),
                               2 * 4 * (2 * 2 + 2 * 3 + 2), batch_axis=1),
    "bidirectional-gru-last": Case(lambda: Bidirectional(GRU(2, return_sequences=False)),
                                   (2, 3), 2 * 3 * (2 * 2 + 2 * 2 + 2), batch_axis=1),
    # -- convolutions (m, ..., n_C): W f x f x n_C_prev x n_C, b n_C -------------------
    "conv1d": Case(lambda: Conv1D(3, 2, padding="same", activation="tanh"),
                              (5, 2), 2 * 2 * 3 + 3),
    "conv2d-stride2-pad1": Case(lambda: Conv2D(3, 3, stride=2, padding=1, activation="tanh"),
                                (5, 5, 2), 3 * 3 * 2 * 3 + 3),
    "conv2d-same-rect-no-bias": Case(
        lambda: Conv2D(2, (2, 3), padding="same", activation="relu", use_bias=False),
        (4, 5, 3), 2 * 3 * 3 * 2),
    "conv2d-pointwise": Case(lambda: Conv2D(4, 1, activation="sigmoid"), (3, 3, 2),
                             1 * 1 * 2 * 4 + 4),
    "conv3d": Case(lambda: Conv3D(2, 2, stride=(1, 2, 1), padding="same"), (3, 4, 3, 2),
                   2 * 2 * 2 * 2 * 2 + 2),
    "depthwise-conv2d": Case(lambda: DepthwiseConv2D(3, 1, "same", depth_multiplier=2),
                             (4, 4, 2), 3 * 3 * 2 * 2 + 2 * 2),
    "conv2d-transpose": Case(lambda: Conv2DTranspose(2, 3, stride=2, padding="same",
                                                     activation="tanh"),
                             (3, 3, 2), 3 * 3 * 2 * 2 + 2),
    # -- pooling: no parameters ------------------------------------------------------------
    "maxpool1d": Case(lambda: MaxPool1D(2), (6, 2), 0),
    "maxpool2d-2x2": Case(lambda: MaxPool2D(2, 2), (4, 4, 2), 0),  # the compiled path
    "maxpool2d-same-overlap": Case(lambda: MaxPool2D(3, 2, "same"), (5, 5, 2), 0),
    "maxpool3d": Case(lambda: MaxPool3D(2), (4, 2, 4, 1), 0),
    "avgpool1d": Case(lambda: AvgPool1D(3, 1), (5, 2), 0),
    "avgpool2d-2x2": Case(lambda: AvgPool2D(2), (4, 4, 3), 0),
    "avgpool2d-same-overlap": Case(lambda: AvgPool2D(3, 2, "same"), (5, 4, 2), 0),
    "avgpool3d": Case(lambda: AvgPool3D(2, 1), (3, 3, 2, 2), 0),
    "global-avgpool2d": Case(lambda: GlobalAvgPool2D(), (3, 4, 2), 0),
    "global-avgpool2d-keepdims": Case(lambda: GlobalAvgPool2D(keepdims=True), (3, 3, 2), 0),
    # -- blocks (their parts' parameters, flat) -------------------------------------------
    "residual-identity": Case(lambda: ResidualBlock(3), (4, 4, 3),
                              2 * (3 * 3 * 3 * 3 + 3), shape_rule=False),
    "residual-projection-bn": Case(
        lambda: ResidualBlock(2, 2, batch_norm=True), (4, 4, 3),
        3 * 3 * 3 * 2 + 2 * 2 + 3 * 3 * 2 * 2 + 2 * 2 + 3 * 2 + 2 * 2, shape_rule=False),
    "residual-bottleneck": Case(
        lambda: ResidualBlock(2, 1, "bottleneck", expansion=2), (4, 4, 3),
        (3 * 2 + 2) + (3 * 3 * 2 * 2 + 2) + (2 * 4 + 4) + (3 * 4 + 4), shape_rule=False),
    "inception": Case(
        lambda: InceptionModule(2, 2, 3, 1, 2, 2), (5, 5, 3),
        (3 * 2 + 2) + (3 * 2 + 2) + (3 * 3 * 2 * 3 + 3) + (3 * 1 + 1) + (5 * 5 * 1 * 2 + 2)
        + (3 * 2 + 2), m=2, shape_rule=False),
    "separable-conv2d": Case(lambda: SeparableConv2D(4, 3), (5, 5, 3), None, m=2,
                             shape_rule=False),
    "mobilenet-v1": Case(lambda: MobileNetV1Block(3, activation="relu"), (4, 4, 2), None,
                         shape_rule=False),
    "mobilenet-v2-residual": Case(lambda: MobileNetV2Block(3, 1, expansion=2), (4, 4, 3),
                                  None, m=2, shape_rule=False),
    "mobilenet-v2-bn-stride2": Case(
        lambda: MobileNetV2Block(4, 2, expansion=2, batch_norm=True), (5, 5, 2), None, m=2,
        shape_rule=False),
}


def _kind(case: Case) -> str:
    return type(case.make()).kind


# -- helpers ----------------------------------------------------------------------------
def _jitter(layer: Layer, rng: np.random.Generator) -> None:
    """Non-trivial parameters and state: biases and betas off zero (db and dbeta exercised,
    ReLUs away from their kink), gammas off one, running averages off their start."""
    for name, p in layer.params.items():
        if name.startswith(("b", "beta")):
            p[...] = rng.uniform(0.1, 0.5, p.shape)
        elif name.startswith("gamma"):
            p[...] = rng.uniform(0.5, 1.5, p.shape)
    for name, s in (layer.state or {}).items():
        if name.startswith("running_mean"):
            s[...] = rng.normal(0.0, 0.3, s.shape)
        elif name.startswith("running_var"):
            s[...] = rng.uniform(0.5, 2.0, s.shape)


def _setup(key: str, dtype=np.float64, seed: int = 0) -> tuple[Case, Layer, np.ndarray]:
    case = CASES[key]
    rng = np.random.default_rng(seed)
    layer = built(case.make(), case.shape, dtype, seed=seed)
    _jitter(layer, rng)
    x = random_input(case.shape, case.m, rng, dtype, batch_axis=case.axis(case.shape))
    if case.prepare is not None:
        case.prepare(layer, x)
    return case, layer, x


def _with_example_axis(shape: tuple[int, ...], m: int, axis: int) -> tuple[int, ...]:
    out = list(shape)
    out.insert(axis, m)
    return tuple(out)


def _shape_rule_cases() -> list:
    out = []
    for key, case in CASES.items():
        marks = [] if case.shape_rule else [
            pytest.mark.xfail(raises=NotImplementedError, strict=True, reason=BLOCK_SHAPE_RULE)
        ]
        out.append(pytest.param(key, marks=marks, id=key))
    return out


# -- the table covers the registry ------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(REGISTERED))
def test_every_registered_kind_has_a_row(kind):
    covered = {_kind(case) for case in CASES.values()}
    cls = REGISTERED[kind]
    assert kind in covered, (
        f"layer kind {kind!r} ({cls.__module__}.{cls.__name__}) is registered but has no row "
        "in CASES of tests/test_layer_contract.py: add one (a factory, an example shape, the "
        "parameter count) so that it is built, round-tripped and gradient-checked"
    )


def test_every_row_is_a_registered_kind():
    stale = {key: _kind(case) for key, case in CASES.items() if _kind(case) not in REGISTERED}
    assert not stale, f"rows of kinds that are not registered: {stale}"


# -- shapes and counts ------------------------------------------------------------------
@pytest.mark.parametrize("key", list(CASES))
def test_build_shape_is_the_forward_shape(key):
    case, layer, x = _setup(key)
    assert layer.output_shape is not None and layer.input_shape == case.shape
    A = layer.forward(x, training=False)
    want = _with_example_axis(layer.output_shape, case.m, case.axis(layer.output_shape))
    assert A.shape == want, (
        f"{layer.describe()}: build gave {layer.output_shape}, forward gave {A.shape}"
    )


@pytest.mark.parametrize("key", _shape_rule_cases())
def test_build_shape_is_compute_output_shape(key):
    case = CASES[key]
    out = built(case.make(), case.shape).output_shape
    assert case.make().compute_output_shape(case.shape) == out


def _leaves(layer: Layer) -> list[Layer]:
    subs = layer.sublayers()  # none for a plain layer
    if not subs:
        return [layer]
    return [leaf for sub in subs for leaf in _leaves(sub)]


@pytest.mark.parametrize("key", list(CASES))
def test_parameter_count(key):
    case, layer, _ = _setup(key)
    total = sum(int(p.size) for p in layer.params.values())
    assert layer.n_parameters == total
    # a block's flat params are its parts' own arrays, each once
    leaves = _leaves(layer)
    assert sum(leaf.n_parameters for leaf in leaves) == total
    ids = [id(p) for leaf in leaves for p in leaf.params.values()]
    assert sorted(ids) == sorted(id(p) for p in layer.params.values())
    if case.n_params is not None:
        assert total == case.n_params, (
            f"{layer.describe()}: {total} parameters, the course's formula gives {case.n_params}"
        )


# -- the architecture file ----------------------------------------------------------------
@pytest.mark.parametrize("key", list(CASES))
def test_config_round_trip(key):
    case, layer, x = _setup(key)
    entry = layer_to_config(layer)
    assert entry["type"] == layer.kind
    again = json.loads(json.dumps(entry))
    clone = layer_from_config(again)
    assert type(clone) is type(layer)
    assert layer_to_config(clone) == entry
    built(clone, case.shape, seed=99)  # other weights first: the copy below must matter
    assert sorted(clone.params) == sorted(layer.params)
    assert sorted(clone.state) == sorted(layer.state)
    for store, clone_store in ((layer.params, clone.params), (layer.state, clone.state)):
        for name, value in store.items():
            assert clone_store[name].shape == value.shape
            clone_store[name][...] = value
    if case.prepare is not None:
        case.prepare(clone, x)
    for training in (False, True):
        ours = layer.forward(x.copy(), training=training)
        theirs = clone.forward(x.copy(), training=training)
        np.testing.assert_array_equal(theirs, ours, err_msg=f"training={training}")


# -- dtypes -------------------------------------------------------------------------------
@pytest.mark.parametrize("training", [True, False], ids=["train", "test"])
@pytest.mark.parametrize("key", list(CASES))
def test_float32_in_float32_out(key, training):
    _, layer, x = _setup(key, np.float32)
    assert x.dtype == np.float32
    for name, arr in {**layer.params, **layer.state}.items():
        assert arr.dtype == np.float32, f"{name} is {arr.dtype}"
    run = forward_backward(layer, x, training=training)
    for name, arr in run.items():
        assert arr.dtype == np.float32, f"{layer.describe()}: {name} is {arr.dtype}"
    for name, arr in layer.state.items():
        assert arr.dtype == np.float32, f"{layer.describe()}: state {name} is {arr.dtype}"
    assert np.isfinite(run["A"]).all()


# -- the gradient check -------------------------------------------------------------------
@pytest.mark.parametrize("training", [True, False], ids=["train", "test"])
@pytest.mark.parametrize("key", list(CASES))
def test_gradient_check(key, training):
    case, layer, x = _setup(key)
    prepare = None if case.prepare is None else (lambda: case.prepare(layer, x))
    before = {k: v.copy() for k, v in layer.state.items()}
    result = assert_gradients(layer, x, batch_axis=case.axis(case.shape),
                              training=training, before_forward=prepare)
    assert result.n_checked == layer.n_parameters + x.size
    for name, value in layer.state.items():  # the check leaves the running averages alone
        np.testing.assert_array_equal(value, before[name])


# -- freezing -----------------------------------------------------------------------------
@pytest.mark.parametrize("key", list(CASES))
def test_frozen_layer_fills_no_gradients(key):
    _, layer, x = _setup(key)
    trained = forward_backward(layer, x.copy(), training=True)
    filled = {k for k in trained if k not in ("A", "dA", "dA_prev")}
    assert filled == {"d" + k for k in layer.params}
    _, frozen, _ = _setup(key)
    frozen.trainable = False  # what Sequential.freeze does to each frozen layer
    frozen.grads.clear()
    run = forward_backward(frozen, x.copy(), training=True)
    assert frozen.grads == {}, f"{frozen.describe()} is frozen but filled {sorted(frozen.grads)}"
    for leaf in _leaves(frozen):  # nor do a frozen block's parts
        assert leaf.grads == {}, f"{leaf.describe()} in a frozen {frozen.describe()}"
    assert_close(run, trained, names=["A", "dA_prev"], rtol=1e-12, atol=1e-13,
                 what=f"{frozen.describe()} frozen vs trainable")


# -- the harness itself --------------------------------------------------------------------
def test_assert_close_prints_ours_vs_theirs_per_quantity():
    ours = {"A": np.zeros((2, 3)), "dW": np.ones((2, 2))}
    theirs = {"A": np.zeros((2, 3)), "dW": np.ones((2, 2)) + np.eye(2) * 1e-6,
              "db": np.zeros((2, 1))}
    with pytest.raises(pytest.fail.Exception) as info:
        assert_close(ours, theirs, what="demo")
    text = str(info.value)
    assert "demo: ours vs theirs" in text
    row = next(line for line in text.splitlines() if line.strip().startswith("dW"))
    assert "1.000e-06" in row and "<- differs" in row  # max abs and max rel error
    assert "db  missing from ours" in text
    assert "differs" not in next(line for line in text.splitlines()
                                 if line.strip().startswith("A "))
