"""Training: the Trainer, callbacks and checkpoints."""
