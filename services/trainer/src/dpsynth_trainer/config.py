"""The trainer process's configuration, validated once at start-up.

Variable names are shared with every other dpsynth process (see `.env.example`). A bad value is reported with
the variable's name and the rule it breaks, never with the value (a URL may hold a password).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .blobs import s3_settings
from .contract import constants, queue_for
from .errors import BadInputError

_REPO_ROOT = Path(__file__).resolve().parents[4]


class TrainerSettings(BaseSettings):
    """Environment of one trainer process."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    REDIS_URL: str | None = None
    BLOB_STORE_URL: str | None = None
    DPSYNTH_HOME: Path = _REPO_ROOT / ".dpsynth"
    DPSYNTH_MODEL_CACHE: Path | None = None
    #: Absolute directories, separated by ':', under which a job may name a local model or encoder directory.
    DPSYNTH_MODEL_ROOTS: str | None = None
    #: Where jobs' work directories (checkpoints, the model being trained) go: `<dir>/<jobId>`. Unset: the job's
    #: output directory for file:// stores (shared by every trainer, so any can resume a job), else
    #: `$DPSYNTH_HOME/jobs`. What a job released is kept with its output either way (`releases.py`).
    DPSYNTH_WORK_DIR: Path | None = None
    DPSYNTH_DEVICE: Literal["auto", "cpu", "cuda"] = "auto"
    TRAINER_CONCURRENCY: int = Field(default=1, ge=1, le=64)
    #: Devices each job this trainer takes trains on together: it reads only that count's queue (`queue_name`), and
    #: runs each job in-process for 1, under `torchrun --nproc-per-node <N>` for N (`torchrun_job.py`).
    TRAINER_DEVICES: int = 1
    # The queue worker's settings. Every trainer on a queue should use the same lock and stalled settings: the
    # stalled check of any one of them decides when a dead trainer's job goes back to the queue. Tests shorten them.
    #: BullMQ key prefix; the contract's (`dpsynth`) unless a deployment or a test file gives its own.
    DPSYNTH_QUEUE_PREFIX: str | None = None
    #: How long a job's lock lives without renewal: a dead trainer's job is seen as stalled after this.
    DPSYNTH_LOCK_DURATION_MS: int = Field(default=60_000, ge=1_000)
    #: How often this worker looks for stalled jobs.
    DPSYNTH_STALLED_INTERVAL_MS: int = Field(default=30_000, ge=500)
    #: Restarts of a stalled job before BullMQ fails it (a job that kills its trainer every time).
    DPSYNTH_MAX_STALLED_COUNT: int = Field(default=2, ge=0)

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("BLOB_STORE_URL")
    @classmethod
    def _blob_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("file:///", "s3://")):
            raise ValueError("must be file:///<absolute dir> or s3://<bucket>/<prefix>")
        return value

    @field_validator("TRAINER_DEVICES")
    @classmethod
    def _a_queue_of_its_own(cls, value: int) -> int:
        if value not in constants().queues_by_devices:
            raise ValueError(f"must be a whole number from 1 to {max(constants().queues_by_devices)}")
        return value

    @model_validator(mode="after")
    def _one_job_per_device_set(self) -> TrainerSettings:
        # A job of N devices holds all N of them; a second job at once would train on the same devices.
        if self.TRAINER_DEVICES > 1 and self.TRAINER_CONCURRENCY > 1:
            raise ValueError("TRAINER_CONCURRENCY must be 1 when TRAINER_DEVICES is more than 1")
        return self

    @field_validator("DPSYNTH_MODEL_ROOTS")
    @classmethod
    def _absolute_roots(cls, value: str | None) -> str | None:
        if value is not None and not all(Path(part).is_absolute() for part in value.split(os.pathsep) if part):
            raise ValueError("must be absolute directories separated by ':'")
        return value

    @property
    def model_roots(self) -> tuple[Path, ...]:
        """Where local model directories may be (symlinks resolved): DPSYNTH_MODEL_ROOTS and the model cache."""
        given = [Path(part) for part in (self.DPSYNTH_MODEL_ROOTS or "").split(os.pathsep) if part]
        return tuple(dict.fromkeys(root.resolve() for root in [self.model_cache, *given]))

    @property
    def queue_prefix(self) -> str:
        return self.DPSYNTH_QUEUE_PREFIX or constants().queue_prefix

    @property
    def queue_name(self) -> str:
        """The queue this trainer takes jobs from: its device count's (the contract's `queueFor`)."""
        return queue_for(self.TRAINER_DEVICES)

    def as_env(self) -> dict[str, str]:
        """These settings as the environment variables they came from: what a trainer's own subprocesses get."""
        return {name: str(value) for name, value in self.model_dump().items() if value is not None}

    @property
    def model_cache(self) -> Path:
        """Where converted and downloaded models are kept (`$DPSYNTH_HOME/models` unless set)."""
        return self.DPSYNTH_MODEL_CACHE or self.DPSYNTH_HOME / "models"


def _problem(error: Any) -> str:
    """One broken rule: the variable and the rule; a rule across variables (no location) names them itself."""
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def load_settings() -> TrainerSettings:
    """Read the environment; a bad variable raises `BadInputError` naming it and the rule, not its value."""
    try:
        settings = TrainerSettings()
    except ValidationError as exc:
        # A rule across variables (a model validator) has no location: its message names the variables itself.
        problems = "; ".join(_problem(err) for err in exc.errors())
        raise BadInputError(f"Invalid trainer configuration: {problems}.") from None
    if (settings.BLOB_STORE_URL or "").startswith("s3://"):
        try:
            s3_settings()  # at start-up, not at the first job: a store it cannot reach is a configuration error
        except BadInputError as exc:
            raise BadInputError(f"Invalid trainer configuration: {exc}") from None
    return settings
