"""The label mix for conditional sampling, and the DP release of label counts it may need.

Mechanism: the analytic Gaussian mechanism (Balle & Wang, ICML 2018, Theorem 8), which calibrates the
noise exactly for any epsilon (the classic sigma = sqrt(2 ln(1.25/delta)) / epsilon bound only holds for
epsilon < 1 and is loose). Neighbouring datasets differ by adding or removing one row, the relation Opacus'
accountants use, so one row moves one count by 1: L2 sensitivity 1. The label SET is taken as public (it is
part of the schema the owner declared); only the counts are protected.

The noisy counts are clamped at 0 and normalised to a mix: post-processing, free of further privacy cost.
A uniform or owner-given mix reads no private data and costs nothing.

A job releases its counts at most once (`release_label_mix_once`): the released mix is kept in the job's release
log in the blob store, so every later attempt reuses it for free, even one that finds its work directory gone.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
from scipy.special import log_ndtr, ndtr

from dpsynth_trainer.contract import is_private
from dpsynth_trainer.errors import BadInputError

if TYPE_CHECKING:
    from dpsynth_trainer.contract import JobSpec, PrivacySpec, SamplingSpec
    from dpsynth_trainer.releases import ReleaseLog

MECHANISM = "gaussian-label-counts"
SENSITIVITY = 1.0

MixSource = Literal["dp-counts", "dp-label-set", "exact-counts", "uniform", "custom"]


class PrivacyCharger(Protocol):
    """Charges one release to the ledger."""

    def privacy(self, *, mechanism: str, epsilon: float, delta: float, steps: int) -> object: ...


class RunCharger(Protocol):
    """The part of the event emitter that charges a run of a mechanism to the ledger."""

    def privacy(self, *, mechanism: str, run_id: str, epsilon: float, delta: float, steps: int) -> object: ...


@dataclass(frozen=True)
class ReleaseCharger:
    """A `PrivacyCharger` for one release: its charges carry the release's id, so repeating one charges nothing."""

    charger: RunCharger
    release_id: str

    def privacy(self, *, mechanism: str, epsilon: float, delta: float, steps: int) -> object:
        return self.charger.privacy(
            mechanism=mechanism, run_id=self.release_id, epsilon=epsilon, delta=delta, steps=steps
        )


@dataclass(frozen=True)
class LabelMix:
    """Weights per label summing to 1, where they came from, and what releasing them cost."""

    weights: dict[str, float]
    source: MixSource
    epsilon: float = 0.0
    delta: float = 0.0
    sigma: float | None = None
    #: The released (noisy, unclamped) counts: DP output, safe to keep for a retry to reuse.
    noisy_counts: dict[str, float] | None = None


def analytic_gaussian_delta(epsilon: float, sigma: float, sensitivity: float = SENSITIVITY) -> float:
    """The smallest delta for which N(0, sigma^2) noise is (epsilon, delta)-DP at this sensitivity."""
    a = sensitivity / (2.0 * sigma)
    b = epsilon * sigma / sensitivity
    # e^eps * Phi(-a - b) overflows for large epsilon unless taken through the log.
    return float(ndtr(a - b) - math.exp(epsilon + log_ndtr(-a - b)))


def analytic_gaussian_sigma(epsilon: float, delta: float, sensitivity: float = SENSITIVITY) -> float:
    """The smallest noise scale for which the Gaussian mechanism is (epsilon, delta)-DP (bisection)."""
    if epsilon <= 0 or not 0 < delta < 1:
        raise ValueError("the Gaussian mechanism needs epsilon > 0 and 0 < delta < 1")
    low, high = 1e-6 * sensitivity, sensitivity
    while analytic_gaussian_delta(epsilon, high, sensitivity) > delta:
        high *= 2.0
    for _ in range(100):
        mid = 0.5 * (low + high)
        if analytic_gaussian_delta(epsilon, mid, sensitivity) > delta:
            low = mid
        else:
            high = mid
    return high


def count_labels(labels: Sequence[str], label_set: Sequence[str]) -> dict[str, int]:
    """Exact counts over the public label set (labels outside it are a data error upstream)."""
    counts = dict.fromkeys(label_set, 0)
    for label in labels:
        counts[label] += 1
    return counts


def normalise(values: Mapping[str, float]) -> dict[str, float]:
    """Clamp at 0 and scale to sum 1; all-zero falls back to uniform (nothing else is known)."""
    clamped = {label: max(0.0, float(value)) for label, value in values.items()}
    total = sum(clamped.values())
    if total <= 0:
        return {label: 1.0 / len(clamped) for label in clamped}
    return {label: value / total for label, value in clamped.items()}


def release_label_counts(
    labels: Sequence[str],
    label_set: Sequence[str],
    charger: PrivacyCharger,
    *,
    epsilon: float,
    delta: float,
    rng: np.random.Generator | None = None,
) -> LabelMix:
    """Charge (epsilon, delta) to the ledger, then release noisy counts as a mix.

    The charge is emitted before the noise is even drawn: a crash in between over-charges, never
    under-charges. The default noise source is seeded from the OS entropy pool so nobody can replay it.
    """
    sigma = analytic_gaussian_sigma(epsilon, delta)
    charger.privacy(mechanism=MECHANISM, epsilon=epsilon, delta=delta, steps=1)
    rng = rng or np.random.default_rng(secrets.randbits(128))
    counts = count_labels(labels, label_set)
    noise = rng.normal(0.0, sigma, size=len(counts))
    noisy = {label: count + float(n) for (label, count), n in zip(counts.items(), noise, strict=True)}
    return LabelMix(
        normalise(noisy),
        "dp-counts",
        epsilon=epsilon,
        delta=delta,
        sigma=sigma,
        noisy_counts=noisy,
    )


def exact_mix(labels: Sequence[str], label_set: Sequence[str]) -> LabelMix:
    """The true proportions: only for a non-private run, which promises nothing to protect."""
    return LabelMix(normalise(count_labels(labels, label_set)), "exact-counts")


def uniform_mix(label_set: Sequence[str]) -> LabelMix:
    return LabelMix({label: 1.0 / len(label_set) for label in label_set}, "uniform")


def custom_mix(weights: Mapping[str, float], label_set: Sequence[str]) -> LabelMix:
    """The owner's weights over the label set; labels they leave out get weight 0."""
    unknown = sorted(set(weights) - set(label_set))
    if unknown:
        raise BadInputError(f"sampling.labelMix.weights names labels the dataset does not have: {', '.join(unknown)}.")
    if sum(weights.values()) <= 0:
        raise BadInputError("sampling.labelMix.weights gives every label weight 0; give at least one a weight.")
    return LabelMix(normalise({label: weights.get(label, 0.0) for label in label_set}), "custom")


def allocate_rows(mix: Mapping[str, float], rows: int) -> dict[str, int]:
    """Split `rows` across labels by the largest-remainder method: exact total, each within 1 of its share."""
    quotas = {label: weight * rows for label, weight in mix.items()}
    allocation = {label: math.floor(quota) for label, quota in quotas.items()}
    left = rows - sum(allocation.values())
    # Ties break by label order so the allocation is deterministic.
    by_remainder = sorted(
        mix,
        key=lambda label: (
            -(quotas[label] - allocation[label]),
            list(mix).index(label),
        ),
    )
    for label in by_remainder[:left]:
        allocation[label] += 1
    return allocation


def choose_label_mix(
    sampling: SamplingSpec,
    privacy: PrivacySpec,
    labels: Sequence[str],
    label_set: Sequence[str],
    charger: PrivacyCharger,
    *,
    rng: np.random.Generator | None = None,
) -> tuple[LabelMix, str | None]:
    """The mix the spec asks for, and a note for the report when it had to be something else."""
    requested = sampling.labelMix
    if requested.kind == "uniform":
        return uniform_mix(label_set), None
    if requested.kind == "custom":
        return custom_mix(requested.weights, label_set), None
    share = privacy.labelCounts
    if share is not None:
        return release_label_counts(
            labels,
            label_set,
            charger,
            epsilon=share.epsilon,
            delta=share.delta,
            rng=rng,
        ), None
    if not is_private(privacy):
        return exact_mix(
            labels, label_set
        ), "A non-private run without a label-count share used the exact label counts."
    # Releasing counts without a share of the approved budget would spend privacy nobody approved.
    return uniform_mix(label_set), (
        "The job asked for DP label counts but gave them no share of its ε, "
        "so the label mix is uniform and cost nothing."
    )


def release_label_mix_once(
    spec: JobSpec,
    labels: Sequence[str],
    label_set: Sequence[str],
    charger: RunCharger,
    releases: ReleaseLog,
) -> tuple[LabelMix, str | None]:
    """The job's label mix, released at most once across all attempts, wherever they run.

    A released mix is read back from the job's release log and reused (reuse is free post-processing), its charge
    emitted again under the same release id, so the ledger has it whatever happened to the first attempt's events.
    "releasing" is logged before any count is drawn: a release that an attempt started but did not finish (a crash
    mid-release) was charged already; it is not repeated, since a second release would exceed the approved budget:
    that job samples with the free uniform mix instead.
    """
    saved = releases.read_label_mix()
    if saved is not None:
        release = ReleaseCharger(charger, saved["releaseId"])
        if saved["state"] == "released":
            mix = LabelMix(**saved["mix"])
            if mix.source == "dp-counts":
                release.privacy(mechanism=MECHANISM, epsilon=mix.epsilon, delta=mix.delta, steps=1)
            return mix, saved.get("note")
        share = spec.privacy.labelCounts
        release.privacy(mechanism=MECHANISM, epsilon=share.epsilon, delta=share.delta, steps=1)
        note = (
            "An earlier attempt was interrupted while releasing the DP label counts; they were charged but not "
            "kept, and releasing them again would exceed the budget, so the label mix is uniform."
        )
        mix = uniform_mix(label_set)
        releases.write_label_mix({**saved, "state": "released", "mix": asdict(mix), "note": note})
        return mix, note
    release = ReleaseCharger(charger, f"labels-{secrets.token_hex(6)}")
    if spec.sampling.labelMix.kind == "dp-counts" and spec.privacy.labelCounts is not None:
        releases.write_label_mix({"state": "releasing", "releaseId": release.release_id})
    mix, note = choose_label_mix(spec.sampling, spec.privacy, labels, label_set, release)
    releases.write_label_mix({"state": "released", "releaseId": release.release_id, "mix": asdict(mix), "note": note})
    return mix, note
