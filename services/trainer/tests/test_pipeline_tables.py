"""A table that is not movie reviews: support tickets with three numeric priorities, an ID column, and two other
columns synthesised beside the text, run as a whole job on a CPU with real DP-SGD.

The rows are written here from per-priority phrase pools (seeded), so the labels are learnable and no one's data
is involved.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from dpsynth_trainer import cli
from dpsynth_trainer.contract import validate_instance

HEADER = ["ticket_id", "channel", "body", "priority", "region"]
PRIORITIES = {
    "1": ("urgent: the service is down", ["outage", "cannot log in", "payments fail", "data lost", "site down"]),
    "2": ("normal: something is wrong", ["slow page", "wrong invoice", "missing email", "broken link"]),
    "3": ("low: a question or a wish", ["feature idea", "how do I", "thanks", "dark mode please", "question"]),
}
CHANNELS, REGIONS = ["email", "phone", "chat"], ["north", "south", "east", "west"]


def ticket_rows(count: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        priority = rng.choice(list(PRIORITIES))
        phrases = PRIORITIES[priority][1]
        body = f"{rng.choice(phrases).capitalize()}, {rng.choice(phrases)} since {rng.randint(1, 12)} today."
        rows.append(
            {
                "ticket_id": f"T-{seed}-{number:05d}",
                "channel": rng.choice(CHANNELS),
                "body": body,
                "priority": priority,
                "region": rng.choice(REGIONS),
            }
        )
    return rows


def write_table(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def tickets(tmp_path_factory):
    data, out = tmp_path_factory.mktemp("tickets"), tmp_path_factory.mktemp("tickets-out")
    train, holdout = ticket_rows(360, seed=1), ticket_rows(90, seed=2)
    write_table(data / "train.csv", train)
    write_table(data / "holdout.csv", holdout)
    spec = {
        "schemaVersion": 1,
        "jobId": "job_tickets",
        "datasetId": "ds_tickets",
        "model": {"id": "tiny-llama", "finetune": "lora"},
        "privacy": {"epsilon": 6, "delta": 1e-5, "labelCounts": {"epsilon": 0.5, "delta": 1e-6}},
        "training": {"epochs": 0.5, "learningRate": 1e-3, "logicalBatchSize": 60, "physicalBatchSize": 30},
        "sampling": {"rows": 30, "maxNewTokens": 16, "batchSize": 15},
        "evaluation": {"classifiers": ["tfidf"], "baselineRows": 0},
        "data": {
            "trainUri": (data / "train.csv").as_uri(),
            "holdoutUri": (data / "holdout.csv").as_uri(),
            "textColumn": "body",
            "labelColumn": "priority",
            "columns": ["channel", "region"],
            "labels": [{"value": value, "description": words} for value, (words, _) in PRIORITIES.items()],
            "subject": "support ticket",
            "trainRows": len(train),
        },
        "outputUri": out.as_uri(),
    }
    spec_path = data / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DPSYNTH_HOME", str(tmp_path_factory.mktemp("home")))
        env.setenv("DPSYNTH_MODEL_CACHE", str(tmp_path_factory.mktemp("models")))
        env.setenv("DPSYNTH_DEVICE", "cpu")
        env.delenv("REDIS_URL", raising=False)
        assert cli.main(["run", "--spec", str(spec_path), "--out", str(out)]) == 0
    with (out / "synthetic.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        synthetic = {"header": reader.fieldnames, "rows": list(reader)}
    events = [json.loads(line) for line in (out / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    return {
        "train": train,
        "report": json.loads((out / "report.json").read_text(encoding="utf-8")),
        "events": events,
        "synthetic": synthetic,
    }


def test_every_synthetic_row_has_the_chosen_columns_filled_and_a_declared_priority(tickets):
    synthetic = tickets["synthetic"]
    # The ID column was not chosen, so it is neither read for training nor written.
    assert set(synthetic["header"]) == {"body", "priority", "channel", "region"}
    assert synthetic["rows"], "the job delivered no row"
    for row in synthetic["rows"]:
        assert row["priority"] in PRIORITIES
        assert row["body"].strip()
        assert set(row) == set(synthetic["header"]) and None not in row.values()


def test_rows_delivered_are_the_rows_asked_or_the_result_says_how_many_are_missing(tickets):
    report, events = tickets["report"], tickets["events"]
    validate_instance("report", report)
    (result,) = [e for e in events if e["type"] == "result"]
    produced = len(tickets["synthetic"]["rows"])
    assert result["rows"] == {"requested": 30, "produced": produced}
    assert report["sampling"]["parsed"] == produced
    if produced < 30:
        assert any(f"Only {produced} of the 30 rows" in warning for warning in result["warnings"])
    assert report["data"]["labels"] == list(PRIORITIES) and report["data"]["columns"] == ["channel", "region"]


def test_the_prompt_names_the_subject_and_each_priority_in_the_owners_words(tickets):
    examples = tickets["report"]["prompt"]["examples"]
    assert set(examples) == set(PRIORITIES)
    for value, (words, _) in PRIORITIES.items():
        assert "support ticket" in examples[value] and words in examples[value]


def test_no_ticket_id_or_training_body_reaches_an_event(tickets):
    text = "\n".join(json.dumps(e) for e in tickets["events"])
    assert not [row for row in tickets["train"] if row["ticket_id"] in text or row["body"] in text]
