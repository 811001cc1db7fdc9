"""Training: the Trainer (mini-batches, schedules, clipping), callbacks, checkpoints."""

from glassnet.train.callbacks import Checkpoint, EarlyStopping, History
from glassnet.train.trainer import Trainer, evaluate, fit

__all__ = ["Checkpoint", "EarlyStopping", "History", "Trainer", "evaluate", "fit"]
