"""The data layouts of the course (DESIGN.md), each with its batch axis.

A layer declares the layout it takes and the one it gives (``Layer.input_layout``,
``Layer.output_layout``); a model, the trainer's mini-batches, prediction, evaluation and
the input pipeline read the examples' axis from that declaration, never from an array's
rank::

    name         array                          batch axis   class/feature axis
    dense        (n, m)                         1            0
    image        (m, n_H, n_W, n_C)             0            -1 (channels)
    sequence     (n_x, m, T_x)                  1            0
    tokens       (m, T)      (indices)          0            -
    transformer  (m, T, d_model)                0            -1

``image`` is examples-first, channels-last with any number of spatial axes: the 1-D
signals (m, L, n_C) of Conv1D and the volumes (m, D, H, W, n_C) of Conv3D are images too.
The shape of *one example* is the array's shape without the batch axis: ``(n,)``,
``(n_H, n_W, n_C)``, ``(n_x, T_x)``.  Labels follow the layout of the model's output:
``(n_y, m)`` for a dense output, ``(n_y, m, T_y)`` for a sequence, ``(m, H, W)`` or
``(m, H, W, C)`` per pixel, so their batch axis is the output layout's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glassnet.core.backend import get_xp
from glassnet.core.errors import ShapeError

#: a layer that takes whatever layout it is given and gives the same (activation,
#: dropout, batch norm)
ANY = "any"


@dataclass(frozen=True)
class Layout:
    """How examples lie in an array: which axis is m, which holds the classes/features."""

    name: str
    #: the axis of the m examples in the whole array
    batch_axis: int
    #: the class / feature / channel axis (softmax, batch norm); None for index arrays
    class_axis: int | None
    #: the axes' names in the notes, for messages ("n", "m") ...; None after the batch axis
    #: means "any number of spatial axes" (images)
    axes: tuple[str, ...]
    #: the number of axes of one example; None: any (images: spatial axes + channels)
    example_rank: int | None

    def describe(self, example_shape: tuple[int, ...] | None = None) -> str:
        """``"(n, m)"``, or with sizes ``"(4, m)"``: the array this layout expects."""
        if example_shape is None:
            return f"({', '.join(self.axes)})"
        return "(" + ", ".join(map(str, self.full_shape(example_shape, "m"))) + ")"

    def full_shape(self, example_shape: tuple[int, ...], m: Any) -> tuple[Any, ...]:
        """One example's shape with the batch axis (of size ``m``) put back."""
        shape: list[Any] = list(example_shape)
        shape.insert(self.batch_axis, m)
        return tuple(shape)

    def example_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """An array's shape without its batch axis."""
        shape = tuple(int(d) for d in shape)
        return shape[: self.batch_axis] + shape[self.batch_axis + 1 :]

    def n_examples(self, X: Any) -> int:
        """m: the size of the batch axis."""
        return int(X.shape[self.batch_axis])

    def check_example_rank(self, example_shape: tuple[int, ...], who: str) -> None:
        """Raise ShapeError unless one example of this layout can have ``example_shape``."""
        rank = len(example_shape)
        ok = rank == self.example_rank if self.example_rank is not None else rank >= 2
        if not ok:
            raise ShapeError(f"{who}: takes {self.name} input {self.describe()}, "
                             f"got examples of shape {tuple(example_shape)}")

    def slice(self, X: Any, start: int, stop: int) -> Any:
        """Examples start..stop-1 of X (a view)."""
        return X[(slice(None),) * self.batch_axis + (slice(start, stop),)]


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout("dense", 1, 0, ("n", "m"), 1),
        Layout("image", 0, -1, ("m", "n_H", "n_W", "n_C"), None),
        Layout("sequence", 1, 0, ("n_x", "m", "T_x"), 2),
        Layout("tokens", 0, None, ("m", "T"), 1),
        Layout("transformer", 0, -1, ("m", "T", "d_model"), 2),
    )
}


def get_layout(name: str | Layout) -> Layout:
    """The layout called ``name`` (``"dense"``, ``"image"``, ``"sequence"``, ...)."""
    if isinstance(name, Layout):
        return name
    try:
        return LAYOUTS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown layout {name!r}: expected one of {', '.join(LAYOUTS)}") from None


def examples_first(X: Any, batch_axis: int) -> Any:
    """X with its examples on axis 0, contiguous: a mini-batch is then a gather of rows."""
    if batch_axis == 0:
        return X
    xp = get_xp()
    return xp.ascontiguousarray(xp.moveaxis(X, batch_axis, 0))


def examples_back(rows: Any, batch_axis: int) -> Any:
    """Undo :func:`examples_first` on a gather of its rows (a view, no copy)."""
    if batch_axis == 0:
        return rows
    if rows.ndim == 2 and batch_axis == 1:
        return rows.T
    return get_xp().moveaxis(rows, 0, batch_axis)
