"""Epsilon from an Opacus accountant history, and the guard that refuses a step past the approved epsilon.

The PRV accountant is the default (tighter bounds). Its numerical composition can fail for extreme histories
(tiny delta, very many steps: it may try to allocate terabytes); the RDP accountant, a valid but looser upper
bound for the same mechanism, then takes over for the rest of the run, and the summary records which was used.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Sequence

from opacus.accountants import create_accountant

from ..errors import BudgetExceededError

History = list[tuple[float, float, int]]  # (noise multiplier, sample rate, steps), as Opacus keeps it
NUMERICAL_FAILURES = (ValueError, ArithmeticError, MemoryError, RuntimeError)


def _epsilon(mechanism: str, history: Sequence[tuple[float, float, int]], delta: float) -> float:
    if not history:
        return 0.0
    accountant = create_accountant(mechanism)
    accountant.history = list(history)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # RDP's "optimal order is the largest alpha" and numpy overflow notes
        return float(accountant.get_epsilon(delta))


class PrivacyMeter:
    """Epsilon of a history under the job's accountant, falling back from PRV to RDP on numerical failure."""

    def __init__(self, mechanism: str, delta: float) -> None:
        self.mechanism = mechanism
        self.delta = delta

    def epsilon(self, history: Sequence[tuple[float, float, int]]) -> float:
        if self.mechanism == "prv":
            try:
                value = _epsilon("prv", history, self.delta)
                if math.isfinite(value):
                    return value
            except NUMERICAL_FAILURES:
                pass
            self.mechanism = "rdp"
        return _epsilon(self.mechanism, history, self.delta)


def with_step(history: Sequence[tuple[float, float, int]], noise_multiplier: float, sample_rate: float) -> History:
    """The history after one more step, merged the way Opacus' accountants merge it."""
    accountant = create_accountant("rdp")
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
