"""Cancellation requests, polled between logical steps: a `CANCEL` file in the output directory or the
Redis key `dpsynth:cancel:<jobId>` that the control plane sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..contract import constants

CANCEL_FILE = "CANCEL"


class CancelWatch:
    def __init__(self, out_dir: Path, *, redis: Any | None = None, job_id: str | None = None) -> None:
        self.flag_file = Path(out_dir) / CANCEL_FILE
        self.redis = redis
        self.redis_key = f"{constants().cancel_prefix}{job_id}" if job_id else None

    def requested(self) -> bool:
        if self.flag_file.exists():
            return True
        return bool(self.redis is not None and self.redis_key and self.redis.exists(self.redis_key))
