"""A trainer of two devices (TRAINER_DEVICES=2) on a real Redis and real BullMQ, running jobs under `torchrun`.

The worker takes a two-device job off its own queue (`train-2gpu`) and runs the real pipeline as two CPU processes
(gloo) on the tiny GPT-2: events reach the job's Redis stream once (rank 0 alone speaks), privacy releases are
charged once per step, the artifacts are the one-device job's. The first trainer is stopped mid-training as SIGTERM
stops it: the job goes back to the queue with a checkpoint, and a second trainer resumes it with the same accountant.
A cancel flag stops the processes between steps, and the owner sees the cancel.

Slow: three `torchrun` launches of two processes each (a few minutes of CPU on two cores).
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis
from bullmq import Queue

from dpsynth_trainer.config import TrainerSettings
from dpsynth_trainer.contract import constants, parse_job_spec, queue_for
from dpsynth_trainer.errors import CancelledError, OutOfMemoryError, TrainerError
from dpsynth_trainer.pipeline import ARTIFACTS
from dpsynth_trainer.torchrun_job import WorkerLink, reported_error, torchrun_command
from dpsynth_trainer.worker import TrainingWorker
from training_support import MODEL_CACHE, REPO, fixture_rows, raw_spec

REDIS_URL = os.environ.get("REDIS_URL")
FIXTURES = REPO / "packages" / "contracts" / "fixtures"
N_ROWS = 120
HOLDOUT_ROWS = 40
STEPS = 20  # five epochs at sampling rate 30/120: long enough to be stopped mid-way

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set (npm test starts a Redis)")


def write_split(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["review", "label"])
        writer.writeheader()
        writer.writerows(rows)


def two_device_spec(job_id: str, data: Path, out: Path) -> dict[str, Any]:
    rows = fixture_rows(N_ROWS + HOLDOUT_ROWS)
    write_split(data / "train.csv", rows[:N_ROWS])
    write_split(data / "holdout.csv", rows[N_ROWS:])
    spec = raw_spec(
        N_ROWS,
        privacy={"epsilon": 3, "delta": 1e-4, "maxGradNorm": 1.0, "accountant": "rdp"},
        training={"epochs": 5, "logicalBatchSize": 30, "physicalBatchSize": 15, "checkpointEvery": 1, "devices": 2},
        sampling={"rows": 6, "maxNewTokens": 8, "batchSize": 6, "labelMix": {"kind": "uniform"}, "rescoring": False},
        evaluation={"classifiers": ["tfidf"], "baselineRows": 0},
    )
    spec["privacy"]["labelCounts"] = None
    spec["jobId"] = job_id
    spec["data"] |= {"trainUri": (data / "train.csv").as_uri(), "holdoutUri": (data / "holdout.csv").as_uri()}
    spec["outputUri"] = out.as_uri()
    return spec


class TwoDeviceQueue:
    """The `train-2gpu` queue under a prefix of its own, trainers of two devices on it, and what they wrote."""

    def __init__(self, home: Path) -> None:
        assert REDIS_URL
        self.prefix = f"test-{uuid.uuid4().hex[:10]}"
        self.settings = TrainerSettings(
            REDIS_URL=REDIS_URL,
            DPSYNTH_QUEUE_PREFIX=self.prefix,
            DPSYNTH_HOME=home,
            DPSYNTH_MODEL_CACHE=MODEL_CACHE,
            DPSYNTH_DEVICE="cpu",
            TRAINER_DEVICES=2,
            # A busy two-core machine running two training processes: a lock that outlives a slow renewal.
            DPSYNTH_LOCK_DURATION_MS=30_000,
            DPSYNTH_STALLED_INTERVAL_MS=5_000,
        )
        self.queue = Queue(queue_for(2), {"connection": REDIS_URL, "prefix": self.prefix})
        self.redis = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        self.job_ids: list[str] = []

    def trainer(self) -> TrainingWorker:
        return TrainingWorker(settings=self.settings)  # the real `run_job`: a `torchrun` of two processes

    async def add(self, spec: dict[str, Any], *, attempts: int = 2) -> None:
        self.job_ids.append(spec["jobId"])
        opts = {"jobId": spec["jobId"], "attempts": attempts, "backoff": {"type": "fixed", "delay": 100}}
        await self.queue.add(constants().job_name, spec, opts)

    def events(self, job_id: str) -> list[dict[str, Any]]:
        entries = self.redis.xrange(f"{constants().events_stream_prefix}{job_id}")
        return [json.loads(fields[constants().event_field]) for _, fields in entries]

    async def until(self, what: str, probe: Any, timeout: float = 600) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}")

    async def state(self, job_id: str, states: set[str]) -> str:
        async def probe() -> str | None:
            state = await self.queue.getJobState(job_id)
            return state if state in states else None

        return await self.until(f"job {job_id} to reach {states}", probe)

    async def step(self, job_id: str, step: int) -> None:
        async def probe() -> bool:
            return any(e["step"] >= step for e in training_steps(self.events(job_id)))

        await self.until(f"step {step} of job {job_id}", probe)

    async def close(self) -> None:
        await self.queue.obliterate(force=True)
        await self.queue.close()
        c = constants()
        for job_id in self.job_ids:
            self.redis.delete(
                f"{c.events_stream_prefix}{job_id}", f"{c.event_seq_prefix}{job_id}", f"{c.cancel_prefix}{job_id}"
            )
        self.redis.close()


def training_steps(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "metric" and "train/loss" in e["values"]]


@pytest.mark.slow
@needs_redis
def test_a_two_device_job_handed_back_mid_training_resumes_on_the_next_trainer_and_is_charged_once(
    tmp_path: Path,
) -> None:
    job_id = f"job-{uuid.uuid4().hex[:12]}"
    out = tmp_path / "out"
    spec = two_device_spec(job_id, tmp_path, out)

    async def scenario() -> list[dict[str, Any]]:
        queues = TwoDeviceQueue(tmp_path / "home")
        first = queues.trainer()
        worker = first.start()
        try:
            await queues.add(spec)
            await queues.step(job_id, 1)
            first.stopping.set()  # what SIGTERM does, before closing the worker
            await worker.close()
            assert await queues.queue.getJobState(job_id) in {"delayed", "waiting"}
            assert (await queues.queue.getJob(job_id)).attemptsMade == 0  # handed back, not failed

            worker = queues.trainer().start()
            assert await queues.state(job_id, {"completed", "failed"}) == "completed"
            return queues.events(job_id)
        finally:
            await worker.close()
            await queues.close()

    events = asyncio.run(scenario())
    assert [e for e in events if e["type"] == "error"] == []  # a hand-back is no error
    assert len({e["seq"] for e in events}) == len(events)  # one counter, one voice: rank 0's
    assert {e["attempt"] for e in events} == {1, 2}
    # Stopped between steps with a checkpoint, resumed from it on the second trainer: every step trained once.
    steps = training_steps(events)
    stopped = max(e["step"] for e in steps if e["attempt"] == 1)
    assert 1 <= stopped < STEPS
    assert sorted(e["step"] for e in steps) == list(range(1, STEPS + 1))
    assert any(e["type"] == "log" and e["message"].startswith(f"Resumed at step {stopped} of {STEPS}") for e in events)
    # One run, one accountant, each step's release said once per attempt (rank 0's voice alone; the resumed attempt
    # repeats where the first stopped). Releases are cumulative within a run, so control charges the run once.
    privacy = [e for e in events if e["type"] == "privacy"]
    assert {e["mechanism"] for e in privacy} == {"dp-sgd"}
    assert len({e["runId"] for e in privacy}) == 1
    assert max(Counter((e["attempt"], e["steps"]) for e in privacy).values()) == 1
    assert [e["epsilon"] for e in privacy] == sorted(e["epsilon"] for e in privacy)
    assert max(e["steps"] for e in privacy) == STEPS
    [result] = [e for e in events if e["type"] == "result"]
    assert result["attempt"] == 2
    assert result["training"]["steps"] == STEPS
    assert abs(max(e["epsilon"] for e in privacy) - result["training"]["epsilon"]) <= 1e-12
    assert result["training"]["epsilon"] <= 3
    # The one-device job's artifacts, each announced once, where the spec's outputUri says.
    assert result["artifacts"] == list(ARTIFACTS)
    assert [e["name"] for e in events if e["type"] == "artifact"] == list(ARTIFACTS)
    for name in ARTIFACTS:
        assert (out / name).stat().st_size > 0
    assert "summary" in json.loads((out / "report.json").read_text(encoding="utf-8"))
    with (out / "synthetic.csv").open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == result["rows"]["produced"] > 0


@pytest.mark.slow
@needs_redis
def test_a_cancelled_two_device_job_stops_between_steps_and_the_owner_sees_the_cancel(tmp_path: Path) -> None:
    job_id = f"job-{uuid.uuid4().hex[:12]}"
    spec = two_device_spec(job_id, tmp_path, tmp_path / "out")

    async def scenario() -> tuple[str, int, list[dict[str, Any]]]:
        queues = TwoDeviceQueue(tmp_path / "home")
        worker = queues.trainer().start()
        try:
            await queues.add(spec, attempts=3)
            await queues.step(job_id, 1)
            queues.redis.set(f"{constants().cancel_prefix}{job_id}", "1")  # what control does on a cancel
            state = await queues.state(job_id, {"completed", "failed"})
            return state, (await queues.queue.getJob(job_id)).attemptsMade, queues.events(job_id)
        finally:
            await worker.close()
            await queues.close()

    state, attempts, events = asyncio.run(scenario())
    assert (state, attempts) == ("failed", 1)  # a cancel is final: no retry
    [error] = [e for e in events if e["type"] == "error"]
    assert (error["code"], error["retryable"]) == ("cancelled", False)
    assert error["message"].startswith("The job was cancelled after ")
    assert "a checkpoint was saved" in error["message"]
    assert max(e["step"] for e in training_steps(events)) < STEPS
    assert [e for e in events if e["type"] == "result"] == []


# --- the files between the worker and its torchrun processes ------------------------------------------------------


def test_the_worker_runs_torchrun_with_the_spec_it_validated_and_resumes_after_the_first_attempt(
    tmp_path: Path,
) -> None:
    command = torchrun_command(4, tmp_path, attempt=3, resume=True)
    launch = ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "4", "-m", "dpsynth_trainer", "run"]
    assert command[1:9] == launch
    files = ["--spec", str(tmp_path / "spec.json"), "--worker-dir", str(tmp_path)]
    assert command[9:] == [*files, "--attempt", "3", "--resume"]
    # What the worker writes is the spec it parsed, defaults and all, whatever the fixture left out.
    for path in sorted((FIXTURES / "valid").glob("job-spec.*.json")):
        spec = parse_job_spec(json.loads(path.read_text(encoding="utf-8")))
        assert parse_job_spec(json.loads(json.dumps(spec.model_dump(mode="json", exclude_none=True)))) == spec


def test_a_failure_reported_by_a_rank_is_raised_as_the_error_it_was(tmp_path: Path) -> None:
    (tmp_path / "worker.pid").write_text(str(os.getpid()), encoding="utf-8")
    link = WorkerLink(tmp_path)
    assert not link.stop_requested()
    link.report(1, OutOfMemoryError("Out of memory on rank 1: lower the physical batch size."))
    link.report(0, CancelledError("The job was cancelled after 2 training steps; a checkpoint was saved."))
    raised = reported_error(tmp_path)
    assert isinstance(raised, CancelledError) and raised.message.startswith("The job was cancelled")
    (tmp_path / "outcome-0.json").unlink()
    raised = reported_error(tmp_path)
    assert (type(raised), raised.code, raised.retryable) == (TrainerError, "out_of_memory", True)
    (tmp_path / "stop").touch()
    assert link.stop_requested()


def test_the_processes_stop_once_their_worker_is_gone(tmp_path: Path) -> None:
    child = subprocess.Popen(["true"])
    child.wait()  # reaped: its process id runs nothing now
    (tmp_path / "worker.pid").write_text(str(child.pid), encoding="utf-8")
    assert WorkerLink(tmp_path).stop_requested()
