"""Batched sampling with the KV cache: left-padded prompts, one `generate` call per batch.

`batch_size=1` runs the same code one row at a time (the benchmark compares the two).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from dpsynth_trainer.data import ParsedRow, encode_prompt, serialize_prompt
from dpsynth_trainer.errors import CancelledError
from dpsynth_trainer.sampling.output import parse_row


@dataclass(frozen=True)
class GenerationConfig:
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 128
    batch_size: int = 16
    seed: int = 0


@dataclass
class SamplingResult:
    """Parsed rows (each with the label it was conditioned on) and what failed to parse."""

    rows: list[ParsedRow] = field(default_factory=list)
    requested: int = 0
    generated: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.generated / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int, int, float], None]
"""(batches done, rows done, rows per second so far)."""


def _left_padded(prompts: Sequence[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(ids) for ids in prompts)
    input_ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(prompts), width), dtype=torch.long)
    for i, ids in enumerate(prompts):
        input_ids[i, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
        attention[i, width - len(ids) :] = 1
    return input_ids.to(device), attention.to(device)


@torch.inference_mode()
def generate_rows(
    model: Any,
    tokenizer: Any,
    labels: Sequence[str],
    *,
    separator: str,
    label_set: Sequence[str],
    extra_columns: Sequence[str] = (),
    config: GenerationConfig,
    progress: Progress = lambda *_: None,
    cancel_check: Callable[[], bool] = lambda: False,
) -> SamplingResult:
    """Generate one row per entry of `labels` (the conditioning label of each row), `config.batch_size` at a time."""
    device = next(model.parameters()).device
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    prompt_ids = {label: encode_prompt(tokenizer, label, separator) for label in set(labels)}
    torch.manual_seed(config.seed)
    was_training = model.training
    model.eval()
    result = SamplingResult(requested=len(labels))
    start = time.perf_counter()
    try:
        for batch_number, first in enumerate(range(0, len(labels), config.batch_size), start=1):
            if cancel_check():
                raise CancelledError("The job was cancelled during sampling.")
            batch = labels[first : first + config.batch_size]
            input_ids, attention = _left_padded([prompt_ids[label] for label in batch], pad_id, device)
            output = model.generate(
                input_ids=input_ids,
                attention_mask=attention,
                do_sample=True,
                temperature=config.temperature,
                top_p=config.top_p,
                max_new_tokens=config.max_new_tokens,
                use_cache=True,
                pad_token_id=pad_id,
                eos_token_id=tokenizer.eos_token_id,
            )
            continuations = tokenizer.batch_decode(output[:, input_ids.shape[1] :], skip_special_tokens=True)
            for label, continuation in zip(batch, continuations, strict=True):
                parsed = parse_row(
                    serialize_prompt(label, separator),
                    continuation,
                    separator=separator,
                    labels=label_set,
                    extra_columns=extra_columns,
                )
                if parsed is None:
                    result.failed += 1
                else:
                    result.rows.append(parsed)
            result.generated += len(batch)
            result.seconds = time.perf_counter() - start
            progress(batch_number, result.generated, result.rows_per_second)
    finally:
        model.train(was_training)
    return result
