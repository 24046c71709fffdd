"""Shared helpers of the training tests: specs for tiny models, the Rotten Tomatoes rows, settings."""

from __future__ import annotations

import copy
import csv
import io
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from dpsynth_trainer.config import TrainerSettings
from dpsynth_trainer.contract import JobSpec, parse_job_spec
from dpsynth_trainer.data import TrainingRows, parse_rows

FIXTURE = Path(__file__).parent / "fixtures" / "rotten_tomatoes_600.csv"
LABELS = ("fresh", "rotten")  # the fixture's label column, declared as every test's public label set
REPO = Path(__file__).resolve().parents[3]
# One model cache for every test and subprocess: the tiny models are materialised once.
MODEL_CACHE = REPO / ".dpsynth" / "test-model-cache"


def settings() -> TrainerSettings:
    return TrainerSettings(DPSYNTH_MODEL_CACHE=MODEL_CACHE, DPSYNTH_DEVICE="cpu")


def subprocess_env(base: dict[str, str]) -> dict[str, str]:
    return {**base, "DPSYNTH_MODEL_CACHE": str(MODEL_CACHE), "DPSYNTH_DEVICE": "cpu"}


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def raw_spec(n_rows: int, **overrides: Any) -> dict[str, Any]:
    """A job spec for a quick CPU run: tiny GPT-2 with LoRA, short rows, a handful of logical steps."""
    base = {
        "schemaVersion": 1,
        "jobId": "job_test",
        "datasetId": "ds_test",
        "model": {"id": "tiny-gpt2", "finetune": "lora"},
        "privacy": {"epsilon": 3, "delta": 1e-4, "maxGradNorm": 1.0, "accountant": "rdp"},
        "training": {
            "epochs": 2,
            "learningRate": 1e-3,
            "logicalBatchSize": 40,
            "physicalBatchSize": 20,
            "maxSeqLen": 32,
            "checkpointEvery": 2,
        },
        "sampling": {"rows": 10},
        "data": {
            "trainUri": "file:///nonexistent/train.csv",
            "holdoutUri": "file:///nonexistent/holdout.csv",
            "textColumn": "review",
            "labelColumn": "label",
            "labels": [{"value": label, "description": label} for label in LABELS],
            "trainRows": n_rows,
        },
        "outputUri": "file:///nonexistent/out/",
    }
    return merge(base, overrides)


def spec(n_rows: int, **overrides: Any) -> JobSpec:
    return parse_job_spec(raw_spec(n_rows, **overrides))


def fixture_rows(n: int) -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))[:n]


def csv_bytes(records: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode("utf-8")


def training_rows(n: int) -> TrainingRows:
    return parse_rows(csv_bytes(fixture_rows(n)), text_column="review", label_column="label", labels=LABELS)


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def wait_for_step(events: Path, step: int, process: subprocess.Popen, timeout: float = 400) -> None:
    """Until the trainer `process` reports logical step `step` (or a later one) in its `events` JSONL file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the trainer ended before the step was seen"
        if events.exists():
            for line in events.read_text(encoding="utf-8").splitlines():
                event = json.loads(line) if line.endswith("}") else {}
                if event.get("type") == "metric" and event["step"] >= step:
                    return
        time.sleep(0.02)
    raise AssertionError(f"no step {step} within {timeout}s")
