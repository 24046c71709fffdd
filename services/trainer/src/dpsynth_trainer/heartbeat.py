"""What a trainer tells the platform about itself: a heartbeat in Redis every few seconds, with a TTL.

The web lists the trainers whose heartbeat is live (`GET /api/v1/trainers`, the admin's Trainers page) and
judges from them whether a job can run here at all before it is submitted: a GPU model with only CPU trainers,
a model that must be downloaded while no trainer reaches the hub. The shape is the contract's
`TrainerHeartbeat` (`packages/contracts/src/trainers.ts`), its keys and timing `constants.json`'s `trainers`:

    <prefix>:trainer:<id>   the heartbeat as JSON, expiring after `ttlS` (a dead trainer disappears on its own)
    <prefix>:trainers       sorted set, id -> ms of its last beat (readers take the recent ones)

Nothing here reads a record: what is published is the machine, its models and the ids of the jobs it holds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import redis

from .config import TrainerSettings
from .contract import constants, trainer_keys, validate_instance
from .generated.trainer_heartbeat import TrainerDevice, TrainerHeartbeat

log = logging.getLogger("dpsynth_trainer.heartbeat")

#: How long one look at the hub stands for: a probe costs up to its timeout, a beat is every few seconds.
HUB_PROBE_EVERY_S = 300.0
HUB_PROBE_TIMEOUT_S = 3.0
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Device:
    kind: Literal["cpu", "gpu"]
    count: int
    name: str
    memory_bytes: int


def detect_device(setting: str) -> Device:
    """The device the trainer computes on (DPSYNTH_DEVICE, as `select_device` picks it) and its memory."""
    import torch

    if setting != "cpu" and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        return Device("gpu", torch.cuda.device_count(), props.name, int(props.total_memory))
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return Device("cpu", max(1, torch.get_num_threads()), "cpu", int(memory))


def hub_offline_by_env(environ: Mapping[str, str] = os.environ) -> bool:
    """Offline mode as Hugging Face's libraries read it: they will not download, whatever the network says."""
    return any(environ.get(name, "").strip().lower() in _TRUE for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def probe_hub(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the hub's host (HF_ENDPOINT, huggingface.co by default) accepts a TCP connection within seconds."""
    endpoint = urlsplit(environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = endpoint.port or (80 if endpoint.scheme == "http" else 443)
    try:
        with socket.create_connection((endpoint.hostname or "", port), timeout=HUB_PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def hub_cached_models(hub_cache: Path | None = None) -> list[str]:
    """Hub ids whose files are in the local Hugging Face cache (`models--org--name` with a snapshot)."""
    if hub_cache is None:
        from huggingface_hub import constants as hf_constants

        hub_cache = Path(hf_constants.HF_HUB_CACHE)
    if not hub_cache.is_dir():
        return []
    found = []
    for entry in sorted(hub_cache.glob("models--*")):
        snapshots = entry / "snapshots"
        if snapshots.is_dir() and any(snapshots.iterdir()):
            found.append(entry.name.removeprefix("models--").replace("--", "/"))
    return found


def local_models(settings: TrainerSettings, *, hub_cache: Path | None = None) -> list[str]:
    """Model ids this trainer loads without the hub: catalog families it can build or has built, cached hub ids."""
    from .models.registry import local_families

    return list(dict.fromkeys([*local_families(settings.model_cache), *hub_cached_models(hub_cache)]))


class Heartbeat:
    """Publishes one trainer's heartbeat; `run` beats until stopped, and at once whenever `wake` is set."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        trainer_id: str,
        settings: TrainerSettings,
        current_jobs: Callable[[], list[str]],
        device: Device | None = None,
        models: Callable[[], list[str]] | None = None,
        hub_check: Callable[[], bool] = probe_hub,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = client
        self.trainer_id = trainer_id
        self.settings = settings
        self.current_jobs = current_jobs
        self.device = device or detect_device(settings.DPSYNTH_DEVICE)
        self._models = models or (lambda: local_models(settings))
        self._hub_check = hub_check
        self.clock = clock
        self.started_at = clock()
        self.index_key, self.key = trainer_keys(settings.queue_prefix, trainer_id)
        self._hub: tuple[float, bool] | None = None
        self.wake = asyncio.Event()

    def hub_reachable(self) -> bool:
        """Offline mode wins; else the last probe, redone every `HUB_PROBE_EVERY_S` (this may block seconds)."""
        if hub_offline_by_env():
            return False
        now = self.clock()
        if self._hub is None or now - self._hub[0] >= HUB_PROBE_EVERY_S:
            self._hub = (now, self._hub_check())
        return self._hub[1]

    def payload(self) -> dict[str, Any]:
        """The heartbeat as JSON, built with the generated `TrainerHeartbeat` and checked against its JSON Schema."""
        beat = TrainerHeartbeat(
            schemaVersion=constants().schema_version,
            id=self.trainer_id,
            device=TrainerDevice(
                kind=self.device.kind,
                count=self.device.count,
                name=self.device.name,
                memoryBytes=self.device.memory_bytes,
            ),
            hubReachable=self.hub_reachable(),
            localModels=self._models(),
            devicesPerJob=self.settings.TRAINER_DEVICES,
            concurrency=self.settings.TRAINER_CONCURRENCY,
            currentJobs=list(self.current_jobs()),
            startedAt=datetime.fromtimestamp(self.started_at, UTC),
            ts=datetime.fromtimestamp(self.clock(), UTC),
        ).model_dump(mode="json")
        validate_instance("trainer-heartbeat", beat)
        return beat

    def publish(self) -> dict[str, Any]:
        """One beat: the heartbeat with its TTL, this trainer's place in the index, and the index pruned of the dead."""
        beat = self.payload()
        c = constants()
        now_ms = int(self.clock() * 1000)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.key, json.dumps(beat), ex=c.heartbeat_ttl_s)
            pipe.zadd(self.index_key, {self.trainer_id: now_ms})
            pipe.zremrangebyscore(self.index_key, "-inf", now_ms - c.heartbeat_ttl_s * 1000)
            pipe.execute()
        return beat

    def withdraw(self) -> None:
        """On a clean stop: gone from every list at once rather than after the TTL."""
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.key)
            pipe.zrem(self.index_key, self.trainer_id)
            pipe.execute()

    async def run(self, stopped: asyncio.Event) -> None:
        """Beats every `intervalS` (and when `wake` is set) until `stopped`, then withdraws. A failed beat is logged
        and retried at the next one: losing Redis for a moment must not stop the trainer."""
        interval = constants().heartbeat_interval_s
        while not stopped.is_set():
            try:
                # Off the event loop: the hub probe may take seconds, and the loop renews the job's lock.
                await asyncio.to_thread(self.publish)
            except (redis.RedisError, OSError) as exc:
                log.warning("heartbeat not published (%s)", type(exc).__name__)
            self.wake.clear()
            waits = [asyncio.create_task(self.wake.wait()), asyncio.create_task(stopped.wait())]
            await asyncio.wait(waits, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            for task in waits:
                task.cancel()
        try:
            await asyncio.to_thread(self.withdraw)
        except (redis.RedisError, OSError) as exc:
            log.warning("heartbeat not withdrawn (%s); it expires on its own", type(exc).__name__)
