"""The trainer's queue glue: a `bullmq` Worker that takes `training.run` jobs off its device count's queue.

Run one per GPU (TRAINER_CONCURRENCY jobs at a time, 1 by default); it takes jobs from the queue `train`::

    REDIS_URL=redis://127.0.0.1:6379 BLOB_STORE_URL=file:///srv/dpsynth/blobs \\
        uv run python -m dpsynth_trainer worker

or one per set of N GPUs of one machine, for jobs whose `training.devices` is N; it takes jobs from the queue
`train-<N>gpu` (the contract's `queueFor`) and runs each under `torchrun --standalone --nproc-per-node N`
(`torchrun_job.py`)::

    CUDA_VISIBLE_DEVICES=0,1,2,3 TRAINER_DEVICES=4 DPSYNTH_DEVICE=cuda REDIS_URL=... BLOB_STORE_URL=... \\
        uv run python -m dpsynth_trainer worker

For each job: the payload is validated against `job-spec.schema.json` (a bad one fails at once, unrecoverably,
with an `error` event, before any GPU time; so does one whose device count is not this trainer's, which only a
producer that bypassed `queueFor` can queue here); the pipeline runs in a thread (in this process for one device,
as a `torchrun` of N processes for N), so the event loop keeps renewing the job's BullMQ lock however long a step
takes; events go to the Redis stream `dpsynth:events:<jobId>`; the pipeline polls the job's cancel key
(`contract.cancel_key`) between logical steps; an attempt after the first (a retry, or a restart after a trainer
died and BullMQ found the job stalled) resumes from the job's checkpoint.

Errors: a non-retryable `TrainerError` (or a retryable one on the last attempt) ends the job: a final `error`
event with the owner-facing message, then `UnrecoverableError`. A retryable one with attempts left is re-raised
so BullMQ retries it with the producer's backoff. SIGTERM stops the job between steps (the pipeline saves a
checkpoint), hands it back to the queue without using up an attempt, and exits; a second SIGTERM exits at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn, Protocol

import redis
from bullmq import Job, Worker
from bullmq.custom_errors import DelayedError, UnrecoverableError

from .config import TrainerSettings, load_settings
from .contract import JobSpec, cancel_key, constants, parse_job_spec, queue_for
from .errors import BadInputError, CancelledError, TrainerError, stack_without_message, unexpected
from .events import EventEmitter, RedisSeqCounter, RedisStreamSink
from .heartbeat import Device, Heartbeat
from .model_references import check_spec_references
from .torchrun_job import stop_running_at_once

log = logging.getLogger("dpsynth_trainer.worker")


class RunJob(Protocol):
    def __call__(
        self,
        spec: JobSpec,
        emitter: EventEmitter,
        *,
        settings: TrainerSettings,
        cancel_check: Callable[[], bool],
        resume: bool,
    ) -> Any: ...


def _pipeline_run_job(devices: int) -> RunJob:
    """How this trainer runs a job: the pipeline in this process for one device, under `torchrun` for several."""
    if devices > 1:
        from .torchrun_job import run_under_torchrun

        return run_under_torchrun
    # Imported on first use: the pipeline pulls in torch and transformers, which a bad payload never needs.
    from .pipeline import run_job

    return run_job


def parse_payload(job: Job) -> JobSpec:
    """The job's spec, validated; `BadInputError` says what is wrong with the payload, never its values."""
    expected = constants().job_name
    if job.name != expected:
        raise BadInputError(f"The queue entry is a '{job.name}' job; this trainer only runs '{expected}' jobs.")
    if not isinstance(job.data, dict):
        raise BadInputError("The job payload is not a JSON object; it must be a job spec.")
    spec = parse_job_spec(job.data)
    if spec.jobId != job.id:
        raise BadInputError(
            "The job spec's jobId differs from the id it was queued under; the producer must use the same id."
        )
    return spec


def check_worker_devices(devices: int, trainer_devices: int) -> None:
    """A trainer runs the jobs of its own device count only; any other fails before it starts.

    Producers put a job on its device count's queue (`queueFor`) and a trainer reads only its own, so this fires
    only for a job queued by hand on the wrong queue: the owner is told that nothing was spent and what to do.
    """
    if devices == trainer_devices:
        return
    raise BadInputError(
        f"This job asks for {devices} device(s) (training.devices), but it reached a trainer that trains each job "
        f"on {trainer_devices} (TRAINER_DEVICES): it was put on the queue {queue_for(trainer_devices)} instead of "
        f"{queue_for(devices)}. It was refused before anything ran, so no privacy budget was spent. Submit it again; "
        "if this happens again, an admin should check what puts jobs on the queues."
    )


def check_gpus(trainer_devices: int, device: Device) -> None:
    """A trainer of N devices on GPUs must see N of them: else every job it took would fail after loading."""
    if device.kind == "gpu" and device.count < trainer_devices:
        raise BadInputError(
            f"Invalid trainer configuration: TRAINER_DEVICES is {trainer_devices}, but this trainer sees "
            f"{device.count} GPU(s) (CUDA_VISIBLE_DEVICES, or the GPUs the container was given)."
        )


class TrainingWorker:
    """The processor of `training.run` jobs and the Worker that feeds it."""

    def __init__(
        self,
        *,
        settings: TrainerSettings,
        run_job: RunJob | None = None,
    ) -> None:
        if settings.REDIS_URL is None:
            raise BadInputError("Invalid trainer worker configuration: REDIS_URL: Field required.")
        self.settings = settings
        self.redis_url = settings.REDIS_URL
        self._run_job = run_job
        self.redis = redis.Redis.from_url(self.redis_url)
        #: Set on SIGTERM; the pipeline's cancel check reads it between steps.
        self.stopping = threading.Event()
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.worker: Worker | None = None
        #: Ids of the jobs this process holds now: the heartbeat says busy while there is one.
        self.current_jobs: dict[str, None] = {}
        self.heartbeat: Heartbeat | None = None

    def start(self) -> Worker:
        qs = self.settings
        self.worker = Worker(
            qs.queue_name,
            self.process,
            {
                "connection": self.redis_url,
                "prefix": qs.queue_prefix,
                "concurrency": self.settings.TRAINER_CONCURRENCY,
                "lockDuration": qs.DPSYNTH_LOCK_DURATION_MS,
                "stalledInterval": qs.DPSYNTH_STALLED_INTERVAL_MS,
                "maxStalledCount": qs.DPSYNTH_MAX_STALLED_COUNT,
                # Names its Redis connections (CLIENT LIST) after the machine and process.
                "name": self.name,
            },
        )
        return self.worker

    def emitter_for(self, job: Job) -> EventEmitter:
        job_id = str(job.id)
        return EventEmitter(
            job_id=job_id,
            # BullMQ counts every start, retries and restarts after a stall alike, from 1.
            attempt=max(1, int(job.attemptsStarted or 0)),
            sinks=[RedisStreamSink(self.redis, job_id)],
            seq=RedisSeqCounter(self.redis, job_id),
        )

    def cancel_requested(self, job_id: str) -> bool:
        return bool(self.redis.exists(cancel_key(job_id)))

    async def process(self, job: Job, token: str) -> dict[str, Any]:
        job_id = str(job.id)
        self._holding(job_id, True)
        try:
            return await self._process(job, token)
        finally:
            self._holding(job_id, False)

    def _holding(self, job_id: str, held: bool) -> None:
        """Records a job taken or let go, and has the heartbeat say so at once rather than within seconds."""
        if held:
            self.current_jobs[job_id] = None
        else:
            self.current_jobs.pop(job_id, None)
        if self.heartbeat is not None:
            self.heartbeat.wake.set()

    async def _process(self, job: Job, token: str) -> dict[str, Any]:
        job_id = str(job.id)
        emitter = self.emitter_for(job)
        try:
            spec = parse_payload(job)
            check_spec_references(spec, self.settings.model_roots)
            check_worker_devices(spec.training.devices, self.settings.TRAINER_DEVICES)
        except TrainerError as exc:
            log.warning("job %s: rejected payload (%s)", job_id, exc.code)
            emitter.error(TrainerError(exc.message, code=exc.code, retryable=False))
            raise UnrecoverableError(exc.message) from None

        if self.cancel_requested(job_id):
            self._end(job, emitter, CancelledError("Cancelled at the owner's request before training started."))

        resume = emitter.attempt > 1
        # The job's BullMQ log says which trainer ran each attempt (dashboards show it; tests find whom to kill).
        await job.log(f"attempt {emitter.attempt} on trainer {self.name}")
        log.info("job %s: attempt %d%s", job_id, emitter.attempt, " (resuming)" if resume else "")
        try:
            await asyncio.to_thread(
                self.run_job,
                spec,
                emitter,
                settings=self.settings,
                cancel_check=lambda: self.stopping.is_set() or self.cancel_requested(job_id),
                resume=resume,
            )
        except CancelledError as exc:
            if self.stopping.is_set() and not self.cancel_requested(job_id):
                await self._hand_back(job, token, emitter)
            self._end(job, emitter, exc)
        except TrainerError as exc:
            self._end(job, emitter, exc)
        except Exception as exc:  # anything else is our fault: report it without its message
            log.error("job %s: %s", job_id, stack_without_message(exc))
            self._end(job, emitter, unexpected(exc))
        return {"jobId": job_id, "attempt": emitter.attempt}

    @property
    def run_job(self) -> RunJob:
        if self._run_job is None:
            self._run_job = _pipeline_run_job(self.settings.TRAINER_DEVICES)
        return self._run_job

    def _end(self, job: Job, emitter: EventEmitter, exc: TrainerError) -> NoReturn:
        """Reports the error and raises what tells BullMQ whether to try again."""
        last_attempt = int(job.attemptsMade) + 1 >= int(job.opts.get("attempts") or 1)
        final = not exc.retryable or last_attempt
        log.warning("job %s: %s error (%s)", job.id, exc.code, "final" if final else "will retry")
        emitter.error(TrainerError(exc.message, code=exc.code, retryable=not final))
        if final:
            raise UnrecoverableError(exc.message)
        raise exc

    async def _hand_back(self, job: Job, token: str, emitter: EventEmitter) -> NoReturn:
        """On shutdown: back to the queue without using up an attempt; the next trainer resumes it."""
        emitter.log(
            "info", "This trainer is shutting down; the job goes back to the queue and resumes from its checkpoint."
        )
        await job.moveToDelayed(int(time.time() * 1000) + 1000, token)
        raise DelayedError()

    async def run_until_stopped(self) -> None:
        """Processes jobs until SIGTERM or SIGINT, then lets the running job stop between steps and exits."""
        # Load the pipeline (torch, transformers: many seconds) before taking a job, and off the event loop: an
        # import on the loop would starve the lock renewals of the job just taken, and BullMQ would call it
        # stalled.
        await asyncio.to_thread(lambda: self.run_job)
        # Device, models and the hub are looked at off the loop too (the first hub probe may take seconds).
        self.heartbeat = await asyncio.to_thread(
            lambda: Heartbeat(
                self.redis, trainer_id=self.name, settings=self.settings, current_jobs=lambda: list(self.current_jobs)
            )
        )
        check_gpus(self.settings.TRAINER_DEVICES, self.heartbeat.device)
        worker = self.start()
        loop = asyncio.get_running_loop()
        closed = asyncio.Event()
        beating = loop.create_task(self.heartbeat.run(closed))
        closing: list[asyncio.Task[None]] = []  # the loop keeps only weak references to tasks

        def on_signal(signum: int) -> None:
            if self.stopping.is_set():
                log.warning("second %s: exiting now", signal.Signals(signum).name)
                stop_running_at_once()  # a job's torchrun processes go too: none may train on without its worker
                sys.stdout.flush()
                os._exit(1)
            log.info("%s: stopping after the current step", signal.Signals(signum).name)
            self.stopping.set()

            async def close() -> None:
                await worker.close()
                closed.set()

            closing.append(loop.create_task(close()))

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, on_signal, signum)
        log.info(
            "trainer worker listening on queue %s (prefix %s, concurrency %d, %d device(s) per job)",
            self.settings.queue_name,
            self.settings.queue_prefix,
            self.settings.TRAINER_CONCURRENCY,
            self.settings.TRAINER_DEVICES,
        )
        await closed.wait()
        await beating
        self.redis.close()
        log.info("trainer worker stopped")


def main() -> int:
    """`python -m dpsynth_trainer worker`: exits 0 after a clean shutdown, returns 2 on bad configuration."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        worker = TrainingWorker(settings=load_settings())
        asyncio.run(worker.run_until_stopped())
    except BadInputError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    # Everything a job needs is in Redis or on disk by now (the hand-back comes after its checkpoint). Skip the
    # interpreter's teardown of torch and friends, which takes 5 to 20 s of native code on a busy machine and
    # would eat into a container's stop grace period.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
