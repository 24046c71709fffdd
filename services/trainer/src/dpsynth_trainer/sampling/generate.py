"""Synthetic rows until every label's quota is met: guided decoding, field by field, then re-scoring.

A batch of candidates is decoded one field at a time (the sampler writes each field's name; the model writes
the value, see `records.py`), each row against the other labels' prompts when guidance is on. Candidates with
an empty text are dropped; with re-scoring on, so is every candidate whose posterior under the fine-tuned
model favours another label or gives its own less than `min_posterior`. Batches follow the labels still short
of their quota, weighted by how often each label's candidates are kept, until the quotas are met or
`max_candidates_per_row` candidates per requested row have been tried: then the result says plainly how many
rows are missing.

Nothing here reads a private row: only the model, the public prompts and the planned quotas.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ..contract import constants
from ..errors import CancelledError
from ..label_counts import allocate_rows
from ..records import RowFormat
from .decode import CANDIDATES, DecodeOptions, decode_field
from .rescore import continuation_log_likelihoods, label_posteriors

#: At most this many other labels' prompts per row for guidance (a random subset when there are more): the
#: contract's rule, which the quote's time estimate follows too.
MAX_CONTRASTS = constants().max_guidance_contrasts


@dataclass(frozen=True)
class SamplingConfig:
    temperature: float = 1.0
    top_p: float = 0.95
    max_new_tokens: int = 128
    batch_size: int = 32
    seed: int = 0
    guidance: float = 0.0
    rescoring: bool = False
    min_posterior: float = 0.5
    max_candidates_per_row: float = 4.0
    #: Each step's draw looks at this many likeliest tokens first (exact either way; see `decode.CANDIDATES`).
    candidates: int = CANDIDATES


@dataclass(frozen=True)
class SyntheticRow:
    label: str
    text: str
    extras: dict[str, str]


@dataclass
class SamplingResult:
    """Accepted rows (each with the label it was conditioned on) and what happened to the other candidates."""

    rows: list[SyntheticRow] = field(default_factory=list)
    requested: int = 0
    generated: int = 0
    failed: int = 0
    rejected: int = 0
    kept: int = 0
    #: Rows delivered although below `min_posterior`, because too few candidates passed it.
    below_threshold: int = 0
    seconds: float = 0.0
    guidance: float = 0.0
    rescoring: bool = False
    min_posterior: float = 0.5

    @property
    def shortfall(self) -> int:
        return max(0, self.requested - len(self.rows))

    @property
    def acceptance_rate(self) -> float:
        """Candidates kept (non-empty and, with re-scoring, judged of their own label) over candidates tried."""
        return self.kept / self.generated if self.generated else 0.0

    @property
    def rows_per_second(self) -> float:
        return len(self.rows) / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int, int, float], None]
"""(candidates generated, rows accepted, rows accepted per second so far)."""


def _clean(value: str) -> str:
    """A value as it may go into a CSV cell: no NUL, no lone surrogate."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


class _Sampler:
    def __init__(self, model: Any, row_format: RowFormat, config: SamplingConfig, prior: Mapping[str, float]):
        self.model, self.fmt, self.config, self.prior = model, row_format, config, prior
        self.labels = row_format.labels
        self.generator = torch.Generator().manual_seed(config.seed)
        self.rng = random.Random(config.seed)
        tokenizer = row_format.tokenizer
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    def contrasts(self, label: str) -> list[str]:
        others = [other for other in self.labels if other != label]
        return others if len(others) <= MAX_CONTRASTS else self.rng.sample(others, MAX_CONTRASTS)

    def candidates(self, batch: Sequence[str]) -> list[list[list[int]]]:
        """Field values (canonical tokens, as training writes them) of one candidate per label in `batch`."""
        fmt = self.fmt
        values: list[list[list[int]]] = [[] for _ in batch]
        streams = [[label, *self.contrasts(label)] for label in batch]
        options = DecodeOptions(
            temperature=self.config.temperature,
            top_p=self.config.top_p,
            max_new_tokens=self.config.max_new_tokens,
            guidance=self.config.guidance,
            candidates=self.config.candidates,
        )
        prompts = [fmt.prompt_ids(label) for label in self.labels]
        position = {label: k for k, label in enumerate(self.labels)}
        for index in range(len(fmt.fields)):
            rows = []
            for row, labels in enumerate(streams):
                done = [token for j, value in enumerate(values[row]) for token in (*fmt.field_prefix_ids(j), *value)]
                tail = [*done, *fmt.field_prefix_ids(index)]
                rows.append([(position[label], tail) for label in labels])
            decoded = decode_field(
                self.model,
                prompts,
                rows,
                stop_ids=fmt.stop_ids(index),
                pad_id=self.pad_id,
                options=options,
                generator=self.generator,
            )
            for row, out in enumerate(decoded):
                values[row].append(fmt.value_ids(index, _clean(fmt.decode_value(out.ids))))
        return values

    def judge(self, batch: Sequence[str], values: Sequence[list[list[int]]]) -> list[tuple[str, float]]:
        """Each candidate's fate and its own label's posterior: "empty", "kept", "reserve" (its own label wins, below
        `min_posterior`) or "rejected" (another label wins). Without re-scoring every non-empty candidate is kept."""
        verdicts: list[tuple[str, float]] = [
            ("kept", 1.0) if self.fmt.decode_value(row[self.fmt.TEXT_INDEX]) else ("empty", 0.0) for row in values
        ]
        scored = [i for i, (fate, _) in enumerate(verdicts) if fate == "kept"]
        if not self.config.rescoring or not scored:
            return verdicts
        continuations = [self.fmt.continuation_ids(values[i]) for i in scored]
        likelihoods = continuation_log_likelihoods(
            self.model, self.fmt, continuations, self.labels, batch_size=self.config.batch_size
        )
        posteriors = label_posteriors(likelihoods, self.labels, self.prior)
        for row, i in enumerate(scored):
            own = self.labels.index(batch[i])
            mine = float(posteriors[row, own])
            if int(posteriors[row].argmax()) != own:
                verdicts[i] = ("rejected", mine)
            else:
                verdicts[i] = ("kept" if mine >= self.config.min_posterior else "reserve", mine)
        return verdicts

    def row(self, label: str, values: Sequence[list[int]]) -> SyntheticRow:
        decoded = dict(zip(self.fmt.fields, (self.fmt.decode_value(value) for value in values), strict=True))
        text = decoded.pop(self.fmt.text_column)
        return SyntheticRow(label, text, decoded)


def _next_batch(need: Mapping[str, int], kept: Mapping[str, float], size: int) -> list[str]:
    """Labels for the next batch: each in proportion to what it still needs over how often it is kept."""
    weights = {label: n / kept[label] for label, n in need.items() if n > 0}
    total = sum(weights.values())
    allocation = allocate_rows({label: w / total for label, w in weights.items()}, size)
    return [label for label, count in allocation.items() for _ in range(count)]


@torch.inference_mode()
def generate_rows(
    model: Any,
    row_format: RowFormat,
    quotas: Mapping[str, int],
    *,
    prior: Mapping[str, float],
    config: SamplingConfig,
    progress: Progress = lambda *_: None,
    cancel_check: Callable[[], bool] = lambda: False,
) -> SamplingResult:
    """Rows for each label up to its quota, within `max_candidates_per_row` candidates per requested row."""
    requested = sum(quotas.values())
    result = SamplingResult(
        requested=requested, guidance=config.guidance, rescoring=config.rescoring, min_posterior=config.min_posterior
    )
    budget = math.ceil(requested * config.max_candidates_per_row)
    need = {label: count for label, count in quotas.items() if count > 0}
    tried = dict.fromkeys(need, 0)
    accepted = dict.fromkeys(need, 0)
    reserve: dict[str, list[tuple[float, SyntheticRow]]] = {label: [] for label in need}
    sampler = _Sampler(model, row_format, config, prior)
    was_training = model.training
    model.eval()
    start = time.perf_counter()
    try:
        while any(need.values()) and result.generated < budget:
            if cancel_check():
                raise CancelledError("The job was cancelled during sampling.")
            kept = {label: (accepted[label] + 1) / (tried[label] + 2) for label in need}
            batch = _next_batch(need, kept, min(config.batch_size, budget - result.generated))
            values = sampler.candidates(batch)
            for label, row_values, (fate, posterior) in zip(batch, values, sampler.judge(batch, values), strict=True):
                tried[label] += 1
                result.failed += fate == "empty"
                if fate == "reserve":
                    reserve[label].append((posterior, sampler.row(label, row_values)))
                if fate != "kept":
                    continue
                accepted[label] += 1
                if need[label] > 0:
                    need[label] -= 1
                    result.rows.append(sampler.row(label, row_values))
            result.generated += len(batch)
            result.kept = sum(accepted.values())
            result.rejected = result.generated - result.failed - result.kept
            result.seconds = time.perf_counter() - start
            progress(result.generated, len(result.rows), result.rows_per_second)
        # The budget is spent and labels are short: their own-label winners below the threshold, clearest first,
        # rather than no row at all. The result counts them.
        for label, short in need.items():
            best = sorted(reserve[label], key=lambda item: -item[0])[:short]
            result.rows.extend(row for _, row in best)
            result.below_threshold += len(best)
        if result.below_threshold:
            progress(result.generated, len(result.rows), result.rows_per_second)
    finally:
        model.train(was_training)
    sampler.rng.shuffle(result.rows)  # batches are grouped by label; the file should not be
    return result
