"""Privacy accounting invariants: the budget split, delta's bound, epsilon's growth and the guard."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dpsynth_trainer.contract import PrivacySpec
from dpsynth_trainer.errors import BadInputError, BudgetExceededError
from dpsynth_trainer.training import default_delta, training_budget
from dpsynth_trainer.training.accounting import BudgetGuard, PrivacyMeter, with_step


def privacy(**fields) -> PrivacySpec:
    base = {"epsilon": 8, "delta": 1e-5, "labelCounts": None, "accountant": "prv", "maxGradNorm": 1.0}
    return PrivacySpec.model_validate({**base, "clipping": "auto", **fields})


def test_training_gets_what_the_label_counts_leave() -> None:
    budget = training_budget(privacy(labelCounts={"epsilon": 0.5, "delta": 1e-6}), n_rows=1000)
    assert budget.epsilon == pytest.approx(7.5)
    assert budget.delta == pytest.approx(9e-6)


def test_delta_at_or_above_one_over_n_is_refused() -> None:
    with pytest.raises(BadInputError, match=r"not below 1/n = 0.01 for 100 training rows"):
        training_budget(privacy(delta=0.01), n_rows=100)


def test_default_delta_is_below_one_over_n() -> None:
    for n in (1, 10, 1000, 10**6):
        assert default_delta(n) < 1 / n
        training_budget(privacy(delta=default_delta(n)), n_rows=n)


def test_label_counts_cannot_take_the_whole_epsilon() -> None:
    with pytest.raises(BadInputError, match="leaving nothing for training"):
        training_budget(privacy(epsilon=1, labelCounts={"epsilon": 1, "delta": 1e-6}), n_rows=1000)


def test_non_private_budget() -> None:
    budget = training_budget(privacy(epsilon="inf", delta=0), n_rows=10)
    assert not budget.private


def test_prv_failing_numerically_falls_back_to_rdp_and_says_so() -> None:
    meter = PrivacyMeter("prv", delta=1e-12)
    epsilon = meter.epsilon([(0.3, 0.9, 100_000)])  # PRV would need terabytes for this domain
    assert meter.mechanism == "rdp"
    assert epsilon > 0


@settings(max_examples=12, deadline=None)
@given(
    sigma=st.floats(0.5, 3.0),
    rate=st.floats(0.02, 0.6),
    target=st.floats(0.5, 8.0),
    mechanism=st.sampled_from(["rdp", "rdp", "prv"]),
)
def test_epsilon_grows_with_steps_and_the_guard_never_lets_it_pass_the_target(sigma, rate, target, mechanism):
    meter = PrivacyMeter(mechanism, delta=1e-5)
    guard = BudgetGuard(meter, target_epsilon=target)
    history: list = []
    spent = [0.0]
    for step in range(1, 6 if mechanism == "prv" else 13):
        try:
            spent.append(guard.check_next_step(history, noise_multiplier=sigma, sample_rate=rate, step=step))
        except BudgetExceededError as refused:
            assert meter.epsilon(with_step(history, sigma, rate)) > target  # refused only when it had to
            assert f"before step {step}" in refused.message
            break
        history = with_step(history, sigma, rate)
    assert history == [] or meter.epsilon(history) == pytest.approx(spent[-1])
    assert all(e <= target for e in spent)
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(spent))
