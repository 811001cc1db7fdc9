"""gradient_check shows a progress bar of the components it checks (issue 15 item 13)."""

from __future__ import annotations

import numpy as np

from glassnet.gradcheck import gradient_check
from glassnet.layers import Dense
from glassnet.models.sequential import Sequential


def _model_and_data():
    model = Sequential([Dense(4, "tanh"), Dense(1, "sigmoid")])
    model.build(3, seed=0, dtype="float64")
    rng = np.random.default_rng(0)
    return model, rng.normal(size=(3, 6)), (np.arange(6) % 2)[None].astype(float)


def test_progress_bar_counts_every_component(capsys):
    model, X, Y = _model_and_data()
    result = gradient_check(model, X, Y, progress=True)
    err = capsys.readouterr().err
    assert result.passed and "gradient check" in err and f"/{result.n_total} " in err


def test_no_bar_when_asked_or_off_a_terminal(capsys):
    model, X, Y = _model_and_data()
    assert gradient_check(model, X, Y, progress=False).passed
    assert gradient_check(model, X, Y).passed  # pytest's stderr is not a terminal
    assert capsys.readouterr().err == ""
