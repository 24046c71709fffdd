"""Checkpoints that let a run resume exactly, and the crash rule that keeps its privacy accounting honest.

Layout under `<out>/checkpoints/` (mode 0700, its files 0600: the sampler and noise states would let whoever
reads them predict the rest of the run's batches and noise, so they are never world-readable, and the web never
serves them):

- `progress.json`: the run's identity (`runId`), its plan (noise multiplier, sampling rate, planned steps,
  accountant, clipping) and `startedStep`, the highest logical step ever *started*. It is rewritten
  (atomically, fsynced) before every step, before any private data is touched for it, and so is the run's
  record in the job's release log (`releases.py`), which outlives the work directory.
- `latest.pt`: trainable weights (the LoRA adapter or the whole model), optimizer state, the accountant's
  history, the Poisson sampler's and the noise generator's states, torch/numpy/python RNG states (of every
  process, `rankRng`, when several train the run), the step and the job spec; written every `checkpointEvery`
  logical steps to a temporary file, then renamed over the old one.

Where the job's output is not on the local disk (an `s3://` store), the work directory is the trainer's own and a
retry may run on another machine, so both files are also kept under `<outputUri>/checkpoints/`, and that copy is
the one read back: `progress.json` is written there before every step (with the local one, before the step
touches data), `latest.pt` is uploaded after each local save (an object appears whole or not at all, so a failed
upload leaves the previous checkpoint). A local copy left by an earlier attempt on this machine is never read,
since another machine may have gone further since. The bucket must be as closed as the trainer's disk: it holds
the sampler and noise states too.

Runs. An attempt that finds `progress.json` resumes its run and keeps its `runId`; one that finds none starts a
new run with a new `runId`, whose accountant begins with the steps of every earlier run in the release log, so
the job's charges (per run, added up by the ledger) cover every step ever taken.

Crash rule. Steps taken after the last checkpoint were still taken: their noise was drawn and their gradients
computed on private data, and a loss may have been reported. On `--resume` the accountant therefore gets the
checkpoint's history plus one step for every step between the checkpoint and `startedStep`, and the step
counter continues from `startedStep`; the lost steps' updates are gone, their privacy cost is not. This is
conservative (a step killed before its update counts in full), keeps the total number of steps and the final
epsilon equal to an uninterrupted run's, and loses nothing when checkpoints are written every step. The
sampler and noise generators restart from fresh OS entropy after lost steps, so no randomness that already
met private data is drawn again.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import torch

from .blobs import download_if_exists, join_uri, read_if_exists, upload, write_bytes
from .files import atomic_file, write_atomically
from .releases import ReleaseLog, RunRecord

CHECKPOINT_DIR = "checkpoints"
PROGRESS_FILE = "progress.json"
STATE_FILE = "latest.pt"
#: Run ids of progress files written before runs had one.
LEGACY_RUN_ID = "run-legacy"


@dataclass(frozen=True)
class RunPlan:
    """The privacy-relevant shape of a run, fixed at its first start."""

    noiseMultiplier: float
    sampleRate: float
    totalSteps: int
    accountant: str
    clipping: str
    maxGradNorm: float
    trainingEpsilon: float | None
    trainingDelta: float
    #: Processes that train the run together (`training.devices`); runs started before it existed had one.
    devices: int = 1


@dataclass(frozen=True)
class Progress:
    plan: RunPlan
    startedStep: int
    runId: str = LEGACY_RUN_ID


def new_run_id() -> str:
    return f"run-{secrets.token_hex(6)}"


class CheckpointStore:
    """Reads and writes one run's progress marker, its release-log record and latest checkpoint.

    `run_id` is the run found in the progress marker, or a new one once `start_new_run` was called.
    """

    def __init__(self, out_dir: Path, releases: ReleaseLog | None = None) -> None:
        self.directory = Path(out_dir) / CHECKPOINT_DIR
        self.releases = releases or ReleaseLog(Path(out_dir).resolve().as_uri())
        #: The copy in the blob store that a retry elsewhere resumes from; None where the output is a local folder.
        local = urlparse(self.releases.uri).scheme == "file"
        self.mirror = None if local else join_uri(self.releases.uri, CHECKPOINT_DIR)
        self.run_id: str | None = None
        self.run_index = 0

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)

    def read_progress(self) -> Progress | None:
        if self.mirror is not None:
            body = read_if_exists(join_uri(self.mirror, PROGRESS_FILE))
        else:
            path = self.directory / PROGRESS_FILE
            body = path.read_bytes() if path.exists() else None
        if body is None:
            return None
        raw = json.loads(body)
        progress = Progress(RunPlan(**raw["plan"]), int(raw["startedStep"]), raw.get("runId", LEGACY_RUN_ID))
        self.run_id = progress.runId
        return progress

    def earlier_runs(self) -> list[RunRecord]:
        """The job's runs that started before this one (all recorded runs, for a run not yet started)."""
        runs = self.releases.runs()
        own = next((record for record in runs if record.runId == self.run_id), None)
        self.run_index = own.index if own else len([r for r in runs if r.runId != self.run_id])
        return [record for record in runs if record.runId != self.run_id and record.index < self.run_index]

    def start_new_run(self) -> str:
        self.run_id = new_run_id()
        return self.run_id

    def mark_started(self, step: int, plan: RunPlan) -> None:
        """Record that `step` is about to run, here and in the release log; call before the step touches data."""
        assert self.run_id is not None, "read_progress or start_new_run first"
        self._ensure_directory()
        body = json.dumps({"runId": self.run_id, "plan": asdict(plan), "startedStep": step}, indent=2).encode()
        write_atomically(self.directory / PROGRESS_FILE, body, private=True)
        if self.mirror is not None:
            write_bytes(join_uri(self.mirror, PROGRESS_FILE), body)
        self.releases.record_run(
            RunRecord(
                runId=self.run_id,
                index=self.run_index,
                noiseMultiplier=plan.noiseMultiplier,
                sampleRate=plan.sampleRate,
                startedStep=step,
            )
        )

    def save(self, state: dict[str, Any]) -> None:
        self._ensure_directory()
        with atomic_file(self.directory / STATE_FILE, private=True) as handle:
            torch.save(state, handle)
        if self.mirror is not None:
            upload(self.directory / STATE_FILE, join_uri(self.mirror, STATE_FILE))

    def load(self) -> dict[str, Any] | None:
        path = self.directory / STATE_FILE
        if self.mirror is not None:
            self._ensure_directory()
            partial = path.with_name(f".{STATE_FILE}.download")
            if download_if_exists(join_uri(self.mirror, STATE_FILE), partial) is None:
                return None
            os.chmod(partial, 0o600)
            os.replace(partial, path)
        elif not path.exists():
            return None
        return torch.load(path, map_location="cpu", weights_only=False)


def capture_rng(generators: dict[str, torch.Generator]) -> dict[str, Any]:
    """Every random state a step consumes: torch (CPU and CUDA), numpy, python, and the named generators."""
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "generators": {name: g.get_state() for name, g in generators.items()},
    }


def restore_rng(state: dict[str, Any], generators: dict[str, torch.Generator]) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    for name, generator in generators.items():
        generator.set_state(state["generators"][name])


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The weights training changes (LoRA adapter or the whole model), by parameter name."""
    return {name: p.detach().to("cpu", copy=True) for name, p in model.named_parameters() if p.requires_grad}


def load_trainable_state(model: torch.nn.Module, weights: dict[str, torch.Tensor]) -> None:
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in weights.items():
            params[name].copy_(value.to(params[name].device))
