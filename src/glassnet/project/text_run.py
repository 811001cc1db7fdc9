"""One training run of a character language model (``--model char_rnn/char_gru/char_lstm``).

:func:`glassnet.project.run.run_training` hands a run to :func:`run_text_training` when
its model is a ``char_*`` model.  The text file (UTF-8) gives the vocabulary (its
characters and ``"\\n"``); the last ``dev_fraction`` of the characters is the dev set,
the rest the training set, both cut into windows of ``seq_length`` characters
(X one-hot (V, m, T), Y the next characters (V, m, T); :mod:`glassnet.data.text`).
Mini-batches of windows, the optimizer, clipping (by norm, 5 unless clip_value or
clip_norm is given), the progress bar, checkpoints and resume are the Trainer's.

Saved in the run folder: the model (its metadata holds the vocabulary, the sequence
length and the source), ``vocabulary.json``, ``metrics.json`` (held-out cross-entropy
per character in nats and bits, and the perplexity), ``history.json`` and the learning
curve of the train and dev cross-entropy per character.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy

from glassnet.core.threads import num_threads, set_num_threads
from glassnet.data.text import TextError, one_hot, read_text, split_tail, windows
from glassnet.project.config import ConfigError, RunConfig
from glassnet.project.prechecks import check_text_sizes
from glassnet.text.charlm import char_layers, encode, per_character, vocab_size

DEFAULT_CLIP_NORM = 5.0


def char_model(kind: str, vocab_size: int, seq_length: int, units: int = 128,
               num_layers: int = 1, dropout: float = 0.0, seed: int = 1,
               dtype: str = "float32") -> Any:
    """A built :class:`~glassnet.models.sequential.Sequential` character model
    (:func:`glassnet.text.charlm.char_layers`) for windows (V, m, seq_length)."""
    from glassnet.models.sequential import Sequential

    layers = char_layers(kind, vocab_size, units, num_layers, dropout)
    model = Sequential(layers, loss="categorical_crossentropy", name=kind)
    model.build((int(vocab_size), int(seq_length)), seed=seed, dtype=dtype)
    return model


def text_config(config: RunConfig | dict[str, Any]) -> RunConfig:
    """A RunConfig; a dict's missing settings come from the "text" preset (Adam, ...)."""
    if isinstance(config, RunConfig):
        return config
    return RunConfig.from_dict(config, base=RunConfig.preset("text"))


def text_arrays(ids: list[int], V: int, seq_length: int, dtype: str, what: str
                ) -> tuple[numpy.ndarray, numpy.ndarray]:
    """One-hot windows (X, Y), each (V, m, T)."""
    x, y = windows(numpy.asarray(ids), seq_length, what)
    return one_hot(x, V, dtype), one_hot(y, V, dtype)


def heldout_cross_entropy(model: Any, vocabulary: Any, text: str, seq_length: int,
                          what: str = "the text") -> dict[str, Any]:
    """Cross-entropy per character (nats, bits, perplexity) of ``model`` on ``text``."""
    from glassnet.train.trainer import evaluate

    X, Y = text_arrays(encode(vocabulary, text, what), vocab_size(vocabulary), seq_length,
                       str(model.dtype), what)
    out = evaluate(model, X, Y)
    result: dict[str, Any] = {"cost": out["cost"], "windows": int(X.shape[1]),
                              "characters": int(X.shape[1] * X.shape[2])}
    result.update(per_character(out["cost"], seq_length))
    if "accuracy" in out:
        result["accuracy"] = out["accuracy"]
    return result


def _per_char_history(history: Any, T: int) -> Any:
    """A copy of ``history`` with the costs per character (for the learning curve)."""
    from glassnet.train.callbacks import History

    scaled = History.from_dict(history.to_dict())
    scaled.costs = {k: v / T for k, v in scaled.costs.items()}
    for row in scaled.epochs:
        for key in ("cost", "dev_cost"):
            if row.get(key) is not None:
                row[key] = row[key] / T
    return scaled


def run_text_training(config: RunConfig | dict[str, Any], out: str | Path | None = None,
                      resume: bool = False, progress: bool | None = None,
                      overwrite: bool = True) -> Any:
    """Train, evaluate and (with ``out``) save a character language model; ``out`` is
    locked and written as :func:`glassnet.project.run.run_training` does."""
    from glassnet.project.optimization import run_folder

    cfg = text_config(config)
    with run_folder(out, resume, overwrite) as folder:
        return _run_text_training(cfg, folder, resume, progress)


def _run_text_training(cfg: RunConfig, folder: Any, resume: bool, progress: bool | None
                       ) -> Any:
    from glassnet.core.atomic import atomic_write_json
    from glassnet.models.saving import save_model
    from glassnet.project.optimization import (
        RunResult,
        make_optimizer,
        make_schedule,
        resolve_epochs,
        start_run,
    )
    from glassnet.text.vocabulary import Vocabulary
    from glassnet.train.callbacks import Checkpoint, EarlyStopping
    from glassnet.train.trainer import Trainer

    if cfg.threads:
        set_num_threads(cfg.threads)
    started = time.perf_counter()
    if not cfg.data:
        raise ConfigError("data", "data: a character model needs a text file (--data TEXT.txt)")
    text = read_text(cfg.data)
    T = int(cfg.seq_length)
    if len(text) < T + 1:
        raise ConfigError("seq_length", f"seq_length {T} is longer than the text of {cfg.data} "
                                        f"({len(text)} characters)")
    vocabulary = Vocabulary.from_text(text)
    V = vocab_size(vocabulary)
    train_text, dev_text = split_tail(text, cfg.dev_fraction)
    notes = []
    if dev_text is not None and len(dev_text) < T + 1:
        notes.append(f"the dev text ({len(dev_text)} characters) is shorter than a window: "
                     "no dev set")
        train_text, dev_text = text, None
    dtype = cfg.compute_dtype
    check_text_sizes(cfg, V, len(text), numpy.dtype(dtype).itemsize)
    try:
        X, Y = text_arrays(encode(vocabulary, train_text), V, T, dtype, "the training text")
    except TextError as exc:
        raise ConfigError("seq_length", f"seq_length: {exc}") from None
    dev = None
    if dev_text is not None:
        dev = text_arrays(encode(vocabulary, dev_text), V, T, dtype, "the dev text")
    model = char_model(cfg.model, V, T, units=cfg.units, num_layers=cfg.num_layers,
                       dropout=cfg.dropout, seed=cfg.seed, dtype=dtype)
    model.metadata.update({
        "task": "multiclass", "text_model": cfg.model, "seq_length": T,
        "vocabulary": vocabulary.to_dict(), "trained_on": str(cfg.data),
        "layout": "sequence", "dev_fraction": cfg.dev_fraction, "threads": num_threads(),
    })
    callbacks = []
    if cfg.early_stopping:
        callbacks.append(EarlyStopping("dev_cost", patience=int(cfg.early_stopping)))
    ckpt_dir = folder.work / "checkpoint" if folder is not None else None
    if ckpt_dir is not None and cfg.checkpoint_every:
        callbacks.append(Checkpoint(ckpt_dir, every=int(cfg.checkpoint_every)))
    clip_norm = cfg.clip_norm
    if clip_norm is None and cfg.clip_value is None:
        clip_norm = DEFAULT_CLIP_NORM
    epochs, epoch_notes = resolve_epochs(cfg, int(X.shape[1]))  # X: (V, m, T)
    notes += epoch_notes
    trainer = Trainer(model, optimizer=make_optimizer(cfg), epochs=epochs,
                      batch_size=cfg.batch_size, schedule=make_schedule(cfg), seed=cfg.seed,
                      callbacks=callbacks, clip_value=cfg.clip_value, clip_norm=clip_norm,
                      record_every=cfg.print_every,
                      progress=progress if progress is not None else cfg.progress)
    notes += start_run(trainer, cfg, folder, resume)
    history = trainer.fit(X, Y, *(dev or (None, None)))

    metrics: dict[str, Any] = {"task": "language_model", "model": cfg.model,
                               "n_parameters": model.n_parameters, "vocab_size": V,
                               "seq_length": T, "train_characters": len(train_text),
                               "dev_characters": len(dev_text or "")}
    metrics["train"] = heldout_cross_entropy(model, vocabulary, train_text, T, "training text")
    if dev_text is not None:
        metrics["dev"] = heldout_cross_entropy(model, vocabulary, dev_text, T, "dev text")
        metrics.update({f"dev_{k}": metrics["dev"][k]
                        for k in ("nats_per_char", "bits_per_char", "perplexity")})
    metrics["uniform_bits_per_char"] = float(numpy.log2(V))
    metrics["costs"] = {str(k): v for k, v in history.costs.items()}
    metrics["epochs_run"] = len(history.epochs)
    metrics["stopped_early"] = history.stopped_early
    metrics["train_seconds"] = history.seconds
    metrics["seconds"] = time.perf_counter() - started
    metrics["notes"] = notes
    if folder is not None:  # into the run's own folder, or swapped in now that it ended well
        from glassnet.project.plots import learning_curve

        work = folder.work
        save_model(model, work)
        atomic_write_json(work / "vocabulary.json", vocabulary.to_dict())
        atomic_write_json(work / "metrics.json", metrics)
        atomic_write_json(work / "history.json", history.to_dict())
        learning_curve(_per_char_history(history, T), work / "learning_curve.png",
                       title=f"{cfg.model}: cross-entropy per character (nats)")
        folder.commit()
    return RunResult(model, history, metrics, cfg.to_dict())
