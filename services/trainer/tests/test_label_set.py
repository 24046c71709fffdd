"""The label set released with DP (a thresholded noisy histogram) for owners who do not declare their labels."""

import json
import math

import numpy as np
import pytest

from dpsynth_trainer.contract import parse_job_spec
from dpsynth_trainer.errors import BadInputError
from dpsynth_trainer.label_counts import analytic_gaussian_delta, analytic_gaussian_sigma
from dpsynth_trainer.label_set import (
    MECHANISM,
    mix_from_release,
    release_label_set,
    release_label_set_once,
    single_row_survival,
    threshold_for,
    with_released_labels,
)
from dpsynth_trainer.releases import ReleaseLog
from training_support import raw_spec

SHARES = [(0.1, 1e-6), (0.4, 5e-7), (1.0, 1e-5), (3.0, 1e-7), (8.0, 1e-9)]


class RecordingCharger:
    def __init__(self) -> None:
        self.charges: list[dict] = []

    def privacy(self, **charge):
        self.charges.append(charge)


@pytest.mark.parametrize(("epsilon", "delta"), SHARES)
def test_a_label_held_by_one_row_is_released_with_probability_at_most_delta(epsilon, delta):
    sigma = analytic_gaussian_sigma(epsilon, delta)
    threshold = threshold_for(sigma, delta)
    # Exactly delta, analytically: P[1 + N(0, sigma^2) > threshold].
    survival = single_row_survival(sigma, threshold)
    assert survival <= delta * (1 + 1e-9)
    assert survival == pytest.approx(delta, rel=1e-6)
    # The same probability from the normal tail computed another way (erfc), not through the code's own helper.
    assert 0.5 * math.erfc((threshold - 1) / (sigma * math.sqrt(2))) == pytest.approx(delta, rel=1e-6)
    # And the counts of labels both neighbours hold are the (epsilon, delta) Gaussian mechanism.
    assert analytic_gaussian_delta(epsilon, sigma) <= delta


def test_a_seeded_simulation_finds_one_row_labels_released_at_rate_delta():
    """100,000 labels of one row each, in one release: the share released is delta, within sampling error."""
    epsilon, delta, n = 1.0, 0.01, 100_000
    labels = [f"solo-{i}" for i in range(n)]
    release = release_label_set(labels, RecordingCharger(), epsilon=epsilon, delta=delta, rng=np.random.default_rng(7))
    released = len(release.labels)
    standard_error = math.sqrt(n * delta * (1 - delta))
    assert released <= n * delta + 4 * standard_error
    # Calibrated, not merely conservative: the rate is delta itself.
    assert released >= n * delta - 4 * standard_error


def test_labels_under_the_threshold_appear_nowhere_in_the_release():
    labels = ["fresh"] * 400 + ["rotten"] * 300 + ["one-of-a-kind"]
    release = release_label_set(labels, RecordingCharger(), epsilon=1.0, delta=1e-6, rng=np.random.default_rng(0))
    assert release.labels == ["fresh", "rotten"]
    assert set(release.noisy_counts) == {"fresh", "rotten"}
    assert release.threshold > 1


def test_the_release_is_charged_before_any_noise_is_drawn():
    charger = RecordingCharger()

    class Exploding:
        def normal(self, *args, **kwargs):
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        release_label_set(["a", "b"], charger, epsilon=0.4, delta=5e-7, rng=Exploding())
    assert charger.charges == [{"mechanism": MECHANISM, "epsilon": 0.4, "delta": 5e-7, "steps": 1}]


# --- the job's one release ---------------------------------------------------------------------------------------


def dp_spec(output, **overrides):
    raw = raw_spec(
        800,
        privacy={"epsilon": 3, "delta": 1e-5, "labelSet": {"epsilon": 1.0, "delta": 1e-6}},
        data={"labelSource": "dp-histogram", "labels": []},
        outputUri=output.as_uri(),
        **overrides,
    )
    return parse_job_spec(raw)


LABELS = ["fresh"] * 400 + ["rotten"] * 399 + ["one-of-a-kind"]


def test_the_label_set_is_released_once_per_job_and_a_retry_charges_the_same_release(tmp_path):
    output, charger = tmp_path / "out", RecordingCharger()
    spec = dp_spec(output)
    first = release_label_set_once(spec, LABELS, charger, ReleaseLog(spec.outputUri))
    [charge] = charger.charges
    assert charge == {"mechanism": MECHANISM, "run_id": charge["run_id"], "epsilon": 1.0, "delta": 1e-6, "steps": 1}
    saved = (output / "label-set.json").read_text()
    assert "one-of-a-kind" not in saved  # the log keeps released labels only
    # A retry (a fresh process, the same job output) reuses the release: the same labels and noise, the same id.
    again = release_label_set_once(spec, LABELS, charger, ReleaseLog(spec.outputUri))
    assert again == first and again.labels == ["fresh", "rotten"]
    assert charger.charges == [charge, charge]
    # The ledger adds charges per (mechanism, run): what it is told sums to the mechanism's epsilon once.
    by_run = {(c["mechanism"], c["run_id"]): c["epsilon"] for c in charger.charges}
    assert sum(by_run.values()) == pytest.approx(1.0)


def test_an_interrupted_release_is_charged_and_fails_the_job_instead_of_drawing_again(tmp_path):
    output, charger = tmp_path / "out", RecordingCharger()
    output.mkdir()
    (output / "label-set.json").write_text(json.dumps({"state": "releasing", "releaseId": "labelset-1"}))
    spec = dp_spec(output)
    with pytest.raises(BadInputError, match="interrupted while releasing the label set") as raised:
        release_label_set_once(spec, LABELS, charger, ReleaseLog(spec.outputUri))
    assert not raised.value.retryable
    assert charger.charges == [
        {"mechanism": MECHANISM, "run_id": "labelset-1", "epsilon": 1.0, "delta": 1e-6, "steps": 1}
    ]


def test_too_few_released_labels_fail_clearly_without_naming_the_hidden_ones(tmp_path):
    spec = dp_spec(tmp_path / "out")
    labels = ["fresh"] * 400 + ["rare-a", "rare-b", "rare-b"]
    with pytest.raises(BadInputError, match="Only 1 label") as raised:
        release_label_set_once(spec, labels, RecordingCharger(), ReleaseLog(spec.outputUri))
    assert "rare" not in str(raised.value)


def test_the_released_counts_are_the_label_mix_and_the_spec_names_only_released_labels(tmp_path):
    spec = dp_spec(tmp_path / "out")
    release = release_label_set(LABELS, RecordingCharger(), epsilon=1.0, delta=1e-6, rng=np.random.default_rng(1))
    released = with_released_labels(spec, release)
    assert [label.value for label in released.data.labels] == ["fresh", "rotten"]
    mix = mix_from_release(released, release)
    assert mix.source == "dp-label-set" and set(mix.weights) == {"fresh", "rotten"}
    assert sum(mix.weights.values()) == pytest.approx(1.0)
    uniform_spec = dp_spec(tmp_path / "o2", sampling={"rows": 10, "labelMix": {"kind": "uniform"}})
    uniform = mix_from_release(uniform_spec, release)
    assert uniform.weights == {"fresh": 0.5, "rotten": 0.5}
