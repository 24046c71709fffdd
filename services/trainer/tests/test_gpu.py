"""CUDA-only paths: QLoRA (4-bit base via bitsandbytes) and ghost clipping on the GPU. Skipped without CUDA."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from dpsynth_trainer.config import TrainerSettings
from dpsynth_trainer.events import EventEmitter
from dpsynth_trainer.training import train
from training_support import MODEL_CACHE, read_events, spec, training_rows

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]
N_ROWS = 160


def cuda_run(tmp_path: Path, job):
    emitter = EventEmitter.to_jsonl(tmp_path / "events.jsonl", job_id=job.jobId)
    cuda = TrainerSettings(DPSYNTH_MODEL_CACHE=MODEL_CACHE, DPSYNTH_DEVICE="cuda")
    return train(job, training_rows(N_ROWS), tmp_path, emitter, settings=cuda), read_events(tmp_path / "events.jsonl")


def test_qlora_trains_a_4bit_base_with_dp_sgd(tmp_path: Path) -> None:
    result, events = cuda_run(tmp_path, spec(N_ROWS, model={"id": "tiny-llama", "finetune": "qlora"}))
    # A 4-bit base computes in bf16, where ghost clipping would overshoot the clip norm: per-sample hooks.
    assert result.summary.epsilon <= 3 and result.summary.clipping == "hooks"
    assert any("4bit" in type(m).__name__ or "Linear4bit" in type(m).__name__ for m in result.model.modules())
    losses = [e["values"]["train/loss"] for e in events if e["type"] == "metric"]
    assert len(losses) == result.summary.steps and all(math.isfinite(loss) for loss in losses)


def test_ghost_clipping_runs_on_cuda_within_budget(tmp_path: Path) -> None:
    result, _ = cuda_run(tmp_path, spec(N_ROWS, model={"id": "tiny-llama", "finetune": "lora"}))
    assert result.summary.clipping == "ghost"
    assert 0.95 * 3 <= result.summary.epsilon <= 3
    assert next(result.model.parameters()).device.type == "cuda"
