"""Events are contract-valid, numbered once per job across attempts, and reach JSONL and Redis streams."""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from dpsynth_trainer.contract import ContractViolation, TrainingSummary, constants
from dpsynth_trainer.errors import BudgetExceededError
from dpsynth_trainer.events import EventEmitter, RedisSeqCounter, RedisStreamSink
from dpsynth_trainer.training import CancelWatch

SUMMARY = TrainingSummary(
    runId="run-1",
    noiseMultiplier=0.7,
    sampleRate=0.25,
    steps=8,
    epochs=2,
    maxGradNorm=1.0,
    accountant="prv",
    epsilon=2.97,
    delta=1e-4,
    clipping="ghost",
)


def test_jsonl_events_are_valid_and_seq_continues_in_a_later_attempt(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    first = EventEmitter.to_jsonl(path, job_id="job_1")
    first.stage("training")
    first.metric(step=1, epoch=0.25, values={"train/loss": 2.5, "privacy/epsilon": 0.4})
    second = EventEmitter.to_jsonl(path, job_id="job_1", attempt=2)
    second.privacy(mechanism="dp-sgd", run_id="run-1", epsilon=0.4, delta=1e-4, steps=1)
    second.result(
        training=SUMMARY,
        metrics={"eval/tstr_accuracy_tfidf": 0.7},
        artifacts=["report.json"],
        rows={"requested": 10, "produced": 9},
        warnings=["Only 9 of the 10 rows asked for could be generated."],
    )
    second.error(BudgetExceededError("Training stopped before step 9."))
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["seq"] for e in events] == [0, 1, 2, 3, 4]
    assert [e["attempt"] for e in events] == [1, 1, 2, 2, 2]
    assert all(datetime.fromisoformat(e["ts"]).utcoffset() is not None for e in events)
    assert events[-1]["code"] == "budget_exceeded" and events[-1]["retryable"] is False
    assert events[2]["runId"] == "run-1"  # every privacy event names the run it is cumulative within


def test_a_privacy_event_without_its_run_is_outside_the_contract(tmp_path: Path) -> None:
    emitter = EventEmitter.to_jsonl(tmp_path / "events.jsonl", job_id="job_1")
    with pytest.raises(ContractViolation, match="runId"):
        emitter.emit("privacy", mechanism="dp-sgd", epsilon=0.4, delta=1e-4, steps=1)
    with pytest.raises(ContractViolation, match="runId"):
        emitter.privacy(mechanism="dp-sgd", run_id="not a run id!", epsilon=0.4, delta=1e-4, steps=1)


def test_a_line_cut_short_by_a_kill_is_dropped_before_the_next_attempt_writes(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    EventEmitter.to_jsonl(path, job_id="job_1").stage("loading")
    with open(path, "a") as handle:
        handle.write('{"schemaVersion":1,"jobId":"job_1","seq":1,"ts"')  # killed mid-write
    EventEmitter.to_jsonl(path, job_id="job_1", attempt=2).stage("training")
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(e["seq"], e["stage"]) for e in events] == [(0, "loading"), (1, "training")]


def test_an_event_outside_the_contract_is_never_written(tmp_path: Path) -> None:
    emitter = EventEmitter.to_jsonl(tmp_path / "events.jsonl", job_id="job_1")
    with pytest.raises(ContractViolation):
        emitter.metric(step=1, epoch=0, values={"loss": 1.0})  # keys must be namespaced
    assert not (tmp_path / "events.jsonl").exists()


@pytest.fixture
def redis_client():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(url)
    job_id = f"job_{uuid.uuid4().hex}"
    yield client, job_id
    keys = constants()
    client.delete(
        *(f"{prefix}{job_id}" for prefix in (keys.events_stream_prefix, keys.event_seq_prefix, keys.cancel_prefix))
    )


def test_redis_stream_gets_each_event_with_a_seq_shared_by_attempts(redis_client) -> None:
    client, job_id = redis_client
    for attempt in (1, 2):
        emitter = EventEmitter(
            job_id=job_id,
            attempt=attempt,
            sinks=[RedisStreamSink(client, job_id)],
            seq=RedisSeqCounter(client, job_id),
        )
        emitter.stage("training")
        emitter.privacy(mechanism="dp-sgd", run_id="run-1", epsilon=0.5 * attempt, delta=1e-4, steps=attempt)
    entries = client.xrange(f"dpsynth:events:{job_id}")
    events = [json.loads(fields[constants().event_field.encode()]) for _, fields in entries]
    assert [e["seq"] for e in events] == [0, 1, 2, 3]
    assert [e["attempt"] for e in events] == [1, 1, 2, 2]


def test_cancel_is_requested_by_file_or_redis_key(redis_client, tmp_path: Path) -> None:
    client, job_id = redis_client
    watch = CancelWatch(tmp_path, redis=client, job_id=job_id)
    assert not watch.requested()
    client.set(f"dpsynth:cancel:{job_id}", "1")
    assert watch.requested()
    assert not CancelWatch(tmp_path).requested()
    (tmp_path / "CANCEL").touch()
    assert CancelWatch(tmp_path).requested()


def test_a_stage_is_announced_once_however_many_layers_enter_it(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    emitter = EventEmitter.to_jsonl(path, job_id="job_1")
    for stage in ("loading", "loading", "training", "training", "sampling"):
        emitter.stage(stage)
    stages = [json.loads(line)["stage"] for line in path.read_text().splitlines()]
    assert stages == ["loading", "training", "sampling"]
