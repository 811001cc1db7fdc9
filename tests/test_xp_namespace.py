"""The math goes through ``xp`` only: a strict, CuPy-shaped namespace runs it on the CPU.

``StrictXP`` wraps NumPy the way CuPy stands beside it:

* it exposes only names that CuPy also has (``xp.errstate``, ``xp.nditer``,
  ``xp.lib``, ``xp.random.default_rng`` ... raise ``AttributeError``);
* its arrays are ``StrictArray`` (an ``ndarray`` subclass standing for a device
  array); a ufunc or array function that mixes one with a plain NumPy array of
  one or more dimensions raises ``TypeError``, as CuPy refuses host arrays, so a
  ``numpy.zeros`` / ``numpy.random`` array created inside the math is caught the
  moment it meets the model's arrays;
* a NumPy function outside CuPy's namespace called on a ``StrictArray``
  (``numpy.isin(A, ...)`` style, through ``__array_function__``) raises ``TypeError``.

Host data enters through ``xp.asarray`` (CuPy's host-to-device copy), as it must.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from glassnet.core import backend
from glassnet.functions.activations import ACTIVATIONS, get_activation
from glassnet.functions.losses import LOSSES, get_loss
from glassnet.models.builders import deep_network
from glassnet.optim.optimizers import get_optimizer
from glassnet.train.trainer import fit

# Names of the NumPy namespace that CuPy also provides (the ones a layer may reasonably use).
CUPY_NAMES = frozenset(
    """
    ndarray dtype float16 float32 float64 int8 int16 int32 int64 uint8 uint16 uint32 uint64
    bool_ intp complex64 complex128 newaxis pi e inf nan finfo iinfo result_type can_cast
    promote_types issubdtype integer floating number
    array asarray ascontiguousarray asfortranarray asanyarray copy empty empty_like zeros
    zeros_like ones ones_like full full_like arange linspace logspace eye identity tri
    meshgrid indices diag diagflat
    add subtract multiply divide true_divide floor_divide power float_power mod remainder
    fmod negative positive reciprocal sqrt square cbrt exp exp2 expm1 log log2 log10 log1p
    logaddexp abs absolute fabs sign maximum minimum fmax fmin clip where tanh sinh cosh sin
    cos tan arcsin arccos arctan arctan2 arcsinh arccosh arctanh floor ceil trunc rint round
    around hypot heaviside copysign signbit isfinite isnan isinf greater greater_equal less
    less_equal equal not_equal logical_and logical_or logical_xor logical_not bitwise_and
    bitwise_or bitwise_xor invert nan_to_num
    sum mean max min amax amin argmax argmin prod std var cumsum cumprod any all
    count_nonzero nansum nanmean nanmax nanmin average median percentile quantile ptp
    reshape ravel transpose swapaxes moveaxis rollaxis expand_dims squeeze concatenate stack
    vstack hstack dstack column_stack split array_split broadcast_to broadcast_arrays
    atleast_1d atleast_2d atleast_3d tile repeat pad flip fliplr flipud roll rot90 diagonal
    trace einsum matmul dot vdot tensordot outer inner kron cross take take_along_axis put
    put_along_axis choose compress select extract nonzero argwhere flatnonzero copyto
    sort argsort unique partition argpartition searchsorted lexsort isin bincount histogram
    isclose allclose array_equal
    random linalg fft
    """.split()
)
CUPY_RANDOM = frozenset(
    "seed rand randn randint random random_sample uniform normal standard_normal "
    "permutation shuffle choice binomial".split()
)
CUPY_LINALG = frozenset("norm inv solve det svd qr cholesky eigh pinv".split())


class StrictArray(np.ndarray):
    """An array of the strict namespace (stands for a CuPy array)."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        outs = kwargs.get("out", ())
        _refuse_foreign((*inputs, *outs), f"numpy.{ufunc.__name__}")
        args = [_plain(x) for x in inputs]
        if outs:
            kwargs["out"] = tuple(_plain(o) for o in outs)
        result = getattr(ufunc, method)(*args, **kwargs)
        if outs:
            return outs[0] if len(outs) == 1 else outs
        if isinstance(result, tuple):
            return tuple(_wrap(r) for r in result)
        return _wrap(result)

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        name = func.__name__
        module = getattr(func, "__module__", "") or ""
        allowed = CUPY_LINALG if "linalg" in module else CUPY_NAMES
        if name not in allowed:
            raise TypeError(f"numpy.{name} is NumPy-only: CuPy has no such function")
        _refuse_foreign(list(args) + list(kwargs.values()), f"numpy.{name}")
        result = func._implementation(*_plain_tree(args), **_plain_tree(kwargs))
        if isinstance(result, tuple | list):
            return type(result)(_wrap(r) for r in result)
        return _wrap(result)


def _plain(x: Any) -> Any:
    return x.view(np.ndarray) if isinstance(x, StrictArray) else x


def _plain_tree(x: Any) -> Any:
    if isinstance(x, tuple | list):
        return type(x)(_plain_tree(v) for v in x)
    if isinstance(x, dict):
        return {k: _plain_tree(v) for k, v in x.items()}
    return _plain(x)


def _wrap(x: Any) -> Any:
    if type(x) is np.ndarray:
        return x.view(StrictArray)
    return x


def _refuse_foreign(values: Any, where: str) -> None:
    """A plain NumPy array (not 0-d) among a strict array's operands is a host array leak."""
    for v in values:
        if isinstance(v, tuple | list):
            _refuse_foreign(v, where)
        elif type(v) is np.ndarray and v.ndim > 0:
            raise TypeError(
                f"{where}: a NumPy array of shape {v.shape} was mixed with device arrays "
                "(created with numpy.* instead of xp.*?)"
            )


def _wrapping(fn: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        result = fn(*_plain_tree(args), **_plain_tree(kwargs))
        if isinstance(result, tuple | list):
            return type(result)(_wrap(r) for r in result)
        return _wrap(result)

    call.__name__ = getattr(fn, "__name__", "call")
    return call


class _Namespace(types.ModuleType):
    """A module exposing ``allowed`` names of ``source``; functions return StrictArray."""

    def __init__(self, name: str, source: Any, allowed: frozenset[str],
                 subs: dict[str, Any] | None = None) -> None:
        super().__init__(name)
        self._source = source
        self._allowed = allowed
        self._subs = subs or {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._subs:
            return self._subs[name]
        if name not in self._allowed:
            raise AttributeError(f"xp.{name}: NumPy-only (CuPy has no {name!r})")
        value = getattr(self._source, name)
        if isinstance(value, np.ufunc | type | np.dtype) or not callable(value):
            return value  # ufuncs dispatch through StrictArray; dtypes and constants as is
        return _wrapping(value)


def strict_namespace() -> types.ModuleType:
    """The CuPy-shaped namespace over NumPy."""
    random = _Namespace("strict_xp.random", np.random, CUPY_RANDOM)
    linalg = _Namespace("strict_xp.linalg", np.linalg, CUPY_LINALG)
    return _Namespace("strict_xp", np, CUPY_NAMES, {"random": random, "linalg": linalg})


@pytest.fixture
def strict_xp() -> Iterator[types.ModuleType]:
    xp = strict_namespace()
    backend.set_namespace(xp)
    try:
        yield xp
    finally:
        backend.use("numpy")
    assert backend.get_xp() is np


# -- the namespace itself -----------------------------------------------------------------
def test_strict_namespace_refuses_numpy_only_names_and_host_arrays(strict_xp) -> None:
    xp = strict_xp
    A = xp.ones((3, 4), dtype=xp.float32)
    assert isinstance(A, StrictArray) and A.dtype == np.float32
    assert isinstance(A * 2 + xp.exp(A), StrictArray)
    assert isinstance(xp.where(A > 0, A, 0), StrictArray)
    assert isinstance(A.sum(axis=0), StrictArray)
    for name in ("errstate", "nditer", "lib", "frompyfunc", "savez", "asmatrix"):
        with pytest.raises(AttributeError, match="NumPy-only"):
            getattr(xp, name)
    with pytest.raises(AttributeError, match="NumPy-only"):
        xp.random.default_rng  # noqa: B018
    with pytest.raises(TypeError, match="mixed with device arrays"):
        A + np.ones((3, 4), dtype=np.float32)  # a host array created with numpy.*
    with pytest.raises(TypeError, match="mixed with device arrays"):
        np.ones((4, 2), dtype=np.float32).T @ A.T  # in either position
    with pytest.raises(TypeError, match="NumPy-only"):
        np.apply_over_axes(np.sum, A, [0])
    # scalars, 0-d arrays and host data moved in through xp.asarray are fine
    assert isinstance(A * np.float32(2) + np.asarray(1.0, dtype=np.float32), StrictArray)
    assert isinstance(xp.asarray(np.arange(3.0)), StrictArray)


# -- activations and losses ---------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_run_on_the_strict_namespace(strict_xp, name: str) -> None:
    xp = strict_xp
    host = np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32)
    Z = xp.asarray(host)
    act = get_activation(name)
    A = act.forward(Z)
    dZ = act.backward(xp.asarray(host[::-1].copy()), Z, A)
    assert isinstance(A, StrictArray) and isinstance(dZ, StrictArray)
    assert A.dtype == np.float32 and dZ.dtype == np.float32
    assert A.shape == Z.shape == dZ.shape
    # the same numbers as plain NumPy
    backend.use("numpy")
    A_np = act.forward(host)
    np.testing.assert_allclose(np.asarray(A), A_np, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses_run_on_the_strict_namespace(strict_xp, name: str) -> None:
    xp = strict_xp
    rng = np.random.default_rng(1)
    P = rng.uniform(0.05, 0.95, (3, 6)).astype(np.float32)
    if name == "categorical_crossentropy":
        P /= P.sum(axis=0, keepdims=True)
        Yh = np.eye(3, dtype=np.float32)[:, rng.integers(0, 3, 6)]
    else:
        Yh = (rng.uniform(size=(3, 6)) > 0.5).astype(np.float32)
    loss = get_loss(name)
    A, Y = xp.asarray(P), xp.asarray(Yh)
    cost = loss.cost(A, Y)
    dA = loss.gradient(A, Y)
    assert isinstance(cost, float) and np.isfinite(cost)
    assert isinstance(dA, StrictArray) and dA.dtype == np.float32 and dA.shape == P.shape
    if loss.canonical_activation is not None:
        assert np.isfinite(loss.cost_from_logits(xp.asarray(np.log(P)), Y))
    backend.use("numpy")
    assert cost == pytest.approx(loss.cost(P, Yh), rel=1e-6)


# -- a dense model: forward, backward, optimizer steps, a short fit ---------------------
def _data(m: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((12, m)).astype(np.float32)
    y = (X[:3].argmax(axis=0)).astype(np.int64)
    return X, y


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
def test_dense_model_step_matches_numpy(strict_xp, optimizer: str) -> None:
    """forward, backward and one optimizer step give NumPy's numbers, in float32, and
    every parameter, gradient and optimizer state array stays a device (strict) array."""
    xp = strict_xp
    X, y = _data()
    results = {}
    for ns in ("strict", "numpy"):
        backend.set_namespace(xp) if ns == "strict" else backend.use("numpy")
        model = deep_network([12, 16, 8, 3], hidden_activation="relu", seed=0)
        Y = model.prepare_labels(y)
        Xd = backend.get_xp().asarray(X)
        opt = get_optimizer(optimizer, learning_rate=0.01)
        cost = model.train_step(Xd, Y)
        opt.step(model.parameters, model.grads)
        cost2 = model.train_step(Xd, Y)  # a second step: the state arrays are used
        opt.step(model.parameters, model.grads)
        if ns == "strict":
            for key, value in {**model.parameters, **model.grads}.items():
                assert isinstance(value, StrictArray), key
                assert value.dtype == np.float32, key
            for slot in opt.state.values():
                for key, value in slot.items():
                    assert isinstance(value, StrictArray), key
        results[ns] = (cost, cost2, {k: np.asarray(v) for k, v in model.parameters.items()})
    assert results["strict"][0] == pytest.approx(results["numpy"][0], rel=1e-6)
    assert results["strict"][1] == pytest.approx(results["numpy"][1], rel=1e-6)
    for key, value in results["numpy"][2].items():
        np.testing.assert_allclose(results["strict"][2][key], value, rtol=1e-5, atol=1e-6)


def test_fit_and_predict_on_the_strict_namespace(strict_xp) -> None:
    """The training loop (shuffling, mini-batch gathering, Adam) and inference."""
    X, y = _data(100)
    model = deep_network([12, 16, 3], hidden_activation="tanh", seed=0)
    hist = fit(model, X, y, optimizer="adam", learning_rate=0.01, batch_size=32, epochs=3,
               progress=False)
    assert len(hist.epochs) == 3 and all(np.isfinite(e["cost"]) for e in hist.epochs)
    P = model.predict_proba(X[:, :5])
    assert isinstance(P, StrictArray) and P.shape == (3, 5) and P.dtype == np.float32
    np.testing.assert_allclose(np.asarray(P).sum(axis=0), 1.0, rtol=1e-5)
    assert isinstance(model.predict_proba(X[:, :1]), StrictArray)
