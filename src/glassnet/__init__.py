"""glassnet: the Deep Learning Specialization's neural networks, from scratch in NumPy.

The course's notation is the code's notation: examples are columns, ``X`` is
``(n_x, m)``, parameters are ``W1, b1, ..., WL, bL`` and gradients ``dW1, db1, ...``.

    >>> import glassnet as gn
    >>> model = gn.deep_network([12288, 20, 7, 5, 1], init="xavier", seed=1)
    >>> history = gn.fit(model, X, Y, learning_rate=0.0075, epochs=2500)
"""

from __future__ import annotations

from glassnet._version import __version__
from glassnet.core.errors import GlassnetError, LabelError, ModelFileError, TrainingDiverged
from glassnet.core.threads import num_threads, set_num_threads
from glassnet.functions.losses import MultiTaskBinaryCrossEntropy
from glassnet.gradcheck import check_layer, gradient_check
from glassnet.models.builders import (
    deep_network,
    image_classifier,
    logistic_regression,
    multitask_network,
    shallow_network,
)
from glassnet.models.saving import load_model, save_model
from glassnet.models.sequential import Sequential
from glassnet.models.transfer import transfer
from glassnet.project.selection import select_model, single_number_metric
from glassnet.project.strategy import diagnose
from glassnet.train.trainer import evaluate, fit

__all__ = [
    "MultiTaskBinaryCrossEntropy",
    "diagnose",
    "evaluate",
    "fit",
    "multitask_network",
    "select_model",
    "single_number_metric",
    "transfer",
    "GlassnetError",
    "LabelError",
    "ModelFileError",
    "Sequential",
    "TrainingDiverged",
    "__version__",
    "num_threads",
    "set_num_threads",
    "check_layer",
    "deep_network",
    "gradient_check",
    "image_classifier",
    "load_model",
    "logistic_regression",
    "save_model",
    "shallow_network",
]
