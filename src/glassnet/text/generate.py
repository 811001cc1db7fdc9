"""Generating text with a character language model (the notes' "Sampling a sequence").

The prime (or, with none, the end-of-sequence character ``"\\n"``) is fed through the
network in one pass (the time-distributed output layer applied to the steps given, whatever
the training windows' length), which leaves the recurrent layers in states a[l]<t> (c[l]<t>);
then one character at a time::

    y_hat<t> = softmax(z<t>)                  the network's next-character distribution
    p = softmax(z<t> / temperature)           = softmax(log y_hat<t> / temperature)
    x<t+1> ~ p                                (numpy Generator seeded by ``seed``)

and x<t+1> (one-hot) goes back in, with the states carried.  A temperature below 1
sharpens the distribution (towards the argmax), above 1 flattens it.

    >>> text = generate(model, vocabulary, prime="The ", length=200, temperature=0.8, seed=0)
"""

from __future__ import annotations

from typing import Any

import numpy

from glassnet.core.backend import to_numpy
from glassnet.layers.dropout import Dropout
from glassnet.layers.recurrent import Recurrent
from glassnet.layers.time_distributed import TimeDistributed
from glassnet.text.charlm import decode, encode, vocab_size

END = "\n"


def _forward(model: Any, X: numpy.ndarray, states: list | None) -> tuple[Any, list]:
    """The network on X (V, 1, T) from the given recurrent states; (A, the new states)."""
    A, new, i = X, [], 0
    for layer in model.layers:
        if isinstance(layer, Recurrent):
            A = layer.forward(A, training=False, initial_state=states[i] if states else None)
            new.append(tuple(layer.last_states))
            i += 1
        elif isinstance(layer, TimeDistributed):  # its inner layer on the n x (m T) columns
            n, m, T = A.shape
            A = layer.layer.forward(A.reshape(n, m * T), False)
            A = A.reshape(A.shape[0], m, T)
        elif not isinstance(layer, Dropout):  # dropout is the identity here
            A = layer.forward(A, training=False)
    return A, new


def next_distribution(probabilities: Any, temperature: float) -> numpy.ndarray:
    """softmax(log p / temperature) in float64 (sums to 1)."""
    p = numpy.asarray(to_numpy(probabilities), dtype=numpy.float64).reshape(-1)
    z = numpy.log(numpy.maximum(p, 1e-300)) / float(temperature)
    z -= z.max()
    q = numpy.exp(z)
    return q / q.sum()


def generate(model: Any, vocabulary: Any, prime: str = "", length: int = 200,
             temperature: float = 1.0, seed: int | None = None,
             stop_at_end: bool = False) -> str:
    """``length`` characters sampled after ``prime`` (the prime itself not included).

    ``stop_at_end``: stop early at the end-of-sequence character ``"\\n"`` (kept).
    ValueError for a prime with characters outside the vocabulary, ``length < 1`` or
    ``temperature <= 0``.
    """
    if not isinstance(length, int | numpy.integer) or int(length) < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    if not float(temperature) > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    V = vocab_size(vocabulary)
    rng = numpy.random.default_rng(seed)
    dtype = model.dtype
    if prime:
        ids = encode(vocabulary, prime, "the prime")
    elif END in vocabulary.char_to_ix:
        ids = [int(vocabulary.char_to_ix[END])]
    else:
        ids = []
    X = numpy.zeros((V, 1, max(1, len(ids))), dtype=dtype)  # no start character: x<1> = 0
    for t, i in enumerate(ids):
        X[i, 0, t] = 1
    A, states = _forward(model, X, None)
    out: list[int] = []
    for _ in range(int(length)):
        p = next_distribution(A[:, 0, -1], temperature)
        idx = int(rng.choice(V, p=p))
        out.append(idx)
        if stop_at_end and vocabulary.ix_to_char[idx] == END:
            break
        x = numpy.zeros((V, 1, 1), dtype=dtype)
        x[idx, 0, 0] = 1
        A, states = _forward(model, x, states)
    return decode(vocabulary, out)
