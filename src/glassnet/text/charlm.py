"""Character-level language models (the notes' "Language Modelling"): the network and
the vocabulary it was trained with.

The network reads one-hot characters x<t> (V, m, T) and gives at every step
y_hat<t> = softmax(W_y a[L]<t> + b_y) (V, m, T), the probabilities of the next
character; a[l]<t> comes from stacked recurrent layers (RNN, GRU or LSTM, all states
returned), with inverted dropout between them when asked::

    x<t> -> LSTM(n_a) -> [Dropout] -> LSTM(n_a) -> ... -> TimeDistributed(Dense(V, softmax))

The loss is the cross-entropy summed over the time steps and averaged over the m
windows, J = -1/m sum_i sum_t log y_hat<t>_(y<t>); per character it is J / T nats
(J / (T ln 2) bits; perplexity e^(J / T)).

The vocabulary (:class:`glassnet.text.vocabulary.Vocabulary`) is stored in the model's
metadata (``model.metadata["vocabulary"]``), so a saved model folder is all that
sampling and evaluation need.  :func:`char_layers` gives the layers;
:func:`glassnet.project.text_run.char_model` builds the model of them.
"""

from __future__ import annotations

import math
from typing import Any

CHAR_MODELS = ("char_rnn", "char_gru", "char_lstm")


def is_char_model(name: Any) -> bool:
    """True for the names of the character language models (``char_lstm``, ...)."""
    return isinstance(name, str) and name in CHAR_MODELS


def char_layers(kind: str, vocab_size: int, units: int = 128, num_layers: int = 1,
                dropout: float = 0.0) -> list:
    """The layers of a ``char_rnn`` / ``char_gru`` / ``char_lstm`` network."""
    from glassnet.layers import Dense, Dropout
    from glassnet.layers.recurrent import GRU, LSTM, SimpleRNN
    from glassnet.layers.time_distributed import TimeDistributed

    cells = {"char_rnn": SimpleRNN, "char_gru": GRU, "char_lstm": LSTM}
    if kind not in cells:
        raise ValueError(f"unknown character model {kind!r}: expected one of "
                         f"{', '.join(CHAR_MODELS)}")
    if not 0 <= float(dropout) < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    layers: list = []
    for layer in range(int(num_layers)):
        if layer and dropout:
            layers.append(Dropout(keep_prob=1 - float(dropout)))
        layers.append(cells[kind](int(units), return_sequences=True))
    if dropout:
        layers.append(Dropout(keep_prob=1 - float(dropout)))
    layers.append(TimeDistributed(Dense(int(vocab_size), "softmax")))
    return layers


# -- the vocabulary, through its dict form -------------------------------------------------
def vocabulary_of(model: Any) -> Any:
    """The :class:`Vocabulary` a character model was trained with (from its metadata)."""
    from glassnet.text.vocabulary import Vocabulary

    saved = (getattr(model, "metadata", None) or {}).get("vocabulary")
    if not saved or not is_char_model((model.metadata or {}).get("text_model")):
        raise ValueError(f"{getattr(model, 'name', 'the model')} is not a character language "
                         "model (no vocabulary in its metadata; train one with --model "
                         "char_lstm)")
    return Vocabulary.from_dict(saved)


def vocab_size(vocabulary: Any) -> int:
    return len(vocabulary.char_to_ix)


def encode(vocabulary: Any, text: str, what: str = "the text") -> list[int]:
    """Indices of ``text``'s characters; a ValueError naming those outside the vocabulary."""
    table = vocabulary.char_to_ix
    unknown = sorted({c for c in text if c not in table})
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise ValueError(f"{what} has characters outside the model's vocabulary: {shown}{more}")
    return [int(table[c]) for c in text]


def decode(vocabulary: Any, ids: Any) -> str:
    return "".join(vocabulary.ix_to_char[int(i)] for i in ids)


def per_character(cost: float, seq_length: int) -> dict[str, float]:
    """The window cost J (nats summed over T steps) per character: nats, bits, perplexity."""
    nats = float(cost) / int(seq_length)
    return {"nats_per_char": nats, "bits_per_char": nats / math.log(2),
            "perplexity": math.exp(min(nats, 700.0))}
