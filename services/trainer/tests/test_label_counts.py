import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dpsynth_trainer.errors import BadInputError
from dpsynth_trainer.label_counts import (
    MECHANISM,
    allocate_rows,
    analytic_gaussian_delta,
    analytic_gaussian_sigma,
    choose_label_mix,
    custom_mix,
    release_label_counts,
    uniform_mix,
)


class RecordingCharger:
    def __init__(self) -> None:
        self.charges: list[dict] = []

    def privacy(self, **charge):
        self.charges.append(charge)


@pytest.mark.parametrize(("epsilon", "delta"), [(0.1, 1e-6), (1.0, 1e-5), (3.0, 1e-5), (8.0, 1e-7)])
def test_sigma_is_the_smallest_that_meets_epsilon_delta(epsilon, delta):
    sigma = analytic_gaussian_sigma(epsilon, delta)
    assert analytic_gaussian_delta(epsilon, sigma) <= delta
    assert analytic_gaussian_delta(epsilon, sigma * 0.99) > delta


def test_analytic_sigma_beats_the_classic_bound_where_that_holds():
    classic = math.sqrt(2 * math.log(1.25 / 1e-5)) / 0.5
    assert analytic_gaussian_sigma(0.5, 1e-5) < classic


def test_the_released_noise_has_the_calibrated_scale():
    """Statistical check: the noise actually drawn has the standard deviation (epsilon, delta) demands."""
    epsilon, delta = 1.0, 1e-5
    label_set = [f"l{i}" for i in range(40)]
    labels = [label for label in label_set for _ in range(100)]
    rng = np.random.default_rng(0)
    noise = []
    for _ in range(100):
        mix = release_label_counts(labels, label_set, RecordingCharger(), epsilon=epsilon, delta=delta, rng=rng)
        noise.extend(count - 100 for count in mix.noisy_counts.values())
    sigma = analytic_gaussian_sigma(epsilon, delta)
    assert abs(np.mean(noise)) < 4 * sigma / math.sqrt(len(noise))
    # The sample std of 4000 normals is within 5% of the truth with overwhelming probability.
    assert np.std(noise) == pytest.approx(sigma, rel=0.05)


def test_a_release_is_charged_before_the_mix_exists():
    charger = RecordingCharger()
    mix = release_label_counts(["x", "y", "y"], ["x", "y"], charger, epsilon=0.3, delta=1e-6)
    assert charger.charges == [{"mechanism": MECHANISM, "epsilon": 0.3, "delta": 1e-6, "steps": 1}]
    assert mix.source == "dp-counts" and (mix.epsilon, mix.delta) == (0.3, 1e-6)
    assert sum(mix.weights.values()) == pytest.approx(1.0)
    assert all(w >= 0 for w in mix.weights.values())


def test_uniform_and_custom_mixes_cost_nothing():
    assert uniform_mix(["a", "b", "c", "d"]).weights == {
        "a": 0.25,
        "b": 0.25,
        "c": 0.25,
        "d": 0.25,
    }
    custom = custom_mix({"a": 3, "b": 1}, ["a", "b", "c"])
    assert custom.weights == {"a": 0.75, "b": 0.25, "c": 0.0}
    assert (custom.epsilon, uniform_mix(["a"]).epsilon) == (0.0, 0.0)


def test_a_custom_mix_with_unknown_labels_is_refused():
    with pytest.raises(BadInputError, match="does not have: z"):
        custom_mix({"z": 1.0}, ["a", "b"])


@given(
    weights=st.lists(st.floats(min_value=0, max_value=1e3), min_size=1, max_size=12).filter(lambda w: sum(w) > 0),
    rows=st.integers(min_value=0, max_value=10_000),
)
def test_largest_remainder_allocates_every_row_within_one_of_its_share(weights, rows):
    mix = {f"l{i}": w / sum(weights) for i, w in enumerate(weights)}
    allocation = allocate_rows(mix, rows)
    assert sum(allocation.values()) == rows
    for label, count in allocation.items():
        assert abs(count - mix[label] * rows) < 1 + 1e-9


def _spec_parts(label_mix, *, epsilon=8, label_counts=None):
    from dpsynth_trainer.contract import parse_job_spec

    spec = parse_job_spec(
        {
            "schemaVersion": 1,
            "jobId": "j",
            "datasetId": "d",
            "model": {"id": "tiny-gpt2"},
            "privacy": {"epsilon": epsilon, "delta": 1e-5, "labelCounts": label_counts},
            "sampling": {"rows": 10, "labelMix": label_mix},
            "data": {
                "trainUri": "file:///t",
                "holdoutUri": "file:///h",
                "textColumn": "t",
                "labelColumn": "l",
                "labels": [{"value": "a", "description": "a"}, {"value": "b", "description": "b"}],
                "trainRows": 10,
            },
            "outputUri": "file:///o",
        }
    )
    return spec.sampling, spec.privacy


def test_the_spec_decides_the_mix_and_only_dp_counts_are_charged():
    labels, label_set = ["a", "a", "a", "b"], ["a", "b"]
    charger = RecordingCharger()
    mix, note = choose_label_mix(*_spec_parts({"kind": "uniform"}), labels, label_set, charger)
    assert (mix.source, note, charger.charges) == ("uniform", None, [])
    mix, _ = choose_label_mix(
        *_spec_parts({"kind": "custom", "weights": {"b": 2}}),
        labels,
        label_set,
        charger,
    )
    assert (mix.weights, charger.charges) == ({"a": 0.0, "b": 1.0}, [])
    share = {"epsilon": 0.5, "delta": 1e-6}
    mix, _ = choose_label_mix(
        *_spec_parts({"kind": "dp-counts"}, label_counts=share),
        labels,
        label_set,
        charger,
    )
    assert mix.source == "dp-counts"
    assert charger.charges == [{"mechanism": MECHANISM, "epsilon": 0.5, "delta": 1e-6, "steps": 1}]


def test_dp_counts_without_a_share_never_spend_unapproved_privacy():
    charger = RecordingCharger()
    mix, note = choose_label_mix(*_spec_parts({"kind": "dp-counts"}), ["a", "b"], ["a", "b"], charger)
    assert (mix.source, charger.charges) == ("uniform", [])
    assert "no share" in note
    mix, note = choose_label_mix(
        *_spec_parts({"kind": "dp-counts"}, epsilon="inf"),
        ["a", "a", "a", "b"],
        ["a", "b"],
        charger,
    )
    assert (mix.source, mix.weights, charger.charges) == (
        "exact-counts",
        {"a": 0.75, "b": 0.25},
        [],
    )


# --- the job's one release of label counts ---------------------------------------------------------------------


@pytest.fixture
def release_once(tmp_path):
    """`release_label_mix_once` for a job whose output (its release log) is `tmp_path / "out"`."""
    from dpsynth_trainer.contract import parse_job_spec
    from dpsynth_trainer.label_counts import release_label_mix_once
    from dpsynth_trainer.releases import ReleaseLog
    from training_support import raw_spec

    output = tmp_path / "out"
    charger = RecordingCharger()
    labels = ["fresh"] * 30 + ["rotten"] * 10

    def run(**overrides):
        privacy = {"epsilon": 3, "delta": 1e-5, "labelCounts": {"epsilon": 0.5, "delta": 1e-6}}
        spec = parse_job_spec(raw_spec(40, privacy=privacy, outputUri=output.as_uri(), **overrides))
        return release_label_mix_once(spec, labels, ["fresh", "rotten"], charger, ReleaseLog(spec.outputUri))

    return run, charger, output


def test_dp_counts_are_released_once_per_job_and_every_retry_reuses_them_with_the_same_charge(release_once):
    run, charger, output = release_once
    first, _ = run()
    assert first.source == "dp-counts"
    [charge] = charger.charges
    assert charge == {"mechanism": MECHANISM, "run_id": charge["run_id"], "epsilon": 0.5, "delta": 1e-6, "steps": 1}
    # Kept with the job's output in the blob store, not in a work directory a later attempt may not have.
    assert (output / "label-mix.json").exists()
    again, _ = run()
    assert again == first  # reused, not drawn again
    # The same release id: the ledger charges a release cumulatively, so repeating it charges nothing more.
    assert charger.charges == [charge, charge]


def test_an_interrupted_release_is_charged_and_never_repeated(release_once):
    run, charger, output = release_once
    output.mkdir()
    (output / "label-mix.json").write_text(json.dumps({"state": "releasing", "releaseId": "labels-1"}))
    mix, note = run()
    assert mix.source == "uniform"
    assert "interrupted" in note
    assert charger.charges == [
        {"mechanism": MECHANISM, "run_id": "labels-1", "epsilon": 0.5, "delta": 1e-6, "steps": 1}
    ]
    assert json.loads((output / "label-mix.json").read_text())["state"] == "released"


def test_a_uniform_mix_is_not_charged(release_once):
    run, charger, _ = release_once
    mix, note = run(sampling={"rows": 10, "labelMix": {"kind": "uniform"}})
    assert (mix.source, note, charger.charges) == ("uniform", None, [])
