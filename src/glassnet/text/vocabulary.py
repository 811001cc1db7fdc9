"""A character vocabulary built from a text (Course 5 week 1, "Language model and sequence
generation" and the Dinosaurus Island assignment).

The characters are the text's unique characters in sorted (code point) order, so the same
text always gives the same indices; ``"\\n"`` is the end-of-sequence token (<EOS>) and is
always in the vocabulary, added when the text has none.  Any UTF-8 (any ``str``) text works.
For dinos.txt lowercased: 27 characters, ``"\\n"`` at 0 and ``a..z`` at 1..26, as the notebook's
``char_to_ix`` / ``ix_to_char``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

EOS = "\n"


class Vocabulary:
    """``char_to_ix`` {character: index} and ``ix_to_char`` {index: character}."""

    def __init__(self, chars: Iterable[str]) -> None:
        chars = list(chars)
        for c in chars:
            if not isinstance(c, str) or len(c) != 1:
                raise ValueError(f"Vocabulary: each entry must be one character, got {c!r}")
        if len(set(chars)) != len(chars):
            raise ValueError("Vocabulary: the characters must be unique")
        if EOS not in chars:
            raise ValueError("Vocabulary: the end-of-sequence character '\\n' is missing")
        self.chars: list[str] = chars
        self.char_to_ix: dict[str, int] = {c: i for i, c in enumerate(chars)}
        self.ix_to_char: dict[int, str] = dict(enumerate(chars))

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        """The sorted unique characters of ``text``, plus ``"\\n"`` if it has none."""
        if not isinstance(text, str):
            raise TypeError(f"Vocabulary.from_text needs a str, got {type(text).__name__}")
        return cls(sorted(set(text) | {EOS}))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: object) -> bool:
        return char in self.char_to_ix

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.chars == other.chars

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} characters)"

    @property
    def eos_index(self) -> int:
        """The index of ``"\\n"``."""
        return self.char_to_ix[EOS]

    def encode(self, text: str) -> list[int]:
        """The indices of ``text``'s characters; a character outside the vocabulary is an error."""
        out = []
        for pos, c in enumerate(text):
            ix = self.char_to_ix.get(c)
            if ix is None:
                raise KeyError(f"character {c!r} (U+{ord(c):04X}) at position {pos} is not in "
                               f"the vocabulary of {len(self)} characters")
            out.append(ix)
        return out

    def decode(self, indices: Iterable[int]) -> str:
        """The characters of ``indices`` joined into a string."""
        out = []
        for ix in indices:
            c = self.ix_to_char.get(int(ix))
            if c is None:
                raise KeyError(f"index {ix} is outside the vocabulary (0..{len(self) - 1})")
            out.append(c)
        return "".join(out)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description: ``{"chars": [...]}`` (the characters in index order)."""
        return {"chars": list(self.chars)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Vocabulary:
        """The vocabulary :meth:`to_dict` described."""
        if "chars" not in d:
            raise ValueError("Vocabulary.from_dict: the dict has no 'chars'")
        return cls(d["chars"])
