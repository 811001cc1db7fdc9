"""The Dinosaurus Island training loop (Course 5 week 1, assignment 2, "Building the language
model"), reproducing the notebook: the functions are in :mod:`glassnet.text.dinosaurus`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from glassnet.text.dinosaurus import (
    get_initial_loss,
    initialize_parameters,
    optimize,
    sample,
    smooth,
)


def examples_of(data: str | Sequence[str]) -> list[str]:
    """The stripped lines of ``data`` (a text, split as ``readlines`` would, or its lines)."""
    if isinstance(data, str):
        lines = data.split("\n")
        if data.endswith("\n"):
            lines.pop()
    else:
        lines = list(data)
    return [x.strip() for x in lines]


def get_sample(sample_ix: Sequence[int], ix_to_char: Mapping[int, str]) -> str:
    """The sampled characters, the first capitalised."""
    txt = "".join(ix_to_char[ix] for ix in sample_ix)
    return txt[0].upper() + txt[1:]


def model(data: str | Sequence[str], ix_to_char: Mapping[int, str], char_to_ix: Mapping[str, int],
          num_iterations: int = 35000, n_a: int = 50, dino_names: int = 7, vocab_size: int = 27,
          verbose: bool = False) -> dict:
    """Trains the character RNN one name at a time and returns its parameters.

    ``initialize_parameters(n_a, vocab_size, vocab_size)`` (seed 1); the examples are the
    stripped lines shuffled with ``np.random.seed(0)``; iteration j trains on example
    j % len(examples) with X = [None] + indices, Y = X[1:] + [index of "\\n"], carrying the
    hidden state from one example to the next; the loss starts at -log(1/27) * 7 and is
    smoothed 0.999 / 0.001.  Every 2000 iterations it prints ``Iteration: N, Loss: L`` and
    ``dino_names`` names sampled with seeds 0, 1, ...  ``verbose`` also prints the
    examples at j = 0, len(examples) - 1 and len(examples), as the notebook's.
    """
    n_x = n_y = vocab_size
    parameters = initialize_parameters(n_a, n_x, n_y)
    loss = get_initial_loss(vocab_size, dino_names)
    examples = examples_of(data)
    np.random.seed(0)
    np.random.shuffle(examples)
    a_prev = np.zeros((n_a, 1))
    newline = char_to_ix["\n"]
    for j in range(num_iterations):
        idx = j % len(examples)
        single_example = examples[idx]
        X = [None] + [char_to_ix[c] for c in single_example]
        Y = X[1:] + [newline]
        if verbose and j in (0, len(examples) - 1, len(examples)):
            print("j = ", j, "idx = ", idx)
            print("single_example =", single_example)
            print(" X = ", X, "\n", "Y =       ", Y, "\n")
        curr_loss, gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.01)
        loss = smooth(loss, curr_loss)
        if j % 2000 == 0:
            print(f"Iteration: {j:d}, Loss: {loss:f}" + "\n")
            seed = 0
            for _ in range(dino_names):
                sampled_indices = sample(parameters, char_to_ix, seed)
                print(get_sample(sampled_indices, ix_to_char).replace("\n", ""))
                seed += 1
            print("\n")
    return parameters
