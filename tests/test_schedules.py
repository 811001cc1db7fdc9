"""Learning-rate decay schedules against hand-computed values."""

from __future__ import annotations

import json

import pytest

from glassnet.optim.optimizers import Adam
from glassnet.optim.schedules import (
    Constant,
    ExponentialDecay,
    InverseSqrtDecay,
    InverseTimeDecay,
    StepDecay,
    get_schedule,
)


def values(schedule, epochs):
    return [schedule(e) for e in epochs]


def test_inverse_time_decay():
    # alpha0 / (1 + decay_rate * epoch): 1 / (1 + 0), 1 / (1 + 1), 1 / (1 + 2), 1 / (1 + 10)
    s = InverseTimeDecay(0.5, decay_rate=1.0)
    assert values(s, [0, 1, 2, 10]) == pytest.approx([0.5, 0.25, 0.5 / 3, 0.5 / 11])


def test_inverse_time_decay_on_a_fixed_interval():
    # the course's scheduled decay: alpha0 / (1 + decay_rate * floor(epoch / time_interval))
    s = InverseTimeDecay(0.5, decay_rate=0.3, time_interval=100)
    assert s(0) == s(10) == s(99) == pytest.approx(0.5)
    assert s(100) == s(199) == pytest.approx(0.5 / 1.3)  # 0.38461538...
    assert s(100) == pytest.approx(0.38461538, abs=1e-8)
    assert s(250) == pytest.approx(0.5 / 1.6)


def test_exponential_decay():
    s = ExponentialDecay(0.2)  # the notes' 0.95^epoch * alpha0
    assert values(s, [0, 1, 2, 10]) == pytest.approx([0.2, 0.19, 0.2 * 0.9025, 0.2 * 0.95**10])
    s = ExponentialDecay(1.0, base=0.5, time_interval=3)
    assert values(s, [0, 2, 3, 5, 6, 9]) == pytest.approx([1, 1, 0.5, 0.5, 0.25, 0.125])


def test_inverse_sqrt_decay_and_its_epoch_zero():
    s = InverseSqrtDecay(0.1, k=2.0)  # k / sqrt(epoch) * alpha0
    assert values(s, [1, 4, 16, 100]) == pytest.approx([0.2, 0.1, 0.05, 0.02])
    assert s(0) == pytest.approx(s(1))  # epoch 0 is read as epoch 1, not infinity
    s = InverseSqrtDecay(1.0, time_interval=10)
    assert values(s, [0, 9, 10, 19, 20, 39, 40]) == pytest.approx(
        [1, 1, 1, 1, 0.5**0.5, 3**-0.5, 0.5]
    )


def test_step_decay_staircase():
    s = StepDecay(0.1, factor=0.5, time_interval=10)
    assert values(s, [0, 9, 10, 19, 20, 25, 30]) == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]
    )
    assert s.factor == 0.5


def test_constant():
    assert values(Constant(0.3), [0, 1, 1000]) == [0.3, 0.3, 0.3]


def test_schedules_are_monotone_non_increasing():
    for s in [
        InverseTimeDecay(1.0, 0.5),
        ExponentialDecay(1.0),
        InverseSqrtDecay(1.0),
        StepDecay(1.0),
        InverseTimeDecay(1.0, 1.0, time_interval=7),
    ]:
        lrs = values(s, range(60))
        assert all(b <= a for a, b in zip(lrs, lrs[1:], strict=False)), s


@pytest.mark.parametrize(
    "schedule",
    [
        Constant(0.1),
        InverseTimeDecay(0.1, 0.3, time_interval=5),
        ExponentialDecay(0.1, base=0.9, time_interval=2),
        InverseSqrtDecay(0.1, k=0.5),
        StepDecay(0.1, factor=0.1, time_interval=30),
    ],
)
def test_config_round_trip(schedule):
    cfg = json.loads(json.dumps(schedule.config()))
    again = get_schedule(cfg)
    assert type(again) is type(schedule)
    assert again.config() == schedule.config()
    assert values(again, range(0, 100, 7)) == values(schedule, range(0, 100, 7))


def test_get_schedule_names_and_overrides():
    assert isinstance(get_schedule(None), Constant)
    assert isinstance(get_schedule("staircase"), StepDecay)
    assert isinstance(get_schedule("inverse_time"), InverseTimeDecay)
    s = get_schedule("exponential", learning_rate=0.4, base=0.5)
    assert s(2) == pytest.approx(0.1)
    s = get_schedule({"name": "step", "factor": 0.1, "time_interval": 2}, learning_rate=1.0)
    assert s(4) == pytest.approx(0.01)
    inst = StepDecay(1.0)
    assert get_schedule(inst, factor=0.25) is inst and inst(10) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="unknown learning-rate schedule"):
        get_schedule("cosine")
    with pytest.raises(ValueError):
        InverseTimeDecay(0.1, time_interval=0)
    with pytest.raises(ValueError):
        Constant(0.1)(-1)


def test_apply_sets_the_optimizer_learning_rate_and_takes_alpha0_from_it():
    opt = Adam(learning_rate=0.01)
    s = InverseTimeDecay(decay_rate=1.0)  # no alpha0: taken from the optimizer
    with pytest.raises(ValueError, match="initial learning rate"):
        s(0)
    assert s.apply(opt, 0) == pytest.approx(0.01)
    assert s.apply(opt, 1) == pytest.approx(0.005)
    assert opt.learning_rate == pytest.approx(0.005)
    assert s.apply(opt, 3) == pytest.approx(0.0025)  # from alpha0, not from the decayed rate
