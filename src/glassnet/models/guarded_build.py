"""Building a model from an architecture file without trusting the sizes it declares.

``architecture.json`` says "Dense(10**6) after an input of 10**6": building that would
allocate terabytes (or, for a merely large layer, gigabytes) before ``parameters.npz`` is
even opened.  :func:`build_guarded` builds the model with every allocation of the build
watched *before* it happens:

* the weights' random draws go through a :class:`numpy.random.Generator` whose
  ``standard_normal`` checks the size asked for and gives zeros (the values are replaced
  by the file's anyway; the stream, and so what ``Dropout`` spawns from it, is the one
  ``Sequential.build`` would use); weights initialized as ``"zeros"`` (made with
  ``numpy.zeros``, not drawn) are drawn that way too while the build runs;
* ``zeros`` / ``ones`` / ``empty`` / ``full`` / ``asarray`` of the array namespace
  (biases, batch-norm statistics, the cast of each weight) are checked the same way, for
  this thread only, while the build runs.

Each request, added to the arrays the build has kept so far, is checked against two
limits: the memory budget (:func:`glassnet.core.limits.check_size`) and the number of
values the parameter file declares (its directory, read first; a margin of twice that,
plus ``SLACK_VALUES``, so that no honest build is refused): a build that asks for more is
refused, naming the layer, before the allocation.  Only then are the built shapes
compared with the file's, name by name.
"""

from __future__ import annotations

import threading
import types
from pathlib import Path
from typing import Any

import numpy

from glassnet.core import backend
from glassnet.core.errors import GlassnetError, MemoryBudgetError, ModelFileError
from glassnet.core.limits import check_size
from glassnet.layers.base import walk
from glassnet.models.architecture_check import one_line

#: values a build may ask for beyond twice the file's (small models, rounding)
SLACK_VALUES = 2**16


class _Watch:
    """The values the build has allocated so far (``kept``: the model's arrays), and the
    two limits every new request is checked against."""

    def __init__(self, arch_path: Path, params_path: Path, file_values: int) -> None:
        self.arch_path, self.params_path = arch_path, params_path
        self.limit = 2 * file_values + SLACK_VALUES
        self.file_values = file_values
        self.values = 0
        self.nbytes = 0
        self.layer = "the model"
        self.thread = threading.get_ident()

    def ask(self, shape: Any, itemsize: int, kept: bool) -> None:
        """Refuse (before it is made) an array of ``shape`` that takes the build past the
        parameter file's values or the memory budget; ``kept``: it stays (a parameter),
        else it is a temporary (a weight's draw, freed once cast)."""
        if threading.get_ident() != self.thread:
            return
        try:
            dims = (int(shape),) if numpy.ndim(shape) == 0 else tuple(int(d) for d in shape)
        except (TypeError, ValueError):
            return  # not a shape: the call itself will say so
        count = 1
        for d in dims:
            count *= max(d, 0)
        values, nbytes = self.values + count, self.nbytes + count * itemsize
        if values > self.limit:
            raise ModelFileError(
                f"{self.arch_path}: {self.layer} needs more parameters than "
                f"{self.params_path.name} holds ({values:,} values asked, the file has "
                f"{self.file_values:,}): refused before allocating")
        check_size(nbytes, f"{self.arch_path}: building {self.layer}")
        if kept:
            self.values, self.nbytes = values, nbytes


class _WatchedGenerator(numpy.random.Generator):
    """``default_rng(0)`` whose normal draws are sized first and given as zeros."""

    watch: _Watch

    def standard_normal(self, size: Any = None, dtype: Any = numpy.float64,
                        out: Any = None) -> Any:
        if size is None:
            return 0.0
        self.watch.ask(size, numpy.dtype(dtype).itemsize, kept=False)
        return numpy.zeros(size, dtype=dtype)

    def spawn(self, n_children: int) -> list[numpy.random.Generator]:
        return [numpy.random.Generator(g) for g in self.bit_generator.spawn(n_children)]


class _WatchedNamespace(types.ModuleType):
    """The array namespace in force, with its allocating functions sized first."""

    def __init__(self, xp: types.ModuleType, watch: _Watch) -> None:
        super().__init__(getattr(xp, "__name__", "xp"))
        self._xp, self._watch = xp, watch

    def __getattr__(self, name: str) -> Any:
        return getattr(self._xp, name)

    def _sized(self, shape: Any, dtype: Any) -> None:
        try:
            itemsize = numpy.dtype(dtype if dtype is not None else numpy.float64).itemsize
        except TypeError:
            itemsize = 8
        self._watch.ask(shape, itemsize, kept=True)

    def zeros(self, shape: Any, dtype: Any = None, **kw: Any) -> Any:
        self._sized(shape, dtype)
        return self._xp.zeros(shape, dtype=dtype, **kw)

    def ones(self, shape: Any, dtype: Any = None, **kw: Any) -> Any:
        self._sized(shape, dtype)
        return self._xp.ones(shape, dtype=dtype, **kw)

    def empty(self, shape: Any, dtype: Any = None, **kw: Any) -> Any:
        self._sized(shape, dtype)
        return self._xp.empty(shape, dtype=dtype, **kw)

    def full(self, shape: Any, fill_value: Any, dtype: Any = None, **kw: Any) -> Any:
        self._sized(shape, dtype)
        return self._xp.full(shape, fill_value, dtype=dtype, **kw)

    def asarray(self, a: Any, dtype: Any = None, **kw: Any) -> Any:
        shape = getattr(a, "shape", None)
        if shape is not None and (dtype is not None or not isinstance(a, self._xp.ndarray)):
            self._sized(shape, dtype)
        return self._xp.asarray(a, dtype=dtype, **kw)


def _watched_build(layer: Any, generator: _WatchedGenerator, watch: _Watch, index: int) -> Any:
    original = layer.build

    def build(input_shape: tuple[int, ...], rng: Any, dtype: Any) -> tuple[int, ...]:
        watch.layer = f"layer {index + 1} ({layer.describe()})"
        return original(input_shape, generator, dtype)

    return build


def build_guarded(config: dict, arch_path: Path, params_path: Path, file_values: int) -> Any:
    """The :class:`~glassnet.models.sequential.Sequential` of the checked ``config``, built
    (seed 0) with every allocation sized first (see the module's docstring).

    ``file_values``: the number of values the parameter file's members declare.
    """
    from glassnet.models.sequential import Sequential

    def invalid(exc: BaseException) -> ModelFileError:
        reason = one_line(str(exc)) or type(exc).__name__
        return ModelFileError(f"{arch_path}: invalid architecture ({reason})")

    try:
        model = Sequential.from_config(config, build=False)
    except GlassnetError as exc:
        raise invalid(exc) from None
    except Exception as exc:  # a constructor's own refusal of a setting
        raise invalid(exc) from None
    watch = _Watch(arch_path, params_path, file_values)
    generator = _WatchedGenerator(numpy.random.PCG64(0))
    generator.watch = watch
    saved_xp = backend.get_xp()
    for i, layer in enumerate(model.layers):
        layer.build = _watched_build(layer, generator, watch, i)
    # "zeros" weights are made with numpy.zeros, not drawn: draw them (sized, as zeros) too
    zeros = [(sub, attr) for layer in model.layers for sub in walk(layer)
             for attr in ("init", "recurrent_init")
             if str(getattr(sub, attr, "")).lower() == "zeros"]
    for sub, attr in zeros:
        setattr(sub, attr, "random")
    backend.set_namespace(_WatchedNamespace(saved_xp, watch))
    try:
        model.build(tuple(config["input_shape"]), seed=0, dtype=config.get("dtype", "float32"))
    except (ModelFileError, MemoryBudgetError):
        raise
    except MemoryError:
        raise MemoryBudgetError(f"{arch_path}: building {watch.layer} ran out of memory") from None
    except Exception as exc:  # a layer refusing its input shape, an impossible geometry
        raise invalid(exc) from None
    finally:
        backend.set_namespace(saved_xp)
        for layer in model.layers:
            layer.__dict__.pop("build", None)
        for sub, attr in zeros:
            setattr(sub, attr, "zeros")
    return model
