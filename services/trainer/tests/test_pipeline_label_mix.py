"""The label mix is released at most once per job, and every release is charged (no training needed here)."""

from __future__ import annotations

import json

import pytest

from dpsynth_trainer.data import parse_rows
from dpsynth_trainer.events import EventEmitter
from dpsynth_trainer.pipeline import LABEL_MIX_FILE, label_mix_once
from test_pipeline import make_spec, write_splits
from training_support import LABELS


@pytest.fixture
def setup(tmp_path):
    data_dir, out_dir = tmp_path / "data", tmp_path / "out"
    data_dir.mkdir()
    out_dir.mkdir()
    train_path, _, train, _ = write_splits(data_dir)
    rows = parse_rows(train_path.read_bytes(), text_column="review", label_column="label", labels=LABELS)
    events = out_dir / "events.jsonl"

    def run(**overrides):
        spec = make_spec(data_dir, out_dir, len(train), **overrides)
        return label_mix_once(spec, rows, EventEmitter.to_jsonl(events, job_id="j"), out_dir)

    def charges():
        if not events.exists():
            return []
        lines = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
        return [(e["mechanism"], e["epsilon"], e["delta"]) for e in lines if e["type"] == "privacy"]

    return run, charges, out_dir


def test_dp_counts_are_released_once_and_a_retry_reuses_them_with_the_same_charge(setup):
    run, charges, _ = setup
    first, _ = run()
    assert first.source == "dp-counts"
    assert charges() == [("gaussian-label-counts", 0.5, 1e-6)]
    again, _ = run()
    assert again == first  # reused, not drawn again
    # The charge is cumulative per mechanism, so repeating it charges nothing more.
    assert charges() == [("gaussian-label-counts", 0.5, 1e-6)] * 2


def test_an_interrupted_release_is_charged_and_never_repeated(setup):
    run, charges, out_dir = setup
    (out_dir / LABEL_MIX_FILE).write_text(json.dumps({"state": "releasing"}), encoding="utf-8")
    mix, note = run()
    assert mix.source == "uniform"
    assert "interrupted" in note
    assert charges() == [("gaussian-label-counts", 0.5, 1e-6)]


def test_a_uniform_mix_is_not_charged(setup):
    run, charges, _ = setup
    sampling = {"rows": 10, "labelMix": {"kind": "uniform"}}
    mix, note = run(sampling=sampling)
    assert (mix.source, note, charges()) == ("uniform", None, [])
