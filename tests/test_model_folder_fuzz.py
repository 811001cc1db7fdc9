"""Fuzzing the model-folder reader (issue 16): every mutated folder loads or raises
glassnet's own error, within a small memory budget and without allocating past it.

Three mutators: JSON-level changes of ``architecture.json`` (a value anywhere replaced by
one of another type or an extreme one, a key removed or added), raw byte changes of
``architecture.json``, and byte changes of ``parameters.npz`` (flips, cuts, insertions).
The number of examples is bounded (``GLASSNET_FUZZ_EXAMPLES``, default 150 each; the
examples are the same on every run unless ``GLASSNET_FUZZ_RANDOM`` is set) so the
file runs in CI in well under a minute; set it higher for a long campaign.
"""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassnet import layers as L
from glassnet.core.errors import GlassnetError
from glassnet.core.limits import set_memory_budget
from glassnet.models.saving import ARCHITECTURE_FILE, PARAMETERS_FILE, load_model, save_model
from glassnet.models.sequential import Sequential

EXAMPLES = int(os.environ.get("GLASSNET_FUZZ_EXAMPLES", "150"))
BUDGET = 32 * 2**20
#: what one load may allocate at its peak (the budget plus the reader's own small change)
PEAK = BUDGET + 8 * 2**20
_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                     derandomize="GLASSNET_FUZZ_RANDOM" not in os.environ,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow, HealthCheck.data_too_large])


def _seed_models() -> list[Sequential]:
    dense = Sequential([L.Dense(4), L.BatchNorm(), L.Dropout(0.8),
                        L.Dense(3, activation="softmax")]).build((5,), seed=1)
    dense.metadata = {"classes": ["a", "b", "c"],
                      "preprocessing": {"layout": "dense", "mode": "auto", "scale": None,
                                        "standardize": True, "example_shape": [5],
                                        "dtype": "float32"}}
    dense.extras = {"input_mean": np.zeros(5, np.float32), "input_std": np.ones(5, np.float32)}
    conv = Sequential([L.Conv2D(2, 3, padding="same"), L.MaxPool2D(2), L.Flatten(),
                       L.Dense(1, activation="sigmoid")]).build((4, 4, 1), seed=2)
    rnn = Sequential([L.LSTM(2), L.TimeDistributed(L.Dense(3, activation="softmax"))],
                     loss="categorical_crossentropy").build((3, 4), seed=3)
    return [dense, conv, rnn]


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """(architecture bytes, parameter bytes) of each seed model's folder."""
    out = []
    for i, model in enumerate(_seed_models()):
        folder = tmp_path_factory.mktemp(f"seed{i}")
        save_model(model, folder)
        out.append(((folder / ARCHITECTURE_FILE).read_bytes(),
                    (folder / PARAMETERS_FILE).read_bytes()))
    return out


_TRIED = {"json": 0, "arch-bytes": 0, "npz-bytes": 0}


def assert_loads_within_budget(tmp_path: Path, arch: bytes, params: bytes, kind: str) -> None:
    folder = tmp_path / "m"
    folder.mkdir(exist_ok=True)
    (folder / ARCHITECTURE_FILE).write_bytes(arch)
    (folder / PARAMETERS_FILE).write_bytes(params)
    _TRIED[kind] += 1
    set_memory_budget(BUDGET)
    tracemalloc.start()
    try:
        load_model(folder)
    except GlassnetError as exc:
        assert "\n" not in str(exc).strip(), str(exc)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        set_memory_budget(None)
    assert peak <= PEAK, f"{kind}: peak {peak} bytes over {PEAK}"


# -- JSON-level mutations -------------------------------------------------------------------

_scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-2**70, max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31, 2**31 - 1, 10**6, 10**9, 2**63]),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e300, -0.0, 1e-320]),
    st.text(max_size=12), st.sampled_from(["dense", "lstm", "conv2d", "same", "relu", ""]),
)
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=8)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


@st.composite
def _json_mutation(draw, seeds):
    arch_bytes, params = seeds[draw(st.integers(0, len(seeds) - 1))]
    arch = json.loads(arch_bytes)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(arch))
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if not path:
            arch = draw(_values) if action == "replace" else arch
            continue
        parent = arch
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        if action == "replace":
            parent[key] = draw(_values)
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(_values)
        else:
            parent.insert(key, draw(_values))
    return json.dumps(arch).encode(), params


def test_fuzz_architecture_json_values(tmp_path, seeds):
    @_SETTINGS
    @given(case=_json_mutation(seeds))
    def run(case):
        assert_loads_within_budget(tmp_path, *case, "json")

    before = _TRIED["json"]
    run()
    assert _TRIED["json"] > before  # the mutated folders were really loaded


# -- byte-level mutations -------------------------------------------------------------------

@st.composite
def _byte_mutation(draw, data: bytes):
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        op = draw(st.sampled_from(["flip", "set", "cut", "insert", "truncate"]))
        if op == "flip":
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            out[at] = draw(st.sampled_from([0, 0xFF, ord("["), ord("9"), ord('"'), 0x80]))
        elif op == "cut":
            del out[at:at + draw(st.integers(1, 64))]
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del out[at:]
    return bytes(out)


@st.composite
def _arch_bytes_case(draw, seeds):
    arch, params = seeds[draw(st.integers(0, len(seeds) - 1))]
    return draw(_byte_mutation(arch)), params


@st.composite
def _npz_bytes_case(draw, seeds):
    arch, params = seeds[draw(st.integers(0, len(seeds) - 1))]
    return arch, draw(_byte_mutation(params))


def test_fuzz_architecture_bytes(tmp_path, seeds):
    @_SETTINGS
    @given(case=_arch_bytes_case(seeds))
    def run(case):
        assert_loads_within_budget(tmp_path, *case, "arch-bytes")

    before = _TRIED["arch-bytes"]
    run()
    assert _TRIED["arch-bytes"] > before  # the mutated folders were really loaded


def test_fuzz_parameter_file_bytes(tmp_path, seeds):
    @_SETTINGS
    @given(case=_npz_bytes_case(seeds))
    def run(case):
        assert_loads_within_budget(tmp_path, *case, "npz-bytes")

    before = _TRIED["npz-bytes"]
    run()
    assert _TRIED["npz-bytes"] > before  # the mutated folders were really loaded
    print("model-folder fuzz inputs tried:", _TRIED)
