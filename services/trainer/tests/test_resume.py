"""Killing the trainer mid-run and resuming it continues the same run: same steps, same accountant."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dpsynth_trainer.data import parse_rows
from dpsynth_trainer.events import EventEmitter
from dpsynth_trainer.training import train
from training_support import LABELS, csv_bytes, fixture_rows, raw_spec, read_events, settings, spec, subprocess_env

N_ROWS = 160
KILL_AFTER_STEP = 3
OVERRIDES = {"training": {"epochs": 3, "checkpointEvery": 2}}  # 12 logical steps, a checkpoint every 2


def wait_for_step(events: Path, step: int, process: subprocess.Popen, timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the trainer ended before it could be killed"
        if events.exists():
            for line in events.read_text(encoding="utf-8").splitlines():
                event = json.loads(line) if line.endswith("}") else {}
                if event.get("type") == "metric" and event["step"] >= step:
                    return
        time.sleep(0.02)
    raise AssertionError(f"no step {step} within {timeout}s")


@pytest.mark.slow
def test_sigkill_after_k_steps_then_resume_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    raw = csv_bytes(fixture_rows(N_ROWS))
    data = tmp_path / "train.csv"
    data.write_bytes(raw)
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(raw_spec(N_ROWS, **OVERRIDES)))

    reference_out = tmp_path / "uninterrupted"
    reference = train(
        spec(N_ROWS, **OVERRIDES),
        parse_rows(raw, text_column="review", label_column="label", labels=LABELS),
        reference_out,
        EventEmitter.to_jsonl(reference_out / "events.jsonl", job_id="job_test"),
        settings=settings(),
    ).summary

    out = tmp_path / "killed"
    command = [sys.executable, "-m", "dpsynth_trainer", "train", "--spec", str(spec_file), "--data", str(data)]
    command += ["--out", str(out)]
    env = subprocess_env(dict(os.environ))
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_step(out / "events.jsonl", KILL_AFTER_STEP, process)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not (out / "training-summary.json").exists()
    started = json.loads((out / "checkpoints" / "progress.json").read_text())["startedStep"]
    assert started >= KILL_AFTER_STEP

    resumed = subprocess.run(
        [*command, "--resume", "--attempt", "2"], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    summary = json.loads((out / "training-summary.json").read_text())
    assert summary["steps"] == reference.steps == 12
    assert summary["epsilon"] == pytest.approx(reference.epsilon, abs=1e-6)
    assert summary["noiseMultiplier"] == reference.noiseMultiplier

    events = read_events(out / "events.jsonl")
    assert [e["seq"] for e in events] == list(range(len(events)))  # one sequence across both attempts
    second = [e for e in events if e["attempt"] == 2]
    first_privacy = next(e for e in second if e["type"] == "privacy")
    assert first_privacy["steps"] == started  # steps since the last checkpoint are charged, not forgotten
    assert any(e["type"] == "log" and f"Resumed at step {started}" in e["message"] for e in second)
    steps = [e["steps"] for e in events if e["type"] == "privacy"]
    assert steps == sorted(steps) and steps[-1] == 12
