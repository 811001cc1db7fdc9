"""Twins against PyTorch autograd in float64: Dense, Conv2D, pooling, BatchNorm and Adam.

Each test runs our layer and the same computation in torch on the same numbers, and
compares every quantity (A, dA_prev, dW, db, dgamma, dbeta, running averages; for Adam the
parameters, v and s after every step) to about 1e-10 with ``helpers.assert_close``, which
prints a table of ours vs theirs per quantity when they differ.

Conventions translated at the boundary (the course's, ours):

* dense data are columns: ``A_prev`` (n[l-1], m), ``W`` (n[l], n[l-1]), ``b`` (n[l], 1);
  torch computes ``W @ A_prev + b`` on the same arrays.
* images are channels last (m, n_H, n_W, n_C) and filters ``W`` (f, f, n_C_prev, n_C);
  torch's are (m, n_C, n_H, n_W) and (n_C, n_C_prev, f, f).
* the upstream ``dA`` handed to our backward is the per-example dL/dA and our gradients
  carry the cost's 1/m (dW = 1/m dZ A_prev^T): torch differentiates J = 1/m sum(dA * A),
  whose gradients are our dW, db, dgamma, dbeta, and whose input gradient is dA_prev / m.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import assert_close, built, forward_backward

torch = pytest.importorskip("torch")
F = torch.nn.functional

from glassnet.functions.activations import ACTIVATIONS  # noqa: E402
from glassnet.layers import (  # noqa: E402  (importing the layers registers relu6)
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    MaxPool2D,
)
from glassnet.optim.optimizers import Adam  # noqa: E402

RNG = np.random.default_rng(13)


def T(a: np.ndarray, grad: bool = False):
    """A float64 torch tensor of ``a`` (a copy), a leaf with a gradient when ``grad``."""
    return torch.tensor(np.array(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


def N(t) -> np.ndarray:
    return t.detach().numpy().copy()


def _torch_backward(A, dA: np.ndarray, m: int) -> None:
    """Differentiate J = 1/m sum(dA * A): our convention for the upstream gradient."""
    ((T(dA) * A).sum() / m).backward()


# -- Dense ------------------------------------------------------------------------------
TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
    "softplus": F.softplus,
    "linear": lambda z: z,
    "softmax": lambda z: torch.softmax(z, dim=0),  # over the classes, the rows of (C, m)
    "relu6": F.relu6,
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_has_a_torch_twin(name):
    assert name in TORCH_ACTIVATIONS, (
        f"activation {name!r} has no torch twin: add it to TORCH_ACTIVATIONS in {__name__}"
    )


def assert_dense_twin(layer: Dense, A_prev: np.ndarray, torch_g) -> None:
    ours = forward_backward(layer, A_prev, training=True)
    m = A_prev.shape[1]
    Ap, W = T(A_prev, True), T(layer.params["W"], True)
    Z = W @ Ap  # Z = W A_prev + b   (n[l], m)
    b = None
    if layer.use_bias:
        b = T(layer.params["b"], True)
        Z = Z + b
    A = torch_g(Z)
    _torch_backward(A, ours["dA"], m)
    theirs = {"A": N(A), "dA_prev": m * N(Ap.grad), "dW": N(W.grad)}
    if b is not None:
        theirs["db"] = N(b.grad)
    assert_close(ours, theirs, what=layer.describe())


@pytest.mark.parametrize("name", sorted(TORCH_ACTIVATIONS))
def test_dense_matches_torch(name):
    layer = built(Dense(4, name, init="xavier"), (5,), seed=1)
    layer.params["b"][...] = RNG.normal(0, 0.5, (4, 1))
    A_prev = RNG.standard_normal((5, 7)) * 2  # relu6 sees values past 6 too
    assert_dense_twin(layer, A_prev, TORCH_ACTIVATIONS[name])


@pytest.mark.parametrize("slope", [0.01, 0.3])
def test_dense_leaky_relu_slope_matches_torch(slope):
    layer = built(Dense(3, {"name": "leaky_relu", "slope": slope}), (4,), seed=2)
    assert_dense_twin(layer, RNG.standard_normal((4, 6)), lambda z: F.leaky_relu(z, slope))


def test_dense_without_bias_matches_torch():
    layer = built(Dense(3, "tanh", use_bias=False), (6,), seed=3)
    assert_dense_twin(layer, RNG.standard_normal((6, 5)), torch.tanh)


# -- Conv2D -----------------------------------------------------------------------------
def same_pads(n: int, f: int, s: int) -> tuple[int, int]:
    """TensorFlow/Keras "same": n_out = ceil(n / s), the extra pixel of odd totals after."""
    total = max((math.ceil(n / s) - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def _pads(padding, shape, kernel, stride) -> list[tuple[int, int]]:
    if padding == "valid":
        return [(0, 0), (0, 0)]
    if padding == "same":
        return [same_pads(n, f, s) for n, f, s in zip(shape, kernel, stride, strict=True)]
    return [(padding, padding)] * 2


def _nchw(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def _nhwc(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


CONV_CASES = [
    # (filters, kernel, stride, padding, activation, example shape (n_H, n_W, n_C_prev))
    (3, 3, 1, "valid", "linear", (6, 6, 2)),
    (4, 3, 1, "same", "relu", (5, 5, 3)),
    (2, 3, 2, "same", "tanh", (7, 6, 2)),  # asymmetric "same" pads with stride 2
    (3, 2, 2, "valid", "sigmoid", (6, 6, 3)),
    (2, (3, 2), (2, 1), 1, "linear", (5, 6, 2)),
    (3, 4, 1, "same", "leaky_relu", (6, 5, 2)),  # even f: one more pixel after
    (5, 1, 1, "valid", "relu", (4, 4, 6)),  # 1x1, the pointwise path
    (8, 3, 1, "same", "relu", (16, 16, 8)),  # big enough for the blocked paths
]


def assert_conv_twin(layer: Conv2D, A_prev: np.ndarray, torch_g) -> None:
    ours = forward_backward(layer, A_prev, training=True)
    m = A_prev.shape[0]
    (top, bottom), (left, right) = _pads(layer.padding, A_prev.shape[1:3],
                                          layer.kernel_size, layer.stride)
    X = T(_nchw(A_prev), True)
    W = T(layer.params["W"].transpose(3, 2, 0, 1), True)  # (f, f, C_prev, C) -> (C, C_prev, f, f)
    b = T(layer.params["b"].reshape(-1), True) if layer.use_bias else None
    Z = F.conv2d(F.pad(X, (left, right, top, bottom)), W, b, stride=layer.stride)
    A = torch_g(Z)
    _torch_backward(A, _nchw(ours["dA"]), m)
    theirs = {"A": _nhwc(N(A)), "dA_prev": m * _nhwc(N(X.grad)),
              "dW": N(W.grad).transpose(2, 3, 1, 0)}
    if b is not None:
        theirs["db"] = N(b.grad).reshape(1, 1, 1, -1)
    assert_close(ours, theirs, what=layer.describe())


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: repr(c).replace(" ", ""))
def test_conv2d_matches_torch(case):
    filters, f, s, padding, act, shape = case
    layer = built(Conv2D(filters, f, s, padding, activation=act), shape, seed=4)
    layer.params["b"][...] = RNG.normal(0, 0.3, layer.params["b"].shape)
    A_prev = RNG.standard_normal((3, *shape))
    assert_conv_twin(layer, A_prev, TORCH_ACTIVATIONS[act])


def test_conv2d_without_bias_and_same_pads_stride1_match_torch_same():
    """Stride 1, odd f: our "same" is torch's padding="same" (f - 1)/2 on each side."""
    layer = built(Conv2D(3, 3, 1, "same", use_bias=False), (5, 5, 2), seed=5)
    assert layer.pads == ((1, 1), (1, 1))
    A_prev = RNG.standard_normal((2, 5, 5, 2))
    A = layer.forward(A_prev)
    Z = F.conv2d(T(_nchw(A_prev)), T(layer.params["W"].transpose(3, 2, 0, 1)), padding="same")
    assert_close({"A": A}, {"A": _nhwc(N(Z))})
    assert_conv_twin(layer, A_prev, lambda z: z)


def test_conv2d_softmax_over_the_channels_matches_torch():
    """Per pixel, over the channels (the class axis of (m, n_H, n_W, n_C))."""
    layer = built(Conv2D(4, 3, 1, "same", activation="softmax"), (4, 4, 2), seed=6)
    assert_conv_twin(layer, RNG.standard_normal((2, 4, 4, 2)), lambda z: torch.softmax(z, dim=1))


# -- pooling ----------------------------------------------------------------------------
POOL_CASES = [
    # (pool size, stride, padding, example shape)
    (2, 2, "valid", (4, 4, 3)),  # tiles the input: the compiled / tiled paths
    (2, 2, "valid", (5, 5, 2)),  # the last row and column left out
    (3, 1, "valid", (5, 6, 2)),  # overlapping windows
    (3, 2, "same", (5, 5, 2)),
    (2, 2, "same", (5, 4, 3)),  # one pixel of padding after
    ((2, 3), (1, 2), "valid", (4, 7, 2)),
]


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: repr(c).replace(" ", ""))
def test_pooling_matches_torch(mode, case):
    """Max pooling pads with -inf (padding never wins); average pooling counts padded zeros
    in the average (the notes' 1/(f f) over the padded window)."""
    f, s, padding, shape = case
    layer = built((MaxPool2D if mode == "max" else AvgPool2D)(f, s, padding), shape)
    m = 3
    A_prev = RNG.standard_normal((m, *shape))
    ours = forward_backward(layer, A_prev, training=True)
    fs = layer.pool_size
    (top, bottom), (left, right) = _pads(padding, shape[:2], fs, layer.stride)
    X = T(_nchw(A_prev), True)
    if mode == "max":
        A = F.max_pool2d(F.pad(X, (left, right, top, bottom), value=-math.inf), fs, layer.stride)
    else:
        A = F.avg_pool2d(F.pad(X, (left, right, top, bottom)), fs, layer.stride)
    _torch_backward(A, _nchw(ours["dA"]), m)
    assert_close(ours, {"A": _nhwc(N(A)), "dA_prev": m * _nhwc(N(X.grad))},
                 what=layer.describe())


# -- BatchNorm ----------------------------------------------------------------------------
def _bn_layout(x: np.ndarray) -> np.ndarray:
    """Ours -> torch's (N, C, ...): (n, m) -> (m, n); (m, H, W, C) -> (m, C, H, W)."""
    return np.ascontiguousarray(x.T) if x.ndim == 2 else _nchw(x)


def _bn_back(t, ndim: int) -> np.ndarray:
    return np.ascontiguousarray(N(t).T) if ndim == 2 else _nhwc(N(t))


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape, m", [((5,), 8), ((3, 4, 3), 4)], ids=["dense", "images"])
def test_batchnorm_matches_torch(shape, m, training):
    layer = built(BatchNorm(momentum=0.8, epsilon=1e-3), shape)
    C = shape[-1] if len(shape) > 1 else shape[0]
    gamma, beta = layer.params["gamma"], layer.params["beta"]
    gamma[...] = RNG.uniform(0.5, 1.5, gamma.shape)
    beta[...] = RNG.normal(0, 0.5, beta.shape)
    rm, rv = layer.state["running_mean"], layer.state["running_var"]
    rm[...] = RNG.normal(0, 0.5, rm.shape)
    rv[...] = RNG.uniform(0.5, 2.0, rv.shape)
    rm0, rv0 = rm.reshape(-1).copy(), rv.reshape(-1).copy()
    A_prev = RNG.standard_normal((shape[0], m) if len(shape) == 1 else (m, *shape)) * 2 + 1
    ours = forward_backward(layer, A_prev, training=training)
    ours["running_mean"], ours["running_var"] = rm.reshape(-1), rv.reshape(-1)

    X = T(_bn_layout(A_prev), True)
    g, b = T(gamma.reshape(-1), True), T(beta.reshape(-1), True)
    t_rm, t_rv = T(rm0), T(rv0)
    # torch's momentum weighs the new batch: 1 - ours
    A = F.batch_norm(X, t_rm, t_rv, g, b, training=training, momentum=1 - 0.8, eps=1e-3)
    _torch_backward(A, _bn_layout(ours["dA"]), m)
    theirs = {
        "A": _bn_back(A, A_prev.ndim),
        "dA_prev": m * _bn_back(X.grad, A_prev.ndim),
        "dgamma": N(g.grad).reshape(gamma.shape),
        "dbeta": N(b.grad).reshape(beta.shape),
        "running_mean": N(t_rm),
    }
    N_stat = X.numel() // C  # values behind each statistic: m, or m n_H n_W
    if training:
        # torch's running variance takes the unbiased batch variance, ours (the notes') the
        # 1/m one it normalizes with: undo Bessel's N / (N - 1) on torch's update
        batch_var_unbiased = (N(t_rv) - 0.8 * rv0) / 0.2
        theirs["running_var"] = 0.8 * rv0 + 0.2 * batch_var_unbiased * (N_stat - 1) / N_stat
    else:
        theirs["running_var"] = N(t_rv)
        np.testing.assert_array_equal(ours["running_var"], rv0)  # test mode leaves them
        np.testing.assert_array_equal(ours["running_mean"], rm0)
    assert_close(ours, theirs, what=f"BatchNorm {shape} training={training}")


# -- Adam ---------------------------------------------------------------------------------
ADAM_SHAPES = {
    "small (grouped)": {"W1": (5, 3), "b1": (5, 1), "W2": (1, 5), "b2": (1, 1)},
    "chunked": {"W1": (300, 240), "b1": (300, 1)},  # past the grouping size, below fused
    "fused": {"W1": (400, 400), "b1": (400, 1), "W2": (10, 400)},  # the one-pass kernels
}


@pytest.mark.parametrize("hyper", [{}, {"beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6}],
                         ids=["defaults", "custom"])
@pytest.mark.parametrize("sizes", list(ADAM_SHAPES))
def test_adam_matches_torch(sizes, hyper):
    """Several steps, each with new gradients: the bias corrections 1 - beta^t change every
    step, and v, s and W must track torch's exp_avg, exp_avg_sq and parameters."""
    rng = np.random.default_rng(21)
    shapes = ADAM_SHAPES[sizes]
    params = {k: rng.standard_normal(s) for k, s in shapes.items()}
    tparams = {k: T(v, True) for k, v in params.items()}
    lr = 0.01
    ours_opt = Adam(learning_rate=lr, **hyper)
    b1, b2 = hyper.get("beta1", 0.9), hyper.get("beta2", 0.999)
    torch_opt = torch.optim.Adam(list(tparams.values()), lr=lr, betas=(b1, b2),
                                 eps=hyper.get("epsilon", 1e-8))
    for t in range(1, 6):
        grads = {"d" + k: rng.standard_normal(s) * (0.1 if t % 2 else 3.0)
                 for k, s in shapes.items()}
        ours_opt.step(params, grads)
        for k, p in tparams.items():
            p.grad = T(grads["d" + k])
        torch_opt.step()
        assert ours_opt.t == t
        ours, theirs = {}, {}
        for k, p in tparams.items():
            state = torch_opt.state[p]
            ours[k], theirs[k] = params[k], N(p)
            ours["v_d" + k], theirs["v_d" + k] = ours_opt.v["d" + k], N(state["exp_avg"])
            ours["s_d" + k], theirs["s_d" + k] = ours_opt.s["d" + k], N(state["exp_avg_sq"])
        assert_close(ours, theirs, rtol=1e-10, atol=1e-12, what=f"Adam {sizes}, step {t}")
