"""Adapter: the trainer's own training objects for one configuration, and one logical step on fixed batches.

Everything that decides what a step costs comes from `dpsynth_trainer`: the job-spec contract, the model
registry (`create_model`), Opacus' grad samplers (`register_grad_samplers`), `build_trainable` (the adapter, row
encoding and `make_trainable`, the one place where a private and a non-private run differ, exactly as `train`
builds them), and `physical_pass`, the loop's own forward and backward under the run's precision.
What this file adds is BatchMemoryManager's skip signals, on fixed batches of exactly `seq_len` tokens, because
Poisson-sampled batches vary in size from step to step, which would drown the difference being measured.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from dpsynth_trainer.contract import constants, parse_job_spec
from dpsynth_trainer.data import Row
from dpsynth_trainer.errors import BadInputError
from dpsynth_trainer.models import apply_finetune, create_model, register_grad_samplers
from dpsynth_trainer.training.batches import SequenceDataset
from dpsynth_trainer.training.budget import training_budget
from dpsynth_trainer.training.build import build_trainable
from dpsynth_trainer.training.loop import seed_everything
from dpsynth_trainer.training.precision import training_dtype
from dpsynth_trainer.training.privacy import Trainable
from dpsynth_trainer.training.step import physical_pass

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
LABELS = ("fresh", "rotten")
FIXED_NOISE_MULTIPLIER = 1.0  # noise is one Gaussian draw per parameter: its size does not change the cost


@dataclass(frozen=True)
class StepConfig:
    model: str
    finetune: str  # "lora" | "full"
    mode: str  # "non-private" | "ghost" | "hooks"
    seq_len: int
    logical_batch: int
    physical_batch: int
    precision: str = "fp32"  # "fp32" | "bf16": training.precision
    last_layers: int | None = None  # LoRA on the last N layers only
    #: Full fine-tuning as before issue 15: every weight trainable, the tied embedding/head included, which
    #: ghost clipping cannot cover (today apply_finetune freezes a tied weight).
    train_tied: bool = False

    @property
    def private(self) -> bool:
        return self.mode != "non-private"


def job_spec(config: StepConfig, train_rows: int) -> Any:
    """A contract-valid job spec for `config`, defaults filled in by the contract itself."""
    return parse_job_spec(
        {
            "schemaVersion": constants().schema_version,
            "jobId": "bench",
            "datasetId": "bench",
            "model": {"id": config.model, "finetune": config.finetune, "lora": {"lastLayers": config.last_layers}},
            "privacy": {
                "epsilon": 8 if config.private else "inf",
                "delta": min(1e-5, 0.1 / train_rows) if config.private else 0,
                "accountant": "rdp",
                "maxGradNorm": 1.0,
                "clipping": config.mode if config.private else "auto",
            },
            "training": {
                "epochs": 1,
                "learningRate": 1e-4,
                "logicalBatchSize": config.logical_batch,
                "physicalBatchSize": config.physical_batch,
                "maxSeqLen": config.seq_len,
                "precision": config.precision,
            },
            "prompt": {"style": "raw"},  # the shortest prompt: the rows' tokens are the text being timed
            "sampling": {"rows": 1},
            "data": {
                "trainUri": "file:///dev/null",
                "holdoutUri": "file:///dev/null",
                "textColumn": "review",
                "labelColumn": "label",
                "labels": [{"value": label, "description": label} for label in LABELS],
                "trainRows": train_rows,
            },
            "outputUri": "file:///dev/null/",
        }
    )


def full_length_rows(snippets: list[tuple[str, str]], count: int, seq_len: int) -> list[Row]:
    """`count` rows whose text is long enough to be cut at `seq_len` tokens, so every row has the same length."""
    texts = itertools.cycle(text for text, _ in snippets)
    labels = itertools.cycle(label for _, label in snippets)
    words_needed = seq_len * 2  # a word is at least one token
    rows = []
    for _ in range(count):
        words: list[str] = []
        while len(words) < words_needed:
            words += next(texts).split()
        rows.append(Row(next(labels), " ".join(words)))
    return rows


@dataclass
class Built:
    config: StepConfig
    trainable: Trainable
    chunks: list[Batch]  # one logical batch, already split into physical batches on the device
    tokens_per_step: int
    trainable_parameters: int
    clipping: str
    dtype: torch.dtype

    def step(self) -> None:
        """One logical step: every physical batch's forward and backward, the optimizer's step at the end."""
        t = self.trainable
        for i, batch in enumerate(self.chunks):
            t.optimizer.signal_skip_step(do_skip=i < len(self.chunks) - 1)  # as BatchMemoryManager signals
            physical_pass(t, batch, dtype=self.dtype)
            t.optimizer.step()
            t.optimizer.zero_grad()

    def close(self) -> None:
        self.trainable.cleanup()


class NotApplicable(Exception):
    """The trainer refuses this configuration (e.g. ghost clipping on tied embeddings); the reason is its own."""


def _train_everything(model: torch.nn.Module, spec: Any) -> torch.nn.Module:
    """Full fine-tuning's adaptation before issue 15: every weight trainable, a tied one too."""
    return apply_finetune(model, spec).requires_grad_(True)


def build(config: StepConfig, rows: list[Row], *, device: torch.device, cache_dir: Path) -> Built:
    """The model, optimizer and privacy wrapping a trainer run of `config` would use, and one fixed batch."""
    spec = job_spec(config, len(rows))
    register_grad_samplers()
    seed_everything(spec.training.seed)
    loaded = create_model(spec.model, cache_dir=cache_dir, device=device)
    try:
        built = build_trainable(
            spec,
            rows,
            loaded,
            budget=training_budget(spec.privacy, len(rows)),
            noise_generator=torch.Generator(device=device).manual_seed(0),
            noise_multiplier=FIXED_NOISE_MULTIPLIER,
            accountant_mechanism="rdp",
            adapt=_train_everything if config.train_tied else apply_finetune,
        )
    except BadInputError as exc:
        raise NotApplicable(str(exc)) from None
    trainable, encoded, collate = built.trainable, built.encoded, built.collate
    params = [p for p in built.model.parameters() if p.requires_grad]
    input_ids, attention, labels = collate([SequenceDataset(encoded)[i] for i in range(config.logical_batch)])
    chunks = [
        tuple(t[start : start + config.physical_batch].to(device) for t in (input_ids, attention, labels))
        for start in range(0, config.logical_batch, config.physical_batch)
    ]
    return Built(
        config=config,
        trainable=trainable,
        chunks=chunks,
        tokens_per_step=int(attention.sum()),
        trainable_parameters=sum(p.numel() for p in params),
        clipping=trainable.clipping,
        dtype=training_dtype(config.precision, device, trainable.clipping),
    )
