"""Killing the trainer mid-run and resuming it continues the same run: same steps, same accountant. Where the
checkpoint is gone, a new run starts and its accounting continues the earlier run's."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dpsynth_trainer.data import parse_rows
from dpsynth_trainer.events import EventEmitter
from dpsynth_trainer.releases import ReleaseLog
from dpsynth_trainer.training import train
from dpsynth_trainer.training.accounting import PrivacyMeter
from training_support import (
    LABELS,
    csv_bytes,
    fixture_rows,
    raw_spec,
    read_events,
    settings,
    spec,
    subprocess_env,
    wait_for_step,
)

N_ROWS = 160
KILL_AFTER_STEP = 3
OVERRIDES = {"training": {"epochs": 3, "checkpointEvery": 2}}  # 12 logical steps, a checkpoint every 2


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


class _KilledAfterStep(Exception):
    """Stands in for SIGKILL: raised from inside the training loop, so no handler or checkpoint runs after it."""


class _DiesAtStep:
    """An event sink that kills the run when step `step` reports its loss: the step's update happened, its privacy
    event was never written, and the step stays recorded as started."""

    def __init__(self, step: int) -> None:
        self.step = step

    def write(self, event: dict) -> None:
        if event["type"] == "metric" and event["step"] == self.step:
            raise _KilledAfterStep


def test_a_run_whose_checkpoint_is_gone_is_followed_by_a_new_run_charged_in_addition(tmp_path: Path) -> None:
    rows = parse_rows(csv_bytes(fixture_rows(N_ROWS)), text_column="review", label_column="label", labels=LABELS)
    # 4 steps at sampling rate 1/4, a checkpoint every 2, approved epsilon 3, delta 1e-4, RDP; killed in step 3.
    job = spec(N_ROWS, training={"epochs": 1, "checkpointEvery": 2})
    releases = ReleaseLog((tmp_path / "output").as_uri())  # the job's output in the blob store
    work = tmp_path / "work"  # a trainer's own work directory
    events_path = tmp_path / "events.jsonl"
    first = EventEmitter.to_jsonl(events_path, job_id=job.jobId)
    first.sinks.append(_DiesAtStep(3))
    umask = os.umask(0o022)  # a typical umask: files 0644 and folders 0755 unless the trainer says otherwise
    try:
        with pytest.raises(_KilledAfterStep):
            train(job, rows, work, first, settings=settings(), releases=releases)
        # Sampler and noise states are in the checkpoint: never readable by anyone but the trainer's user.
        assert (work / "checkpoints").stat().st_mode & 0o777 == 0o700
        for name in ("latest.pt", "progress.json"):
            assert (work / "checkpoints" / name).stat().st_mode & 0o777 == 0o600, name
    finally:
        os.umask(umask)
    shutil.rmtree(work)  # the next attempt runs where this work directory does not exist

    second = EventEmitter.to_jsonl(events_path, job_id=job.jobId, attempt=2)
    summary = train(job, rows, work, second, resume=True, settings=settings(), releases=releases).summary

    events = read_events(events_path)
    privacy = [e for e in events if e["type"] == "privacy"]
    first_run, second_run = dict.fromkeys(e["runId"] for e in privacy)
    assert summary.runId == second_run and summary.steps == 4
    assert any(e["type"] == "log" and "No checkpoint of this job's earlier 1 run(s)" in e["message"] for e in events)
    # What the ledger will hold: the last cumulative charge of each run, added up.
    last = {e["runId"]: e for e in privacy}
    assert sum(e["epsilon"] for e in last.values()) == pytest.approx(summary.epsilon, abs=1e-9)
    assert 3 - 0.01 <= summary.epsilon <= 3  # the new run's noise was calibrated to what the first run left
    assert [last[first_run]["delta"], last[second_run]["delta"]] == [1e-4, 0.0]  # delta charged once
    # The killed run is charged for the step it started and never reported.
    reported_before_kill = [e for e in privacy if e["attempt"] == 1]
    assert reported_before_kill[-1]["steps"] == 2
    assert last[first_run]["steps"] == 3
    assert last[first_run]["epsilon"] > reported_before_kill[-1]["epsilon"]
    steps_charged = PrivacyMeter("rdp", 1e-4).epsilon([(summary.noiseMultiplier, 0.25, 4)])
    assert last[second_run]["epsilon"] < steps_charged  # the second run reports what it adds, not its own total
