"""Recurrent workloads of benchmarks/run.py: an RNN, a GRU and an LSTM 64 -> 128 over
T = 50 steps at batch 64, forward + backward through time + Adam, against PyTorch's
nn.RNN / nn.GRU / nn.LSTM of the same sizes (float32, the threads of run.py).

glassnet's GRU is timed with ``reset_after=True`` (PyTorch's variant, one product a step);
the notes' GRU (two products a step) is timed too, as ``glassnet_notes_gru``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

N_X, N_A, T_X, BATCH = 64, 128, 50, 64


def bench_recurrent(device: Any, torch: Any, repeats: int, steps: int, lr: float, seed: int,
                    interleaved: Callable, summarize: Callable, torch_adam: Callable,
                    wanted: Callable[[str], bool]) -> list[dict[str, Any]]:
    from glassnet.layers.recurrent import GRU, LSTM, SimpleRNN
    from glassnet.models.sequential import Sequential
    from glassnet.optim.optimizers import Adam

    rng = np.random.default_rng(seed)
    Xn = rng.standard_normal((N_X, BATCH, T_X), dtype=np.float32)  # (n_x, m, T_x)
    Yn = rng.standard_normal((N_A, BATCH, T_X), dtype=np.float32)
    specs = {
        "rnn": (lambda: SimpleRNN(N_A), "RNN"),
        "gru": (lambda: GRU(N_A, reset_after=True), "GRU"),
        "lstm": (lambda: LSTM(N_A), "LSTM"),
    }
    out = []
    dev = "cuda" if device.name == "gpu" else "cpu"
    for name, (make, torch_name) in specs.items():
        if not wanted(name):
            continue
        makers = {"glassnet": make}
        if name == "gru":
            makers["glassnet_notes_gru"] = lambda: GRU(N_A)
        contenders: dict[str, Callable[[], None]] = {}
        n_params = 0
        for label, mk in makers.items():
            model = Sequential([mk()], loss="l2").build((N_X, T_X), seed=seed, dtype="float32")
            n_params = model.n_parameters
            X, Y, opt = device.to_xp(Xn), device.to_xp(Yn), Adam(lr)

            def gn_steps(model: Any = model, X: Any = X, Y: Any = Y, opt: Any = opt) -> None:
                for _ in range(steps):
                    model.train_step(X, Y)
                    opt.step(model.parameters, model.grads)

            contenders[label] = gn_steps
        if torch is not None:
            torch.manual_seed(seed)
            net = getattr(torch.nn, torch_name)(N_X, N_A).to(dev)
            topt, _ = torch_adam(torch, net, "fused")
            Xt = torch.from_numpy(np.ascontiguousarray(Xn.transpose(2, 1, 0))).to(dev)
            Yt = torch.from_numpy(np.ascontiguousarray(Yn.transpose(2, 1, 0))).to(dev)

            def t_steps(net: Any = net, topt: Any = topt, Xt: Any = Xt, Yt: Any = Yt) -> None:
                for _ in range(steps):
                    A, _ = net(Xt)  # (T, m, n_a)
                    loss = ((A - Yt) ** 2).sum() / BATCH  # the l2 cost, 1/m sum
                    topt.zero_grad(set_to_none=True)
                    loss.backward()
                    topt.step()
                    loss.item()

            contenders[f"torch_{name}"] = t_steps
        times = interleaved(contenders, repeats, 1, device.sync)
        results = {k: summarize([t / steps for t in v], BATCH) for k, v in times.items()}
        out.append({"workload": f"{name}_{N_X}x{N_A}_T{T_X}_train_step", "kind": "train_step",
                    "input": [N_X, T_X], "batch": BATCH, "parameters": n_params,
                    "samples": BATCH, "results": results})
    return out
