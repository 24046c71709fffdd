"""The label set a job samples: the owner's declared one, or one released from the training split with DP.

An owner who cannot declare the labels lets the trainer release them with a thresholded noisy histogram
(mechanism "gaussian-label-set"): every label the training split holds gets its count plus Gaussian noise, and
only labels whose noisy count clears a threshold are released. Neighbouring datasets differ by adding or removing
one row, which moves one label's count by 1 (L2 sensitivity 1). Two cases cover every neighbouring pair:

- the row's label is held by other rows too: both datasets have the label, and the release is the analytic
  Gaussian mechanism (`label_counts.analytic_gaussian_sigma`, calibrated to (epsilon, delta)) followed by a
  threshold: post-processing, (epsilon, delta)-DP;
- the row is its label's only one: the label is missing from the neighbour, and the outputs differ only when the
  label appears, which happens with probability P[1 + N(0, sigma^2) > threshold]. The threshold is set so that
  this is exactly delta (`threshold_for`), so this case is (0, delta)-DP.

Every pair is one case or the other, so the release is (epsilon, delta)-DP and the ledger is charged exactly the
share the spec gives it. Labels under the threshold, and their counts, are dropped before anything is kept: they
never reach the release log, the prompts, sampling, synthetic.csv, the report or any event. The released noisy
counts also give the label mix (post-processing), so one release serves both.

A job releases its label set at most once (`release_label_set_once`), kept in the job's release log like the
label mix, so a retry reuses it for free.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr, ndtri

from .contract import LabelSpec, label_values
from .data import TrainingRows, read_split
from .errors import BadInputError
from .label_counts import (
    SENSITIVITY,
    LabelMix,
    PrivacyCharger,
    ReleaseCharger,
    RunCharger,
    analytic_gaussian_sigma,
    custom_mix,
    normalise,
    release_label_mix_once,
    uniform_mix,
)

if TYPE_CHECKING:
    from .contract import JobSpec
    from .releases import ReleaseLog

MECHANISM = "gaussian-label-set"
MIN_LABELS = 2


def threshold_for(sigma: float, delta: float, sensitivity: float = SENSITIVITY) -> float:
    """The noisy count a label must exceed: a label held by one row (count 1) clears it with probability delta."""
    # P[1 + sigma Z > t] = Phi((1 - t) / sigma) = delta  <=>  t = 1 - sigma Phi^-1(delta).
    return sensitivity - sigma * float(ndtri(delta))


def single_row_survival(sigma: float, threshold: float, sensitivity: float = SENSITIVITY) -> float:
    """The probability that a label held by one row is released (its noisy count clears the threshold)."""
    return float(ndtr((sensitivity - threshold) / sigma))


@dataclass(frozen=True)
class LabelSetRelease:
    """The released labels (in value order) with their noisy counts, and what the release cost."""

    noisy_counts: dict[str, float]
    epsilon: float
    delta: float
    sigma: float
    threshold: float

    @property
    def labels(self) -> list[str]:
        return list(self.noisy_counts)


def release_label_set(
    labels: Sequence[str],
    charger: PrivacyCharger,
    *,
    epsilon: float,
    delta: float,
    rng: np.random.Generator | None = None,
) -> LabelSetRelease:
    """Charge (epsilon, delta), then release the labels whose noisy count clears the threshold.

    As with the label counts, the charge comes before the noise is drawn (a crash in between over-charges, never
    under-charges) and the noise is seeded from the OS entropy pool. Labels are visited in value order, so the
    output's order says nothing about where in the file a label first occurs.
    """
    sigma = analytic_gaussian_sigma(epsilon, delta)
    threshold = threshold_for(sigma, delta)
    charger.privacy(mechanism=MECHANISM, epsilon=epsilon, delta=delta, steps=1)
    rng = rng or np.random.default_rng(secrets.randbits(128))
    counts = Counter(labels)
    detected = sorted(counts)
    noise = rng.normal(0.0, sigma, size=len(detected))
    noisy = {label: counts[label] + float(n) for label, n in zip(detected, noise, strict=True)}
    released = {label: count for label, count in noisy.items() if count > threshold}
    return LabelSetRelease(released, epsilon=epsilon, delta=delta, sigma=sigma, threshold=threshold)


def mix_from_release(spec: JobSpec, release: LabelSetRelease) -> LabelMix:
    """The label mix over the released set: its noisy counts (free post-processing), uniform, or the owner's."""
    requested = spec.sampling.labelMix
    if requested.kind == "uniform":
        return uniform_mix(release.labels)
    if requested.kind == "custom":
        return custom_mix(requested.weights, release.labels)
    return LabelMix(normalise(release.noisy_counts), "dp-label-set", noisy_counts=dict(release.noisy_counts))


def with_released_labels(spec: JobSpec, release: LabelSetRelease, *, train_rows: int | None = None) -> JobSpec:
    """The spec with the released labels as its label set (each described by its value: nobody wrote words).

    `train_rows`, the rows of released labels, replaces `data.trainRows`, so no later message compares it with the
    count of every row (their difference would count the rows of labels under the threshold).
    """
    labels = [LabelSpec(value=label, description=label) for label in release.labels]
    data = {"labels": labels, **({"trainRows": train_rows} if train_rows is not None else {})}
    return spec.model_copy(update={"data": spec.data.model_copy(update=data)})


def require_declared(spec: JobSpec, command: str) -> None:
    """Refuse a spec whose label set is still to be released: only `run` releases it (and charges it) first."""
    if spec.data.labelSource == "dp-histogram":
        raise BadInputError(
            f"`{command}` needs a declared label set; this spec's is released with DP by `run`, which charges it."
        )


def _check_enough(release: LabelSetRelease) -> None:
    if len(release.labels) < MIN_LABELS:
        raise BadInputError(
            f"Only {len(release.labels)} label(s) held enough training rows to pass the differential-privacy "
            f"threshold (a noisy count above {release.threshold:.0f} at epsilon {release.epsilon:.3g}, delta "
            f"{release.delta:.2g}); at least {MIN_LABELS} are needed. The release was charged to the budget. Declare "
            "the labels at upload, or give the job a larger epsilon."
        )


def release_label_set_once(
    spec: JobSpec, labels: Sequence[str], charger: RunCharger, releases: ReleaseLog
) -> LabelSetRelease:
    """The job's released label set, drawn at most once across all attempts, wherever they run.

    A saved release is reused (free) and its charge emitted again under the same release id, so the ledger has it
    whatever happened to the first attempt's events. A release an attempt started but did not finish was charged
    already and is not repeated (that would exceed the approved budget): the job fails and says why.
    """
    share = spec.privacy.labelSet
    if share is None:
        raise BadInputError("data.labelSource is dp-histogram but privacy.labelSet gives the release no budget.")
    saved = releases.read_label_set()
    if saved is not None:
        release = ReleaseCharger(charger, saved["releaseId"])
        release.privacy(mechanism=MECHANISM, epsilon=share.epsilon, delta=share.delta, steps=1)
        if saved["state"] != "released":
            raise BadInputError(
                "An earlier attempt was interrupted while releasing the label set with differential privacy; it was "
                "charged but not kept, and releasing it again would exceed the approved budget. Start a new job."
            )
        kept = LabelSetRelease(**saved["labelSet"])
        _check_enough(kept)
        return kept
    release = ReleaseCharger(charger, f"labelset-{secrets.token_hex(6)}")
    releases.write_label_set({"state": "releasing", "releaseId": release.release_id})
    kept = release_label_set(labels, release, epsilon=share.epsilon, delta=share.delta)
    releases.write_label_set({"state": "released", "releaseId": release.release_id, "labelSet": asdict(kept)})
    _check_enough(kept)
    return kept


@dataclass(frozen=True)
class ResolvedLabels:
    """The spec with the label set the job samples, its training rows, the label mix, and the DP label-set release."""

    spec: JobSpec
    train_rows: TrainingRows
    mix: LabelMix
    note: str | None
    label_set: LabelSetRelease | None


def resolve_label_set(
    spec: JobSpec, train_rows: TrainingRows, charger: RunCharger, releases: ReleaseLog
) -> ResolvedLabels:
    """The declared label set, or the one released with DP; either way released (and charged) once per job.

    With a DP label set, the rows of labels under the threshold are read only by the release itself: the returned
    spec names the released labels, so training, prompts, sampling, the holdout and the report see nothing else.
    """
    labels = [row.label for row in train_rows.rows]
    if spec.data.labelSource != "dp-histogram":
        mix, note = release_label_mix_once(spec, labels, label_values(spec.data), charger, releases)
        return ResolvedLabels(spec, train_rows, mix, note, None)
    release = release_label_set_once(spec, labels, charger, releases)
    released_rows = read_split(spec.data.trainUri, with_released_labels(spec, release))
    released = with_released_labels(spec, release, train_rows=len(released_rows.rows))
    mix = mix_from_release(released, release)
    return ResolvedLabels(released, released_rows, mix, None, release)
