"""Composition: how layers make a model or a block (one mechanism for both).

A composite (a :class:`~glassnet.models.sequential.Sequential` model, a residual block,
an inception module, ...) holds *parts* and exposes their arrays under its own names.
One walk, :class:`Naming`, gives every array of every part its composite name::

    part's array    model (the layer's index l)    block (the part's suffix)
    W, b            W1, b1, W2, ...                W_a, b_a, W_s, ...
    gamma, beta     gamma1 (after W1's layer)      gamma_a (after W_a's conv)
    running_mean    running_mean1 (state)          running_mean_a (state)

and the composite's ``params`` / ``grads`` / ``state`` are *views* on the parts' own
dicts (:class:`ArrayView`, :class:`GradView`): nothing is copied or re-synced.  Reading
``block.params["W_a"]`` reads the convolution's ``params["W"]``; writing it (``astype``,
``set_parameters``, a test putting in a new array) writes the convolution's dict; a
model's view over a block reads through the block's view.  A frozen part (``trainable =
False``) shows no gradients.

:class:`Shared` applies one part several times in a forward pass and sums its gradients
over the applications (siamese encoders, a recurrent cell over the time steps);
:func:`build_chain`, :func:`forward_chain` and :func:`backward_chain` run parts in order.
How U-Net skips, siamese networks, encoder-decoders and cells use these is written in
:mod:`glassnet.layers.blocks.base`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from typing import Any, NamedTuple

from glassnet.layers.base import Layer, walk


class Entry(NamedTuple):
    """One array of a part: the part, the part's name for it, the composite's name."""

    layer: Layer
    own: str
    name: str


def index_join(own: str, tag: str) -> str:
    """A model's name: the layer's name and its index l (``W`` + ``1`` = ``W1``)."""
    return f"{own}{tag}"


def suffix_join(own: str, tag: str) -> str:
    """A block's name: the part's name and the part's suffix (``W`` + ``a`` = ``W_a``); an
    empty suffix keeps the part's own name (a wrapper of one layer)."""
    return f"{own}_{tag}" if tag else own


def indexed(layers: Sequence[Layer]) -> list[tuple[Layer, str]]:
    """(layer, l) for a model: l counts the layers that own an index and have parameters; a
    layer that does not own one (batch norm) takes the index of the weight layer before it."""
    out, l = [], 0
    for layer in layers:
        if layer.owns_index and layer.params:
            l += 1
        out.append((layer, str(max(l, 1))))
    return out


class Naming:
    """The one walk: every array of ``parts`` (``(layer, tag)`` pairs) named ``join(own, tag)``.

    ``params`` and ``state`` list the :class:`Entry` of every array in build order;
    :meth:`views` gives the composite's ``(params, grads, state)`` mappings.
    """

    def __init__(self, parts: Iterable[tuple[Layer, str]], join: Callable[[str, str], str],
                 owner: str = "model") -> None:
        self.params: list[Entry] = []
        self.state: list[Entry] = []
        for layer, tag in parts:
            self.params += [Entry(layer, k, join(k, tag)) for k in layer.params]
            self.state += [Entry(layer, k, join(k, tag)) for k in (layer.state or {})]
        for entries in (self.params, self.state):
            names = [e.name for e in entries]
            if len(set(names)) != len(names):
                dup = sorted({n for n in names if names.count(n) > 1})
                raise ValueError(f"{owner}: two parts define the array names {dup}")

    def views(self) -> tuple[ArrayView, GradView, ArrayView]:
        return ArrayView(self.params, "params"), GradView(self.params), ArrayView(self.state,
                                                                                  "state")


class ArrayView(MutableMapping):
    """The composite's arrays by name, read from and written to the parts' own dicts.

    ``items()``, ``values()`` and ``get()`` read the parts directly (an optimizer walks
    them at every step): they are lists and lookups, not the generic Mapping machinery.
    """

    def __init__(self, entries: Iterable[Entry], store: str) -> None:
        self._at = {e.name: (e.layer, e.own) for e in entries}
        self._store = store

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        store = self._store
        return [(name, getattr(layer, store)[own]) for name, (layer, own) in self._at.items()]

    def values(self) -> list[Any]:  # type: ignore[override]
        store = self._store
        return [getattr(layer, store)[own] for layer, own in self._at.values()]

    def get(self, name: str, default: Any = None) -> Any:
        at = self._at.get(name)
        return default if at is None else getattr(at[0], self._store)[at[1]]

    def __getitem__(self, name: str) -> Any:
        layer, own = self._at[name]
        return getattr(layer, self._store)[own]

    def __setitem__(self, name: str, value: Any) -> None:
        if name not in self._at:
            raise KeyError(f"no {self._store} array named {name!r}")
        layer, own = self._at[name]
        getattr(layer, self._store)[own] = value

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"{self._store} arrays cannot be removed ({name!r})")

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)

    def __contains__(self, name: object) -> bool:
        return name in self._at

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self._at)})"


class GradView(MutableMapping):
    """``{"d" + name: gradient}`` of the parts' arrays that have one (frozen parts: none)."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self._at = {"d" + e.name: (e.layer, "d" + e.own) for e in entries}

    def _get(self, key: str) -> Any:
        layer, own = self._at[key]
        return layer.grads.get(own) if layer.trainable else None

    def get(self, key: str, default: Any = None) -> Any:
        at = self._at.get(key)
        g = at[0].grads.get(at[1]) if at is not None and at[0].trainable else None
        return default if g is None else g

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        out = []
        for key, (layer, own) in self._at.items():
            g = layer.grads.get(own) if layer.trainable else None
            if g is not None:
                out.append((key, g))
        return out

    def values(self) -> list[Any]:  # type: ignore[override]
        return [g for _, g in self.items()]

    def __getitem__(self, key: str) -> Any:
        g = self._get(key) if key in self._at else None
        if g is None:
            raise KeyError(key)
        return g

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self._at:
            raise KeyError(f"no gradient named {key!r}")
        layer, own = self._at[key]
        layer.grads[own] = value

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018 - KeyError when there is none
        layer, own = self._at[key]
        del layer.grads[own]

    def __iter__(self) -> Iterator[str]:
        return (k for k in self._at if self._get(k) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        """Drop every part's gradient (frozen parts' too)."""
        for layer, own in self._at.values():
            layer.grads.pop(own, None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)})"


# -- running parts in order ---------------------------------------------------------------
def build_chain(layers: Sequence[Layer], shape: tuple[int, ...], layout: str, rng: Any,
                dtype: Any) -> tuple[tuple[int, ...], str]:
    """connect() and build() each layer in turn: (output shape, output layout)."""
    for layer in layers:
        layout = layer.connect(layout)
        shape = layer.build(shape, rng, dtype)
    return shape, layout


def forward_chain(layers: Sequence[Layer], A: Any, training: bool) -> Any:
    for layer in layers:
        A = layer.forward(A, training)
    return A


def backward_chain(layers: Sequence[Layer], dA: Any) -> Any:
    for layer in reversed(layers):
        dA = layer.backward(dA)
    return dA


# -- one part applied several times -------------------------------------------------------
class Shared:
    """``layer`` (a layer or a block) applied several times per forward pass, one set of
    weights: its gradients are the sum over the applications, dW = sum_k dW(k).

    ::

        f = Shared(layer)
        f.begin()                                     # each forward pass of the owner
        A1 = f.forward(X1, training); A2 = f.forward(X2, training)
        dX2 = f.backward(dA2, 1); dX1 = f.backward(dA1, 0)   # any order
        # layer.grads: the sums over both applications

    Each application keeps its own caches (of ``layer`` and of every layer inside it), and
    its own kept buffers: a layer that keeps work arrays between calls (a convolution's
    padded input, see its ``work`` property) gets one workspace per application, so the
    second application never writes over what the first one's backward will read.
    """

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self._caches: list[list[Any]] = []
        self._sums: dict[str, Any] = {}
        self._workspaces: dict[tuple[int, int], Any] = {}

    def _use_workspaces(self, k: int) -> None:
        """Give every part with kept buffers the workspace of application ``k``."""
        for j, part in enumerate(walk(self.layer)):
            if not isinstance(getattr(type(part), "work", None), property):
                continue
            work = self._workspaces.get((k, j))
            if work is None:
                work = self._workspaces[(k, j)] = type(part.work)()
            part.__dict__["_work"] = work

    def begin(self) -> None:
        """Start a forward pass: forget the applications and sums of the last one."""
        self._caches = []
        self._sums = {}

    def forward(self, A_prev: Any, training: bool = False) -> Any:
        """Apply the layer once more; returns its A."""
        self._use_workspaces(len(self._caches))
        A = self.layer.forward(A_prev, training)
        self._caches.append([part.cache for part in walk(self.layer)])
        return A

    def backward(self, dA: Any, k: int) -> Any:
        """Backward of application ``k``; the layer's grads become the sums so far."""
        for part, cache in zip(walk(self.layer), self._caches[k], strict=True):
            part.cache = cache
        self._use_workspaces(k)
        dA_prev = self.layer.backward(dA)
        grads = self.layer.grads
        for name in list(grads):
            g = grads[name]
            total = self._sums.get(name)
            self._sums[name] = g.copy() if total is None else total + g
            grads[name] = self._sums[name]
        return dA_prev
