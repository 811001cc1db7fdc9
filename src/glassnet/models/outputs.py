"""The model's output: the task, the output layer it needs, and how labels are read."""

from __future__ import annotations

TASKS = ("binary", "multiclass", "multilabel", "regression")


def _output_for(n_y: int, task: str | None) -> tuple[str, str]:
    """(output activation, loss) for a task; binary if n_y == 1 else multiclass by default."""
    task = task or ("binary" if n_y == 1 else "multiclass")
    table = {
        "binary": ("sigmoid", "binary_crossentropy"),
        "multilabel": ("sigmoid", "binary_crossentropy"),
        "multiclass": ("softmax", "categorical_crossentropy"),
        "regression": ("linear", "l2"),
    }
    if task not in table:
        raise ValueError(f"unknown task {task!r}: expected one of {', '.join(TASKS)}")
    return table[task]

