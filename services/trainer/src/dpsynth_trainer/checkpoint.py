"""Checkpoints that let a run resume exactly, and the crash rule that keeps its privacy accounting honest.

Layout under `<out>/checkpoints/`:

- `progress.json`: the run's plan (noise multiplier, sampling rate, planned steps, accountant, clipping) and
  `startedStep`, the highest logical step ever *started*. It is rewritten (atomically, fsynced) before every
  step, before any private data is touched for it.
- `latest.pt`: trainable weights (the LoRA adapter or the whole model), optimizer state, the accountant's
  history, the Poisson sampler's and the noise generator's states, torch/numpy/python RNG states, the step and
  the job spec; written every `checkpointEvery` logical steps to a temporary file, then renamed over the old one.

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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

CHECKPOINT_DIR = "checkpoints"
PROGRESS_FILE = "progress.json"
STATE_FILE = "latest.pt"


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


@dataclass(frozen=True)
class Progress:
    plan: RunPlan
    startedStep: int


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


class CheckpointStore:
    """Reads and writes one run's progress marker and latest checkpoint."""

    def __init__(self, out_dir: Path) -> None:
        self.directory = Path(out_dir) / CHECKPOINT_DIR

    def read_progress(self) -> Progress | None:
        path = self.directory / PROGRESS_FILE
        if not path.exists():
            return None
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Progress(RunPlan(**raw["plan"]), int(raw["startedStep"]))

    def mark_started(self, step: int, plan: RunPlan) -> None:
        """Record that `step` is about to run; call before the step touches private data."""
        self.directory.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"plan": asdict(plan), "startedStep": step}, indent=2).encode()
        _write_atomically(self.directory / PROGRESS_FILE, body)

    def save(self, state: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = self.directory / f".{STATE_FILE}.partial"
        torch.save(state, partial)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, self.directory / STATE_FILE)

    def load(self) -> dict[str, Any] | None:
        path = self.directory / STATE_FILE
        if not path.exists():
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
