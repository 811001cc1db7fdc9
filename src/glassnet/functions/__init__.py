"""The course's functions: activations, losses, initializers, regularization, metrics."""
