"""Cancellation requests, polled between logical steps: a `CANCEL` file in the output directory, the job's Redis
cancel key (`contract.cancel_key`) that the control plane sets, or the caller's own check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..contract import cancel_key

CANCEL_FILE = "CANCEL"


class CancelWatch:
    """The one answer to "was this job asked to stop?".

    `redis` and `job_id` watch the job's cancel key; `also` is any other reason the caller has (the worker's:
    SIGTERM, or the key read through its own connection).
    """

    def __init__(
        self,
        out_dir: Path,
        *,
        redis: Any | None = None,
        job_id: str | None = None,
        also: Callable[[], bool] | None = None,
    ) -> None:
        self.flag_file = Path(out_dir) / CANCEL_FILE
        self.redis = redis
        self.redis_key = cancel_key(job_id) if job_id else None
        self.also = also

    def requested(self) -> bool:
        if self.flag_file.exists():
            return True
        if self.redis is not None and self.redis_key and self.redis.exists(self.redis_key):
            return True
        return bool(self.also is not None and self.also())
