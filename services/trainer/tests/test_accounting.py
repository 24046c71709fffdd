"""Privacy accounting invariants: the budget split, delta's bound, the accountants and their cross-check against
dp_accounting, calibration, epsilon's growth and the guard."""

from __future__ import annotations

import itertools

import dp_accounting
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opacus.accountants import PRVAccountant

from dpsynth_trainer.contract import PrivacySpec, load_json
from dpsynth_trainer.errors import BadInputError, BudgetExceededError
from dpsynth_trainer.training import default_delta, training_budget
from dpsynth_trainer.training.accountants import accountant_names, fallback_chain
from dpsynth_trainer.training.accounting import BudgetGuard, PrivacyMeter, calibrate_noise, with_step


def privacy(**fields) -> PrivacySpec:
    base = {"epsilon": 8, "delta": 1e-5, "labelCounts": None, "labelSet": None, "accountant": "prv", "maxGradNorm": 1.0}
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


def test_the_accountants_are_the_contracts_and_prv_falls_back_to_pld_then_rdp() -> None:
    schema = load_json("job-spec.schema.json")["properties"]["privacy"]["properties"]["accountant"]
    assert accountant_names() == sorted(schema["enum"])
    assert fallback_chain("prv") == ["prv", "pld", "rdp"]
    assert fallback_chain("rdp") == ["rdp"]


def test_prv_failing_numerically_falls_back_to_pld_and_says_so(monkeypatch) -> None:
    def fails(self, delta, **_):
        raise MemoryError("PRV would need terabytes for this domain")

    monkeypatch.setattr(PRVAccountant, "get_epsilon", fails)
    history = [(1.0, 0.05, 200)]
    meter = PrivacyMeter("prv", delta=1e-5)
    epsilon = meter.epsilon(history)
    assert meter.mechanism == "pld"
    assert epsilon == pytest.approx(PrivacyMeter("pld", delta=1e-5).epsilon(history))
    assert epsilon < PrivacyMeter("rdp", delta=1e-5).epsilon(history)  # PLD wastes less budget than RDP


def test_calibration_after_earlier_runs_holds_their_composition_to_the_target() -> None:
    meter = PrivacyMeter("pld", delta=1e-5)
    earlier = [(1.1, 0.05, 30)]
    sigma = calibrate_noise(meter, target_epsilon=3, sample_rate=0.05, steps=60, prior=earlier)
    composed = meter.epsilon([*earlier, (sigma, 0.05, 60)])
    assert 3 - 0.01 <= composed <= 3
    assert sigma > calibrate_noise(meter, target_epsilon=3, sample_rate=0.05, steps=60)  # less budget left
    with pytest.raises(BadInputError, match="earlier runs of this job already spent"):
        calibrate_noise(meter, target_epsilon=0.5, sample_rate=0.05, steps=60, prior=earlier)


# The grid of the review that found RDP wasteful: N 300 to 20,000, batch 64 to 1,024, 1 to 5 epochs, target epsilon
# 1, 3 and 8. Hypothesis draws from it (each draw calibrates with the trainer's own search, a few seconds).
GRID = {"rows": [300, 2_000, 20_000], "batch": [64, 256, 1_024], "epochs": [1, 3, 5], "target": [1, 3, 8]}


def _reference_pld_epsilon(sigma: float, rate: float, steps: int, delta: float) -> float:
    """dp_accounting's own PLD at its default (finer) discretisation: the independent reference."""
    accountant = dp_accounting.pld.PLDAccountant()
    event = dp_accounting.PoissonSampledDpEvent(rate, dp_accounting.GaussianDpEvent(sigma))
    accountant.compose(dp_accounting.SelfComposedDpEvent(event, steps))
    return accountant.get_epsilon(delta)


@settings(max_examples=5, deadline=None, derandomize=True)
@given(
    rows=st.sampled_from(GRID["rows"]),
    batch=st.sampled_from(GRID["batch"]),
    epochs=st.sampled_from(GRID["epochs"]),
    target=st.sampled_from(GRID["target"]),
    accountant=st.sampled_from(["prv", "prv", "pld"]),
)
def test_reported_epsilon_is_at_least_dp_accountings_pld_and_within_2_percent(rows, batch, epochs, target, accountant):
    rate = min(1.0, batch / rows)
    steps = int(epochs / rate)
    delta = default_delta(rows)
    meter = PrivacyMeter(accountant, delta)
    sigma = calibrate_noise(meter, target_epsilon=target, sample_rate=rate, steps=steps)
    reported = meter.epsilon([(sigma, rate, steps)])
    reference = _reference_pld_epsilon(sigma, rate, steps, delta)
    assert reported <= target
    assert reference <= reported <= 1.02 * reference


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
