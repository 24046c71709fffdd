"""The queue glue (`dpsynth_trainer.worker`) on a real Redis and real BullMQ.

These tests drive the worker with scripted `run_job` callables: what is under test is how the worker validates
payloads and turns the pipeline's outcomes into events and BullMQ decisions. The end-to-end runs of the real
pipeline under a real worker process live in services/control (`*.test.ts`).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from bullmq import Queue

from dpsynth_trainer.config import TrainerSettings
from dpsynth_trainer.contract import constants
from dpsynth_trainer.errors import BadInputError, BudgetExceededError, CancelledError, OutOfMemoryError
from dpsynth_trainer.worker import TrainingWorker, parse_payload

FIXTURES = Path(__file__).resolve().parents[3] / "packages" / "contracts" / "fixtures"
REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set (npm test starts a Redis)")


def fixture(kind: str, name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / kind / name).read_text(encoding="utf-8"))


def queued(data: Any, *, job_id: str = "job_1", name: str | None = None) -> SimpleNamespace:
    """What `parse_payload` reads of a BullMQ job."""
    return SimpleNamespace(id=job_id, name=name or constants().job_name, data=data)


# --- payload validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "valid").glob("job-spec.*.json")))
def test_accepts_every_valid_job_spec_fixture(name: str) -> None:
    data = fixture("valid", name)
    spec = parse_payload(queued(data, job_id=data["jobId"]))
    assert spec.jobId == data["jobId"]
    assert spec.training.checkpointEvery >= 1  # defaults filled in


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "invalid").glob("job-spec.*.json")))
def test_rejects_every_invalid_job_spec_fixture(name: str) -> None:
    data = fixture("invalid", name)
    with pytest.raises(BadInputError, match="job-spec does not match its contract"):
        parse_payload(queued(data, job_id=data.get("jobId", "job_1")))


def test_names_the_missing_field_without_echoing_values() -> None:
    data = fixture("valid", "job-spec.minimal.json")
    data["data"].pop("labelColumn")
    data["data"]["textColumn"] = "a private sentence from a record"
    with pytest.raises(BadInputError) as caught:
        parse_payload(queued(data, job_id=data["jobId"]))
    assert "labelColumn" in caught.value.message
    assert "private sentence" not in caught.value.message


def test_rejects_a_spec_queued_under_another_id() -> None:
    data = fixture("valid", "job-spec.minimal.json")
    with pytest.raises(BadInputError, match="differs from the id it was queued under"):
        parse_payload(queued(data, job_id="another_job"))


def test_rejects_other_job_names_and_non_object_payloads() -> None:
    data = fixture("valid", "job-spec.minimal.json")
    with pytest.raises(BadInputError, match=r"only runs 'training\.run' jobs"):
        parse_payload(queued(data, job_id=data["jobId"], name="sampling.run"))
    with pytest.raises(BadInputError, match="not a JSON object"):
        parse_payload(queued(["not", "a", "spec"]))


# --- the worker on a real queue -------------------------------------------------------------------------------


class Harness:
    """A queue with a prefix of its own, a worker on it, and readers of BullMQ's and the trainer's state."""

    def __init__(self, run_job: Any, *, prefix: str | None = None) -> None:
        assert REDIS_URL
        self.prefix = prefix or f"test-{uuid.uuid4().hex[:10]}"
        self.settings = TrainerSettings(
            REDIS_URL=REDIS_URL,
            DPSYNTH_QUEUE_PREFIX=self.prefix,
            DPSYNTH_LOCK_DURATION_MS=5_000,
            DPSYNTH_STALLED_INTERVAL_MS=2_000,
        )
        self.run_job = run_job
        self.redis = redis.Redis.from_url(REDIS_URL, decode_responses=True)

    def trainer(self) -> TrainingWorker:
        return TrainingWorker(settings=self.settings, run_job=self.run_job)

    def queue(self) -> Queue:
        return Queue(constants().queue_name, {"connection": REDIS_URL, "prefix": self.prefix})

    async def add(self, queue: Queue, data: Any, *, job_id: str, attempts: int = 3) -> None:
        opts = {"jobId": job_id, "attempts": attempts, "backoff": {"type": "fixed", "delay": 100}}
        await queue.add(constants().job_name, data, opts)

    async def wait_for_state(self, queue: Queue, job_id: str, states: set[str], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = await queue.getJobState(job_id)
            if state in states:
                return state
            await asyncio.sleep(0.05)
        raise AssertionError(f"job {job_id} did not reach {states}; it is {await queue.getJobState(job_id)}")

    def events(self, job_id: str) -> list[dict[str, Any]]:
        entries = self.redis.xrange(f"{constants().events_stream_prefix}{job_id}")
        return [json.loads(fields[constants().event_field]) for _, fields in entries]

    async def cleanup(self, queue: Queue, job_ids: list[str]) -> None:
        await queue.obliterate(force=True)
        await queue.close()
        for job_id in job_ids:
            c = constants()
            self.redis.delete(
                f"{c.events_stream_prefix}{job_id}", f"{c.event_seq_prefix}{job_id}", f"{c.cancel_prefix}{job_id}"
            )


def spec_for(job_id: str) -> dict[str, Any]:
    data = fixture("valid", "job-spec.minimal.json")
    data["jobId"] = job_id
    return data


def never_called(*_: Any, **__: Any) -> None:
    raise AssertionError("the pipeline must not run")


async def run_one(harness: Harness, data: Any, *, attempts: int = 3, final: set[str] | None = None) -> tuple[str, Any]:
    job_id = f"job-{uuid.uuid4().hex[:12]}"
    queue = harness.queue()
    trainer = harness.trainer()
    worker = trainer.start()
    try:
        await harness.add(queue, data if data is not None else spec_for(job_id), job_id=job_id, attempts=attempts)
        state = await harness.wait_for_state(queue, job_id, final or {"completed", "failed"})
        return job_id, (state, await queue.getJob(job_id))
    finally:
        await worker.close()
        await harness.cleanup(queue, [])


@needs_redis
def test_a_bad_payload_fails_at_once_without_retries_or_pipeline() -> None:
    harness = Harness(never_called)

    async def scenario() -> None:
        job_id = f"job-{uuid.uuid4().hex[:12]}"
        bad = spec_for(job_id)
        bad["privacy"]["epsilon"] = -1
        queue = harness.queue()
        worker = harness.trainer().start()
        try:
            await harness.add(queue, bad, job_id=job_id, attempts=5)
            assert await harness.wait_for_state(queue, job_id, {"completed", "failed"}) == "failed"
            assert (await queue.getJob(job_id)).attemptsMade == 1
            [event] = harness.events(job_id)
            assert (event["type"], event["code"], event["retryable"]) == ("error", "bad_input", False)
            assert "privacy.epsilon" in event["message"]
        finally:
            await worker.close()
            await harness.cleanup(queue, [job_id])

    asyncio.run(scenario())


@needs_redis
def test_a_job_for_another_device_count_fails_at_once_and_says_where_it_belonged() -> None:
    # Producers put a 2-device job on train-2gpu (`queueFor`); this one was queued by hand on the one-device queue.
    harness = Harness(never_called)

    async def scenario() -> None:
        job_id = f"job-{uuid.uuid4().hex[:12]}"
        two_gpus = spec_for(job_id)
        two_gpus["training"] = {"devices": 2}
        queue = harness.queue()
        worker = harness.trainer().start()
        try:
            await harness.add(queue, two_gpus, job_id=job_id, attempts=5)
            assert await harness.wait_for_state(queue, job_id, {"completed", "failed"}) == "failed"
            assert (await queue.getJob(job_id)).attemptsMade == 1
            [event] = harness.events(job_id)
            assert (event["type"], event["code"], event["retryable"]) == ("error", "bad_input", False)
            assert "asks for 2 device(s)" in event["message"]
            assert "trains each job on 1 (TRAINER_DEVICES)" in event["message"]
            assert "on the queue train instead of train-2gpu" in event["message"]
            assert "no privacy budget was spent" in event["message"]
        finally:
            await worker.close()
            await harness.cleanup(queue, [job_id])

    asyncio.run(scenario())


@needs_redis
def test_a_retryable_error_is_retried_and_reported_final_on_the_last_attempt() -> None:
    attempts_seen: list[tuple[int, bool]] = []

    def out_of_memory(spec: Any, emitter: Any, *, settings: Any, cancel_check: Any, resume: bool) -> None:
        attempts_seen.append((emitter.attempt, resume))
        raise OutOfMemoryError("Out of memory: lower the physical batch size.")

    harness = Harness(out_of_memory)

    async def scenario() -> None:
        job_id, (state, job) = await run_one(harness, None, attempts=2)
        try:
            assert state == "failed" and job.attemptsMade == 2
            assert attempts_seen == [(1, False), (2, True)]
            errors = [(e["attempt"], e["code"], e["retryable"]) for e in harness.events(job_id)]
            assert errors == [(1, "out_of_memory", True), (2, "out_of_memory", False)]
        finally:
            await harness.cleanup(harness.queue(), [job_id])

    asyncio.run(scenario())


@needs_redis
def test_a_non_retryable_error_ends_the_job_on_its_first_attempt() -> None:
    def overspend(*_: Any, **__: Any) -> None:
        raise BudgetExceededError("The next step would exceed the approved epsilon 3.")

    harness = Harness(overspend)

    async def scenario() -> None:
        job_id, (state, job) = await run_one(harness, None, attempts=4)
        try:
            assert state == "failed" and job.attemptsMade == 1
            [event] = harness.events(job_id)
            assert (event["code"], event["retryable"]) == ("budget_exceeded", False)
            assert event["message"] == "The next step would exceed the approved epsilon 3."
        finally:
            await harness.cleanup(harness.queue(), [job_id])

    asyncio.run(scenario())


@needs_redis
def test_an_unexpected_exception_is_reported_without_its_message() -> None:
    def buggy(*_: Any, **__: Any) -> None:
        raise ValueError("row 17: 'my private diary entry'")

    harness = Harness(buggy)

    async def scenario() -> None:
        job_id, (state, job) = await run_one(harness, None, attempts=1)
        try:
            assert state == "failed"
            [event] = harness.events(job_id)
            assert event["code"] == "internal" and event["retryable"] is False
            assert "ValueError" in event["message"] and "diary" not in event["message"]
            assert "diary" not in (job.failedReason or "")
        finally:
            await harness.cleanup(harness.queue(), [job_id])

    asyncio.run(scenario())


@needs_redis
def test_a_job_cancelled_before_it_starts_never_reaches_the_pipeline() -> None:
    harness = Harness(never_called)

    async def scenario() -> None:
        job_id = f"job-{uuid.uuid4().hex[:12]}"
        harness.redis.set(f"{constants().cancel_prefix}{job_id}", "1")
        queue = harness.queue()
        worker = harness.trainer().start()
        try:
            await harness.add(queue, spec_for(job_id), job_id=job_id)
            assert await harness.wait_for_state(queue, job_id, {"completed", "failed"}) == "failed"
            [event] = harness.events(job_id)
            assert (event["code"], event["retryable"]) == ("cancelled", False)
        finally:
            await worker.close()
            await harness.cleanup(queue, [job_id])

    asyncio.run(scenario())


@needs_redis
def test_shutdown_hands_the_job_back_without_using_an_attempt_and_the_next_trainer_resumes_it() -> None:
    started = threading.Event()
    runs: list[tuple[int, bool]] = []

    def until_stopped(spec: Any, emitter: Any, *, settings: Any, cancel_check: Any, resume: bool) -> None:
        runs.append((emitter.attempt, resume))
        if resume:
            return  # the second trainer finishes
        started.set()
        while not cancel_check():
            time.sleep(0.02)
        raise CancelledError("Stopped between steps; a checkpoint was saved.")

    harness = Harness(until_stopped)

    async def scenario() -> None:
        job_id = f"job-{uuid.uuid4().hex[:12]}"
        queue = harness.queue()
        first = harness.trainer()
        worker = first.start()
        try:
            await harness.add(queue, spec_for(job_id), job_id=job_id, attempts=1)
            await asyncio.to_thread(started.wait, 20)
            first.stopping.set()  # what SIGTERM does, before closing the worker
            await worker.close()
            assert await queue.getJobState(job_id) in {"delayed", "waiting"}
            assert (await queue.getJob(job_id)).attemptsMade == 0

            worker = harness.trainer().start()
            assert await harness.wait_for_state(queue, job_id, {"completed", "failed"}) == "completed"
            assert runs == [(1, False), (2, True)]
            logs = await queue.getJobLogs(job_id)
            assert [line.split(" on trainer ")[0] for line in logs["logs"]] == ["attempt 1", "attempt 2"]
            assert [e["type"] for e in harness.events(job_id)] == ["log"]  # no error event: nothing ended
        finally:
            await worker.close()
            await harness.cleanup(queue, [job_id])

    asyncio.run(scenario())


def test_a_trainer_reads_its_device_counts_queue_and_runs_several_devices_under_torchrun() -> None:
    from dpsynth_trainer.pipeline import run_job
    from dpsynth_trainer.torchrun_job import run_under_torchrun

    one, four = TrainerSettings(), TrainerSettings(TRAINER_DEVICES=4)
    assert (one.queue_name, four.queue_name) == (constants().queue_name, "train-4gpu")
    assert TrainingWorker(settings=one.model_copy(update={"REDIS_URL": "redis://x"})).run_job is run_job
    assert TrainingWorker(settings=four.model_copy(update={"REDIS_URL": "redis://x"})).run_job is run_under_torchrun


def test_a_trainer_of_several_devices_takes_one_job_at_a_time_and_a_device_count_with_a_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dpsynth_trainer.config import load_settings

    monkeypatch.setenv("TRAINER_DEVICES", "2")
    monkeypatch.setenv("TRAINER_CONCURRENCY", "2")
    with pytest.raises(BadInputError, match="TRAINER_CONCURRENCY must be 1 when TRAINER_DEVICES is more than 1"):
        load_settings()
    monkeypatch.setenv("TRAINER_DEVICES", "65")
    monkeypatch.setenv("TRAINER_CONCURRENCY", "1")
    with pytest.raises(BadInputError, match="TRAINER_DEVICES: Value error, must be a whole number from 1 to 64"):
        load_settings()


def test_a_trainer_of_n_devices_on_gpus_must_see_n_of_them() -> None:
    from dpsynth_trainer.heartbeat import Device
    from dpsynth_trainer.worker import check_gpus

    with pytest.raises(BadInputError, match="TRAINER_DEVICES is 4, but this trainer sees 2 GPU"):
        check_gpus(4, Device("gpu", 2, "NVIDIA H200", 141 * 2**30))
    check_gpus(4, Device("gpu", 8, "NVIDIA H200", 141 * 2**30))
    check_gpus(2, Device("cpu", 2, "cpu", 8 * 2**30))  # processes on the CPU (gloo), as the tests run them
