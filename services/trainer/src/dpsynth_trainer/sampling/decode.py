"""Batched, KV-cached decoding of one field, with optional contrastive (classifier-free-guidance-style) guidance.

Each row decodes from its own prompt (stream 0) and, when guidance is on, from the prompts of the other labels
(the contrast streams). All streams of all rows run in one batch through the model; at every step the row's
next-token scores are

    cond + guidance * (cond - contrast),    contrast = log mean_l p_l(token)   over the other labels l,

restricted to tokens the conditional distribution itself finds plausible (probability at least
`plausibility` times its most likely token's, the constraint of contrastive decoding, Li et al. 2023), so that
guidance sharpens the label without writing tokens the model would never write. The sampled token is fed to
every stream of its row. A row stops at one of `stop_ids`; the stop token is not part of the value.

This module reads nothing but the model and the token ids it is given: prompts are built from public inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class DecodeOptions:
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 128
    guidance: float = 0.0
    plausibility: float = 0.1


@dataclass(frozen=True)
class Decoded:
    """One row's generated token ids (stop token excluded) and whether it ended at a stop token."""

    ids: list[int]
    stopped: bool


def _left_pad(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(ids) for ids in sequences)
    input_ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, ids in enumerate(sequences):
        if ids:
            input_ids[i, width - len(ids) :] = torch.tensor(list(ids), dtype=torch.long)
            attention[i, width - len(ids) :] = 1
    return input_ids, attention


def _top_p_filter(scores: torch.Tensor, top_p: float) -> torch.Tensor:
    if top_p >= 1.0:
        return scores
    sorted_scores, order = scores.sort(dim=-1, descending=True)
    cumulative = sorted_scores.softmax(dim=-1).cumsum(dim=-1)
    drop = cumulative - sorted_scores.softmax(dim=-1) > top_p  # keep the smallest prefix reaching top_p
    sorted_scores = sorted_scores.masked_fill(drop, float("-inf"))
    return torch.full_like(scores, float("-inf")).scatter(-1, order, sorted_scores)


def next_scores(logits: torch.Tensor, streams: int, options: DecodeOptions) -> torch.Tensor:
    """Sampling scores per row from the last-position logits of its `streams` streams, shape (rows, vocab)."""
    logp = torch.log_softmax(logits.float().view(-1, streams, logits.shape[-1]), dim=-1)
    cond = logp[:, 0]
    if streams == 1 or options.guidance == 0:
        scores = cond
    else:
        contrast = torch.logsumexp(logp[:, 1:], dim=1) - math.log(streams - 1)
        scores = cond + options.guidance * (cond - contrast)
        floor = cond.max(dim=-1, keepdim=True).values + math.log(options.plausibility)
        scores = scores.masked_fill(cond < floor, float("-inf"))
    scores = scores / options.temperature
    return _top_p_filter(scores, options.top_p)


@torch.inference_mode()
def decode_field(
    model: Any,
    prompts: Sequence[Sequence[Sequence[int]]],
    *,
    stop_ids: Sequence[int],
    pad_id: int,
    options: DecodeOptions,
    generator: torch.Generator,
) -> list[Decoded]:
    """Decode one value per row. `prompts[i]` holds row i's streams: its own prompt first, then its contrasts.

    Every row must have the same number of streams. Without guidance only the first stream is run.
    """
    streams = len(prompts[0]) if options.guidance else 1
    if any(len(row) < streams for row in prompts):
        raise ValueError("every row needs the same number of contrast prompts")
    device = next(model.parameters()).device
    flat = [stream for row in prompts for stream in row[:streams]]
    input_ids, attention = _left_pad(flat, pad_id)
    input_ids, attention = input_ids.to(device), attention.to(device)
    positions = (attention.cumsum(dim=-1) - 1).clamp(min=0)
    rows = len(prompts)
    stop = torch.zeros(model.get_output_embeddings().weight.shape[0], dtype=torch.bool, device=device)
    stop[list(stop_ids)] = True

    generated = torch.empty((rows, 0), dtype=torch.long, device=device)
    done = torch.zeros(rows, dtype=torch.bool, device=device)
    stopped = torch.zeros(rows, dtype=torch.bool, device=device)
    lengths = torch.zeros(rows, dtype=torch.long, device=device)
    cache = None
    step_ids, step_positions = input_ids, positions
    for _ in range(options.max_new_tokens):
        output = model(
            input_ids=step_ids, attention_mask=attention, position_ids=step_positions, cache=cache, use_cache=True
        )
        cache = output.cache
        scores = next_scores(output.logits[:, -1, :], streams, options)
        token = torch.multinomial(scores.softmax(dim=-1), 1, generator=generator).squeeze(-1)
        token = token.masked_fill(done, pad_id)
        hit = stop[token] & ~done
        lengths += (~done & ~hit).long()
        stopped |= hit
        generated = torch.cat([generated, token.unsqueeze(-1)], dim=-1)
        done |= hit
        if bool(done.all()):
            break
        step_ids = token.repeat_interleave(streams).unsqueeze(-1)
        step_positions = step_positions[:, -1:] + 1
        attention = torch.cat([attention, torch.ones((attention.shape[0], 1), dtype=attention.dtype, device=device)], 1)

    return [Decoded(generated[row, : int(lengths[row])].tolist(), bool(stopped[row])) for row in range(rows)]
