"""A queued job of several devices, run by its queue worker under `torchrun`.

A trainer told `TRAINER_DEVICES=N` (N > 1) takes jobs from the queue `train-<N>gpu` (`config.queue_name`) and runs
each attempt as one `torchrun` of N processes (`torch.distributed.run` is what the `torchrun` script runs; the
worker starts it through its own interpreter, so nothing needs to be on PATH)::

    python -m torch.distributed.run --standalone --nproc-per-node N \\
        -m dpsynth_trainer run --spec DIR/spec.json --worker-dir DIR --attempt A [--resume]

DIR is a private directory the worker makes for the attempt, and the only channel between the two sides:

- `spec.json`: the job's spec, as the worker validated it;
- `worker.pid`: the worker's process id. Once that process is gone, rank 0 stops the run at its next step (with a
  checkpoint), so a worker killed outright does not leave its job training on beside the trainer that resumes it
  (and each rank is killed with its torchrun agent, `_die_with_parent`);
- `stop`: the worker creates it when the job is cancelled or the worker is shutting down (SIGTERM); rank 0 then
  stops at the next step with a checkpoint, exactly as the in-process run stops on the same signals;
- `outcome-<rank>.json`: a rank that fails writes its `TrainerError` there (code, message, retryable) instead of
  emitting an `error` event; the worker raises it as its own. Only the worker knows whether attempts are left, so
  it alone reports errors, as it does for one device (`TrainingWorker._end`).

Everything else is the one-device job's: rank 0 emits to the job's Redis stream through the job's shared seq
counter with the attempt number BullMQ gave, so control persists each event and charges each privacy release
once; checkpoints and artifacts go where `pipeline.work_dir_for` and the spec's `outputUri` say; every attempt
after the first resumes (`--resume`) from the job's checkpoint with the same accountant.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from .config import TrainerSettings
from .contract import JobSpec
from .errors import CancelledError, InternalError, TrainerError
from .events import EventEmitter, RedisSeqCounter, RedisStreamSink

log = logging.getLogger("dpsynth_trainer.torchrun_job")

SPEC_FILE = "spec.json"
WORKER_PID_FILE = "worker.pid"
STOP_FILE = "stop"
#: How often the worker looks at the job's cancel flag and its own shutdown while the processes train.
POLL_S = 0.5
#: After asking the processes to stop at once (a second SIGTERM), how long before they are killed.
KILL_AFTER_S = 10.0

#: The torchrun processes running now, so a worker that must exit at once can take them down with it.
_running: set[subprocess.Popen[bytes]] = set()
_running_lock = threading.Lock()


def torchrun_command(devices: int, worker_dir: Path, *, attempt: int, resume: bool) -> list[str]:
    """The command the worker runs for one attempt (module docstring)."""
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(devices)]
    job = ["-m", "dpsynth_trainer", "run", "--spec", str(worker_dir / SPEC_FILE), "--worker-dir", str(worker_dir)]
    return [*launch, *job, "--attempt", str(attempt), *(["--resume"] if resume else [])]


def run_under_torchrun(
    spec: JobSpec,
    emitter: EventEmitter,
    *,
    settings: TrainerSettings,
    cancel_check: Callable[[], bool],
    resume: bool,
) -> None:
    """The worker's `run_job` for a job of several devices: one `torchrun` attempt, its failure raised as our own.

    Blocks until the processes end (the worker calls it in a thread, as it calls the in-process pipeline).
    `cancel_check` is the worker's: the job's cancel flag or the worker's shutdown; either creates the stop file.
    """
    with tempfile.TemporaryDirectory(prefix="dpsynth-torchrun-") as tmp:
        worker_dir = Path(tmp)
        # The spec names the job's blobs (no record): private to this user all the same, as everything it writes.
        (worker_dir / SPEC_FILE).write_text(json.dumps(spec.model_dump(mode="json", exclude_none=True)), "utf-8")
        (worker_dir / WORKER_PID_FILE).write_text(str(os.getpid()), encoding="utf-8")
        command = torchrun_command(spec.training.devices, worker_dir, attempt=emitter.attempt, resume=resume)
        log.info("job %s: %d processes under torchrun (attempt %d)", spec.jobId, spec.training.devices, emitter.attempt)
        # A session of its own: a Ctrl-C or a signal to the worker's process group reaches the worker alone, which
        # stops the processes between steps through the stop file rather than killing them mid-step.
        process = subprocess.Popen(command, env={**os.environ, **settings.as_env()}, start_new_session=True)
        with _running_lock:
            _running.add(process)
        try:
            stop_asked = False
            while True:
                try:
                    process.wait(timeout=POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    if not stop_asked and cancel_check():
                        (worker_dir / STOP_FILE).touch()
                        stop_asked = True
        finally:
            with _running_lock:
                _running.discard(process)
            if process.poll() is None:  # the thread was interrupted: never leave training behind
                _kill(process)
        error = reported_error(worker_dir)
        if error is not None:
            raise error
        if process.returncode != 0:
            raise InternalError(
                f"The job's {spec.training.devices} training processes (torchrun) stopped with exit status "
                f"{process.returncode} without saying why. An admin can find the details in the trainer's log."
            )


def stop_running_at_once() -> None:
    """For a worker that exits now (a second SIGTERM): every torchrun it started goes too, not orphaned."""
    with _running_lock:
        processes = list(_running)
    for process in processes:
        _kill(process)


def _kill(process: subprocess.Popen[bytes]) -> None:
    # torchrun passes SIGTERM on to its processes, then kills them; it is killed itself if it does not end.
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=KILL_AFTER_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _outcome_file(worker_dir: Path, rank: int) -> Path:
    return worker_dir / f"outcome-{rank}.json"


def reported_error(worker_dir: Path) -> TrainerError | None:
    """The failure the lowest rank reported, as the `TrainerError` it was (a cancel as `CancelledError`)."""
    reports = sorted(worker_dir.glob("outcome-*.json"), key=lambda path: int(path.stem.split("-")[1]))
    for path in reports:
        try:
            outcome = json.loads(path.read_text(encoding="utf-8"))
            code, message, retryable = outcome["code"], outcome["message"], bool(outcome["retryable"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # cut short by a kill
        if code == CancelledError.code:
            return CancelledError(message)
        return TrainerError(message, code=code, retryable=retryable)
    return None


class WorkerLink:
    """The `run --worker-dir DIR` side: what one torchrun process of a queued job reads from and tells its worker."""

    def __init__(self, worker_dir: Path) -> None:
        self.dir = Path(worker_dir)
        self.worker_pid = int((self.dir / WORKER_PID_FILE).read_text(encoding="utf-8"))
        _die_with_parent()

    def emitter(self, *, main: bool, job_id: str, attempt: int, redis_url: str | None) -> EventEmitter:
        """Rank 0's events go to the job's Redis stream, as the worker's own would; the other ranks' nowhere."""
        if not main:
            return EventEmitter.discarding(job_id=job_id, attempt=attempt)
        if redis_url is None:
            raise InternalError("A queued job's torchrun processes were started without REDIS_URL.")
        import redis

        client = redis.Redis.from_url(redis_url)
        return EventEmitter(
            job_id=job_id,
            attempt=attempt,
            sinks=[RedisStreamSink(client, job_id)],
            seq=RedisSeqCounter(client, job_id),
        )

    def stop_requested(self) -> bool:
        """The worker asked the run to stop (a cancel, its shutdown), or is gone."""
        return (self.dir / STOP_FILE).exists() or not _alive(self.worker_pid)

    def report(self, rank: int, error: TrainerError) -> None:
        """Hands the failure to the worker, which reports it (no `error` event from here)."""
        outcome = {"code": error.code, "message": error.message, "retryable": error.retryable}
        path = _outcome_file(self.dir, rank)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(outcome), encoding="utf-8")
        partial.replace(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """On Linux, this process is killed when its torchrun agent dies, so no rank outlives the run it was part of."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        log.warning("could not tie this process's life to its torchrun agent's")
