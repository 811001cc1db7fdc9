"""Course 5 week 1, "Character level language model - Dinosaurus Island": clip, sample,
optimize and the model reproduce the notebook; the character vocabulary."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import glassnet.course as course
from glassnet.data.datasets import shared_data_path
from glassnet.gradcheck import numerical_gradient, relative_difference
from glassnet.text.dinosaurus import GRADIENTS, rnn_forward
from glassnet.text.vocabulary import Vocabulary

ITERATION_0_NAMES = ["Nkzxwtdmfqoeyhsqwasjkjvu", "Kneb", "Kzxwtdmfqoeyhsqwasjkjvu", "Neb",
                     "Zxwtdmfqoeyhsqwasjkjvu", "Eb", "Xwtdmfqoeyhsqwasjkjvu"]
PUBLISHED_LOSSES = {0: 23.087336, 2000: 27.884160, 4000: 25.901815}


# -- the vocabulary ------------------------------------------------------------------------
def test_vocabulary_of_a_text_round_trip():
    v = Vocabulary.from_text("héllo wörld\nçà")
    assert v.chars == sorted(set("héllo wörld\nçà"))
    assert v.decode(v.encode("wörld\n")) == "wörld\n"
    assert all(v.ix_to_char[v.char_to_ix[c]] == c for c in v.chars)
    again = Vocabulary.from_dict(json.loads(json.dumps(v.to_dict())))
    assert again == v and again.char_to_ix == v.char_to_ix


def test_vocabulary_newline_is_the_end_of_sequence():
    v = Vocabulary.from_text("abc")  # no "\n" in the text: added
    assert len(v) == 4 and v.eos_index == 0 and "\n" in v
    dinos = Vocabulary.from_text("aardonyx\nzuul\n" + "bcdefghijklmnopqrstvwy")
    assert dinos.char_to_ix["\n"] == 0 and dinos.char_to_ix["a"] == 1
    assert dinos.ix_to_char[26] == "z"
    with pytest.raises(ValueError, match="end-of-sequence"):
        Vocabulary(["a", "b"])


def test_vocabulary_unknown_character_is_named():
    v = Vocabulary.from_text("abc\n")
    with pytest.raises(KeyError, match=r"'z'.*position 2"):
        v.encode("abz")
    with pytest.raises(KeyError, match="outside"):
        v.decode([0, 9])


# -- clip, sample, optimize ----------------------------------------------------------------
def _gradients(scale=10.0):
    np.random.seed(3)
    return {"dWax": np.random.randn(5, 3) * scale, "dWaa": np.random.randn(5, 5) * scale,
            "dWya": np.random.randn(2, 5) * scale, "db": np.random.randn(5, 1) * scale,
            "dby": np.random.randn(2, 1) * scale}


def test_clip_values_and_no_aliasing():
    g = _gradients()
    before = {k: a.copy() for k, a in g.items()}
    out = course.clip(g, 10)
    for k in GRADIENTS:
        np.testing.assert_array_equal(out[k], np.clip(before[k], -10, 10))
        np.testing.assert_array_equal(g[k], before[k])  # the input is left as it was
        assert not np.shares_memory(out[k], g[k])
    assert out["dWaa"].max() == 10 and out["dWaa"].min() == -10


def _parameters(n_a=10, vocab=27, scale=1.0, seed=2):
    rng = np.random.default_rng(seed)
    return {"Wax": rng.standard_normal((n_a, vocab)) * scale,
            "Waa": rng.standard_normal((n_a, n_a)) * scale,
            "Wya": rng.standard_normal((vocab, n_a)) * scale,
            "b": rng.standard_normal((n_a, 1)) * scale,
            "by": rng.standard_normal((vocab, 1)) * scale}


def test_sample_stops_at_newline_or_50_and_is_seeded():
    v = Vocabulary.from_text("".join(chr(ord("a") + i) for i in range(26)))
    p = _parameters()
    for seed in range(5):
        ix = course.sample(p, v.char_to_ix, seed)
        assert ix == course.sample(p, v.char_to_ix, seed)
        assert ix[-1] == v.eos_index and v.eos_index not in ix[:-1] and len(ix) <= 51
    # never "\n": 50 characters, then "\n" appended
    p["by"][v.eos_index] = -1e3
    ix = course.sample(p, v.char_to_ix, 0)
    assert len(ix) == 51 and ix[-1] == v.eos_index and v.eos_index not in ix[:-1]
    # "\n" certain: one character
    p["by"][v.eos_index] = 1e3
    assert course.sample(p, v.char_to_ix, 7) == [v.eos_index]


def test_optimize_gradients_match_numerical_float64():
    p = _parameters(n_a=6, vocab=8, scale=0.5)
    X = [None, 3, 1, 4, 1, 5]
    Y = X[1:] + [0]
    a0 = np.random.default_rng(5).standard_normal((6, 1)) * 0.5
    start = {k: a.copy() for k, a in p.items()}
    loss, grads, a_last = course.optimize(X, Y, a0, p, learning_rate=0.01)
    assert loss == pytest.approx(rnn_forward(X, Y, a0, start)[0])
    assert a_last.shape == (6, 1)
    for name in ("Wax", "Waa", "Wya", "b", "by"):
        g = grads["d" + name]
        assert np.abs(g).max() < 5  # below the clip: the gradients are the true ones
        params = {k: a.copy() for k, a in start.items()}

        def cost(x, name=name, params=params):
            return rnn_forward(X, Y, a0, {**params, name: x})[0]

        approx = numerical_gradient(cost, params[name])
        assert relative_difference(g, approx) < 1e-7, name
        np.testing.assert_allclose(p[name], start[name] - 0.01 * g, rtol=0, atol=1e-15)


# -- the model -----------------------------------------------------------------------------
def _dinos():
    path = shared_data_path("dinos.txt")
    if path is None:
        pytest.skip("shared data 'dinos.txt' not available")
    data = path.read_text(encoding="utf-8").lower()
    return data, Vocabulary.from_text(data)


def _printouts(text):
    """{iteration: (loss, names)} from the model's printout."""
    out = {}
    blocks = re.split(r"Iteration: (\d+), Loss: ([0-9.]+)\n", text)[1:]
    for j, loss, body in zip(blocks[0::3], blocks[1::3], blocks[2::3], strict=True):
        out[int(j)] = (float(loss), [n for n in body.split("\n") if n])
    return out


def test_dinosaurus_model_published_values(capsys):
    data, v = _dinos()
    assert len(data) == 19909 and len(v) == 27
    params = course.dinosaurus_model(data, v.ix_to_char, v.char_to_ix, num_iterations=4001)
    assert set(params) == {"Wax", "Waa", "Wya", "b", "by"}
    printed = _printouts(capsys.readouterr().out)
    assert sorted(printed) == [0, 2000, 4000]
    for j, loss in PUBLISHED_LOSSES.items():
        assert printed[j][0] == pytest.approx(loss, abs=1e-6), j
    assert printed[0][1] == ITERATION_0_NAMES
    for _, names in printed.values():
        assert len(names) == 7 and all(n[0].isupper() for n in names)


@pytest.mark.slow
def test_dinosaurus_model_to_12000(capsys):
    data, v = _dinos()
    course.dinosaurus_model(data, v.ix_to_char, v.char_to_ix, num_iterations=12001)
    printed = _printouts(capsys.readouterr().out)
    for j, loss in PUBLISHED_LOSSES.items():
        assert printed[j][0] == pytest.approx(loss, abs=1e-6), j
    later = [printed[j][0] for j in (6000, 8000, 10000, 12000)]
    assert all(np.isfinite(later)) and later[-1] < later[0] < PUBLISHED_LOSSES[4000]
    assert all(b < a + 0.5 for a, b in zip(later[:-1], later[1:], strict=True))
