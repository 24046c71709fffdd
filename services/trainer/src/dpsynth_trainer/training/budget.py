"""The training share of a job's approved (epsilon, delta).

A job's approved budget covers every mechanism that touches private data. DP label counts (when the label mix
is released with the Gaussian mechanism) or the DP label set (when the owner did not declare it) take their share
first; DP-SGD is calibrated to what remains, so the mechanisms together never exceed what was approved.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..contract import PrivacySpec, is_private
from ..errors import BadInputError


def default_delta(n_rows: int) -> float:
    """A delta comfortably below 1/n: 1/(10 n), and never above 1e-5."""
    return min(1e-5, 0.1 / n_rows)


@dataclass(frozen=True)
class TrainingBudget:
    """(epsilon, delta) DP-SGD may spend; `epsilon is None` means the non-private baseline."""

    epsilon: float | None
    delta: float

    @property
    def private(self) -> bool:
        return self.epsilon is not None


def training_budget(privacy: PrivacySpec, n_rows: int) -> TrainingBudget:
    """Subtract the label shares and check delta < 1/n (a larger delta allows leaking a whole record)."""
    if not is_private(privacy):
        return TrainingBudget(epsilon=None, delta=0.0)
    shares = [share for share in (privacy.labelCounts, privacy.labelSet) if share is not None]
    epsilon = float(privacy.epsilon) - sum(share.epsilon for share in shares)
    delta = privacy.delta - sum(share.delta for share in shares)
    if epsilon <= 0:
        raise BadInputError(
            "The label shares of epsilon (privacy.labelCounts, privacy.labelSet) use the whole approved epsilon, "
            "leaving nothing for training; lower them or raise privacy.epsilon."
        )
    if delta <= 0:
        raise BadInputError(
            f"DP-SGD needs a positive delta for training (after the label shares); "
            f"a value such as {default_delta(n_rows):.1e} suits {n_rows} rows."
        )
    if delta >= 1 / n_rows:
        raise BadInputError(
            f"The training delta {delta:.3g} is not below 1/n = {1 / n_rows:.3g} for {n_rows} training rows: "
            "such a delta permits releasing a whole record. Use at most "
            f"{default_delta(n_rows):.1e}."
        )
    return TrainingBudget(epsilon=epsilon, delta=delta)
