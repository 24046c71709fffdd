"""Trainer events (`trainer-event.schema.json`): built, validated and written to every sink.

Each event carries schemaVersion, jobId, a per-job `seq` that stays monotonic across attempts and processes,
an ISO-8601 `ts` with offset, and the attempt number. An event is validated before it is written, so a
malformed event is a bug caught here rather than a row the control plane cannot persist. Events never carry a
record's text: callers pass numbers, names and sentences about the data, never the data.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from .contract import TrainingSummary, constants, validate_instance
from .errors import TrainerError
from .generated.trainer_event import LogEvent, StageEvent

#: The contract's stages and log levels, read off the generated event models.
Stage = StageEvent.model_fields["stage"].annotation
LogLevel = LogEvent.model_fields["level"].annotation


class EventSink(Protocol):
    def write(self, event: dict[str, Any]) -> None: ...


class SeqCounter(Protocol):
    def next(self) -> int: ...


class JsonlSink:
    """Appends one JSON event per line; each line is flushed so a killed process loses nothing written."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._drop_cut_line()

    def _drop_cut_line(self) -> None:
        """A process killed mid-write can leave half a line; cut it so the next event starts a line of its own."""
        if not self.path.exists():
            return
        with open(self.path, "rb+") as handle:
            data = handle.read()
            if data and not data.endswith(b"\n"):
                handle.truncate(data.rfind(b"\n") + 1)

    def write(self, event: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(event, separators=(",", ":")) + "\n")


class RedisStreamSink:
    """`XADD dpsynth:events:<jobId> * event <json>` (stream prefix and field name from constants.json)."""

    def __init__(self, client: Any, job_id: str) -> None:
        self.client = client
        self.key = f"{constants().events_stream_prefix}{job_id}"
        self.field = constants().event_field

    def write(self, event: dict[str, Any]) -> None:
        self.client.xadd(self.key, {self.field: json.dumps(event, separators=(",", ":"))})


class FileSeqCounter:
    """Continues after the highest seq already in a JSONL file, so a resumed run keeps counting up."""

    def __init__(self, jsonl: Path) -> None:
        last = -1
        if Path(jsonl).exists():
            for line in Path(jsonl).read_text(encoding="utf-8").splitlines():
                try:
                    last = max(last, int(json.loads(line)["seq"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a kill
        self._next = last + 1
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            value, self._next = self._next, self._next + 1
            return value


class RedisSeqCounter:
    """`INCR dpsynth:seq:<jobId>`: one counter shared by every attempt and process of a job."""

    def __init__(self, client: Any, job_id: str) -> None:
        self.client = client
        self.key = f"{constants().event_seq_prefix}{job_id}"

    def next(self) -> int:
        return int(self.client.incr(self.key)) - 1


class _Uncounted:
    """The seq of events nobody reads: nothing is claimed from the job's shared counter."""

    def next(self) -> int:
        return 0


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class EventEmitter:
    """Builds contract events for one job attempt and writes each to every sink."""

    def __init__(self, *, job_id: str, attempt: int, sinks: list[EventSink], seq: SeqCounter) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.sinks = sinks
        self.seq = seq
        self._stage: Stage | None = None

    @classmethod
    def to_jsonl(cls, path: Path, *, job_id: str, attempt: int = 1) -> EventEmitter:
        """Events to a JSONL file only (the CLI), seq continuing after what the file holds."""
        return cls(job_id=job_id, attempt=attempt, sinks=[JsonlSink(path)], seq=FileSeqCounter(path))

    @classmethod
    def discarding(cls, *, job_id: str, attempt: int) -> EventEmitter:
        """Events to nowhere: what the ranks other than 0 of a multi-process run emit (rank 0 speaks for all)."""
        return cls(job_id=job_id, attempt=attempt, sinks=[], seq=_Uncounted())

    def emit(self, type_: str, **fields: Any) -> dict[str, Any]:
        event = {
            "schemaVersion": constants().schema_version,
            "jobId": self.job_id,
            "seq": self.seq.next(),
            "ts": now_iso(),
            "attempt": self.attempt,
            "type": type_,
            **fields,
        }
        validate_instance("trainer-event", event)
        for sink in self.sinks:
            sink.write(event)
        return event

    def stage(self, stage: Stage) -> None:
        """Announce a change of stage; entering the stage the job is already in says nothing new."""
        if stage == self._stage:
            return
        self._stage = stage
        self.emit("stage", stage=stage)

    def metric(self, *, step: int, epoch: float, values: dict[str, float]) -> None:
        self.emit("metric", step=step, epoch=epoch, values=values)

    def log(self, level: LogLevel, message: str) -> None:
        self.emit("log", level=level, message=message[:2000])

    def privacy(self, *, mechanism: str, run_id: str, epsilon: float, delta: float, steps: int) -> None:
        """What run `run_id` has released through `mechanism` so far (cumulative within the run)."""
        self.emit("privacy", mechanism=mechanism, runId=run_id, epsilon=epsilon, delta=delta, steps=steps)

    def artifact(self, *, name: str, uri: str, bytes_: int, sha256: str) -> None:
        self.emit("artifact", name=name, uri=uri, bytes=bytes_, sha256=sha256)

    def result(
        self,
        *,
        training: TrainingSummary,
        metrics: dict[str, float],
        artifacts: list[str],
        rows: dict[str, int],
        warnings: list[str],
    ) -> None:
        self.emit(
            "result",
            training=training.model_dump(),
            metrics=metrics,
            artifacts=artifacts,
            rows=rows,
            warnings=[warning[:2000] for warning in warnings],
        )

    def error(self, error: TrainerError) -> None:
        self.emit("error", code=error.code, message=error.message[:2000], retryable=error.retryable)
