"""Recurrent workloads of benchmarks/run.py: an RNN, a GRU and an LSTM 64 -> 128 over
T = 50 steps at batch 64, forward + backward through time + Adam, against PyTorch's
nn.RNN / nn.GRU / nn.LSTM of the same sizes (float32, the threads of run.py).

glassnet's GRU is timed with ``reset_after=True`` (PyTorch's variant, one product a step);
the notes' GRU (two products a step) is timed too, as ``glassnet_notes_gru``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

N_X, N_A, T_X, BATCH = 64, 128, 50, 64


def _peak_mib() -> float:
    """This process's peak resident set size (VmHWM), MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def memory_child(impl: str, kind: str, threads: int = 2) -> None:
    """Peak RSS of three train steps above the peak after imports and data (JSON on stdout)."""
    rng = np.random.default_rng(0)
    Xn = rng.standard_normal((N_X, BATCH, T_X), dtype=np.float32)
    Yn = rng.standard_normal((N_A, BATCH, T_X), dtype=np.float32)
    if impl == "torch":
        import torch

        torch.set_num_threads(threads)
        net = getattr(torch.nn, {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}[kind])(N_X, N_A)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        Xt = torch.from_numpy(np.ascontiguousarray(Xn.transpose(2, 1, 0)))
        Yt = torch.from_numpy(np.ascontiguousarray(Yn.transpose(2, 1, 0)))
        base = _peak_mib()
        for _ in range(3):
            A, _ = net(Xt)
            loss = ((A - Yt) ** 2).sum() / BATCH
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    else:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), "src"))
        from glassnet.layers.recurrent import GRU, LSTM, SimpleRNN
        from glassnet.models.sequential import Sequential
        from glassnet.optim.optimizers import Adam

        make = {"rnn": lambda: SimpleRNN(N_A), "gru": lambda: GRU(N_A, reset_after=True),
                "lstm": lambda: LSTM(N_A)}[kind]
        model = Sequential([make()], loss="l2").build((N_X, T_X), seed=0, dtype="float32")
        opt = Adam(1e-3)
        base = _peak_mib()
        for _ in range(3):
            model.train_step(Xn, Yn)
            opt.step(model.parameters, model.grads)
    print(json.dumps({"extra_mib": _peak_mib() - base}))


def measure_memory(kind: str, threads: int) -> dict[str, float]:
    """{impl: extra peak MiB} for glassnet and torch, each in a fresh process."""
    out = {}
    for impl in ("glassnet", "torch"):
        done = subprocess.run([sys.executable, os.path.abspath(__file__), impl, kind,
                               str(threads)], capture_output=True, text=True)
        if done.returncode == 0:
            out[impl] = json.loads(done.stdout.strip().splitlines()[-1])["extra_mib"]
    return out


def bench_recurrent(device: Any, torch: Any, repeats: int, steps: int, lr: float, seed: int,
                    interleaved: Callable, summarize: Callable, torch_adam: Callable,
                    wanted: Callable[[str], bool], memory: bool = False,
                    threads: int = 2) -> list[dict[str, Any]]:
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
        if memory and device.name == "cpu":
            peaks = measure_memory(name, threads)
            print(f"  {name}: peak memory of 3 train steps above the baseline: glassnet "
                  f"{peaks.get('glassnet', float('nan')):.1f} MiB, PyTorch "
                  f"{peaks.get('torch', float('nan')):.1f} MiB", flush=True)
            results["glassnet"]["peak_extra_mib"] = peaks.get("glassnet")
            if f"torch_{name}" in results:
                results[f"torch_{name}"]["peak_extra_mib"] = peaks.get("torch")
        out.append({"workload": f"{name}_{N_X}x{N_A}_T{T_X}_train_step", "kind": "train_step",
                    "input": [N_X, T_X], "batch": BATCH, "parameters": n_params,
                    "samples": BATCH, "results": results})
    return out


if __name__ == "__main__":  # a memory child: IMPL KIND THREADS
    memory_child(sys.argv[1], sys.argv[2], int(sys.argv[3]))
