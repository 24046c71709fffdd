"""What a job has released of its private data, kept with the job's output in the blob store.

A trainer's work directory (checkpoints, sampler and noise states) may be gone by the next attempt: a trainer
without a shared volume, an `s3://` store, a machine that was replaced. What the job released must not be lost
with it, or a later attempt would release it again and the ledger would be told less than happened. So it lives
under the job's `outputUri`, read and written through `blobs`:

- `label-mix.json`: the label mix, released at most once per job: `{"state": "releasing" | "released",
  "releaseId", "mix", "note"}`. "releasing" is written before the release, so an attempt that died during it
  is known.
- `label-set.json`: the label set released with DP (a dataset whose owner did not declare it), at most once per
  job, in the same two states: `{"state", "releaseId", "labelSet"}`. Only the released labels and their noisy
  counts are kept; labels under the threshold are never written.
- `runs/<runId>.json`: one per training run, rewritten before each of its steps touches private data:
  `{"runId", "index", "noiseMultiplier", "sampleRate", "startedStep"}`. A run that starts over (its
  predecessor's checkpoint is gone) composes its accountant with every earlier run's steps.

None holds data or randomness: the mix and the label set are DP output, a run record its schedule.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from .blobs import join_uri, list_names, read_if_exists, write_bytes

LABEL_MIX_FILE = "label-mix.json"
LABEL_SET_FILE = "label-set.json"
RUNS_DIR = "runs"


@dataclass(frozen=True)
class RunRecord:
    """One training run's schedule and how far it got: enough to account for every step it started."""

    runId: str
    #: How many runs of the job started before this one.
    index: int
    noiseMultiplier: float
    sampleRate: float
    #: The highest step ever started (counted in full, as the crash rule counts steps lost after a checkpoint).
    startedStep: int


class ReleaseLog:
    """The release record of one job, under its output URI."""

    def __init__(self, output_uri: str) -> None:
        self.uri = output_uri.rstrip("/")

    def read_label_mix(self) -> dict[str, Any] | None:
        raw = read_if_exists(join_uri(self.uri, LABEL_MIX_FILE))
        return json.loads(raw) if raw is not None else None

    def write_label_mix(self, state: dict[str, Any]) -> None:
        write_bytes(join_uri(self.uri, LABEL_MIX_FILE), json.dumps(state, indent=2).encode())

    def read_label_set(self) -> dict[str, Any] | None:
        raw = read_if_exists(join_uri(self.uri, LABEL_SET_FILE))
        return json.loads(raw) if raw is not None else None

    def write_label_set(self, state: dict[str, Any]) -> None:
        write_bytes(join_uri(self.uri, LABEL_SET_FILE), json.dumps(state, indent=2).encode())

    def runs(self) -> list[RunRecord]:
        """Every training run recorded for the job, in the order they started."""
        folder = join_uri(self.uri, RUNS_DIR)
        records = []
        for name in list_names(folder):
            raw = read_if_exists(join_uri(folder, name)) if name.endswith(".json") else None
            if raw is not None:
                records.append(RunRecord(**json.loads(raw)))
        return sorted(records, key=lambda record: (record.index, record.runId))

    def record_run(self, record: RunRecord) -> None:
        write_bytes(join_uri(self.uri, f"{RUNS_DIR}/{record.runId}.json"), json.dumps(asdict(record)).encode())
