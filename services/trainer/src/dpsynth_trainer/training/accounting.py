"""Epsilon from an accountant history, the calibration of noise to a target, and the guard that refuses a step
past the approved epsilon.

The job's accountant (PRV by default) is tried first; where its numerical composition fails, the next one in
its fallback chain (`accountants.py`: PRV, then PLD, then RDP) takes over for the rest of the run, and the
summary records which was used. A history may begin with the steps of earlier runs of the same job (a run that
started over after its predecessor's checkpoint was lost): calibration and the guard then hold the composition
of every step ever taken to the target.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Sequence

from ..errors import BadInputError, BudgetExceededError
from .accountants import create_accountant, fallback_chain

History = list[tuple[float, float, int]]  # (noise multiplier, sample rate, steps), as Opacus keeps it
NUMERICAL_FAILURES = (ValueError, ArithmeticError, MemoryError, RuntimeError)
#: Noise multipliers beyond this mean the budget cannot be met (Opacus' own bound).
MAX_NOISE_MULTIPLIER = 1e6


def _epsilon(mechanism: str, history: Sequence[tuple[float, float, int]], delta: float) -> float:
    if not history:
        return 0.0
    accountant = create_accountant(mechanism)
    accountant.history = list(history)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # RDP's "optimal order is the largest alpha" and numpy overflow notes
        return float(accountant.get_epsilon(delta))


class PrivacyMeter:
    """Epsilon of a history under the job's accountant, moving down its fallback chain on numerical failure."""

    def __init__(self, mechanism: str, delta: float) -> None:
        self.mechanism = mechanism
        self.delta = delta

    def epsilon(self, history: Sequence[tuple[float, float, int]]) -> float:
        chain = fallback_chain(self.mechanism)
        for mechanism in chain:
            try:
                value = _epsilon(mechanism, history, self.delta)
            except NUMERICAL_FAILURES:
                if mechanism == chain[-1]:
                    raise
                continue
            if math.isfinite(value) or mechanism == chain[-1]:
                self.mechanism = mechanism
                return value
        raise AssertionError("unreachable: the last accountant of a chain returns or raises")


def _search(epsilon_of, target: float, tolerance: float, *, low: float = 0.0, high: float = 10.0) -> float:
    """Opacus' search (`get_noise_multiplier`): double until epsilon is at most the target, then bisect until it
    is within `tolerance` below it. Returns the noise multiplier found; raises when none up to the bound works.
    """
    eps_high = epsilon_of(high)
    while eps_high > target:
        low, high = high, 2 * high
        if high > MAX_NOISE_MULTIPLIER:
            raise BadInputError(
                f"No noise level reaches epsilon {target:g} for training; raise the epsilon, train fewer epochs, "
                "or use a larger logical batch."
            )
        eps_high = epsilon_of(high)
    for _ in range(60):
        if target - eps_high <= tolerance:
            break
        sigma = (low + high) / 2
        value = epsilon_of(sigma)
        if value <= target:
            high, eps_high = sigma, value
        else:
            low = sigma
    return high


def calibrate_noise(
    meter: PrivacyMeter,
    *,
    target_epsilon: float,
    sample_rate: float,
    steps: int,
    prior: Sequence[tuple[float, float, int]] = (),
    tolerance: float = 0.01,
) -> float:
    """The noise multiplier for `steps` steps at `sample_rate` after the `prior` history (earlier runs of the job),
    such that the composed epsilon ends at most at `target_epsilon` and within `tolerance` of it.

    RDP first (cheap to evaluate, and never below the others, so its noise is enough for them too), then the job's
    accountant between half of that and it. `BadInputError` when no noise reaches the target.
    """

    def history(sigma: float) -> History:
        return [*prior, (sigma, sample_rate, steps)]

    if prior and (spent := meter.epsilon(prior)) >= target_epsilon:
        raise BadInputError(
            f"The earlier runs of this job already spent epsilon {spent:.4g} of the {target_epsilon:.4g} approved "
            "for training; no new run fits."
        )
    rdp = PrivacyMeter("rdp", meter.delta)
    bound = _search(lambda sigma: rdp.epsilon(history(sigma)), target_epsilon, tolerance)
    if meter.mechanism == "rdp":
        return bound
    return _search(lambda sigma: meter.epsilon(history(sigma)), target_epsilon, tolerance, low=bound / 2, high=bound)


def with_step(history: Sequence[tuple[float, float, int]], noise_multiplier: float, sample_rate: float) -> History:
    """The history after one more step, merged the way Opacus' accountants merge it."""
    accountant = create_accountant("rdp")  # any Opacus accountant merges steps the same way
    accountant.history = copy.deepcopy(list(history))
    accountant.step(noise_multiplier=noise_multiplier, sample_rate=sample_rate)
    return accountant.history


class BudgetGuard:
    """Checks, before every logical step, that taking it keeps epsilon at or below the approved training epsilon."""

    def __init__(self, meter: PrivacyMeter, *, target_epsilon: float) -> None:
        self.meter = meter
        self.target_epsilon = target_epsilon

    def check_next_step(
        self, history: Sequence[tuple[float, float, int]], *, noise_multiplier: float, sample_rate: float, step: int
    ) -> float:
        """Epsilon after the next step; raises `BudgetExceededError` if that would exceed the target."""
        projected = self.meter.epsilon(with_step(history, noise_multiplier, sample_rate))
        if projected > self.target_epsilon:
            spent = self.meter.epsilon(history)
            raise BudgetExceededError(
                f"Training stopped before step {step}: it would raise epsilon to {projected:.4g}, above the "
                f"approved {self.target_epsilon:.4g} for training. {step - 1} steps were taken, spending "
                f"epsilon {spent:.4g}."
            )
        return projected
