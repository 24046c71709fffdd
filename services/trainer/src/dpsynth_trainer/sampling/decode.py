"""Batched, KV-cached decoding of one field, with optional contrastive (classifier-free-guidance-style) guidance.

Each row decodes from its own label's prompt (stream 0) and, when guidance is on, from the prompts of other
labels (the contrast streams); every stream continues with the same tail (the fields written so far). All
streams of all rows run in one batch; at every step the row's next-token scores are

    cond + guidance * (cond - contrast),    contrast = log mean_l p_l(token)   over the contrast labels l,

restricted to tokens the conditional distribution itself finds plausible (probability at least
`plausibility` times its most likely token's, the constraint of contrastive decoding, Li et al. 2023), so that
guidance sharpens the label without writing tokens the model would never write. The sampled token is fed to
every stream of its row. A row stops at one of `stop_ids`; the stop token is not part of the value.

Rows share a handful of prompts (one per label), so each prompt runs through the model once and its KV cache
is copied to every stream that starts with it (`shared_prefill`); only the tails and the new tokens are
computed per stream. Each step's draw is made among the row's likeliest tokens when they provably hold every
token it may draw (`next_distribution`), so the vocabulary is sorted only on the rare step they do not. This
module reads nothing but the model and the token ids it is given: prompts are built from public inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

#: How many of a row's likeliest tokens (under its own prompt) its next-token distribution is first looked for in.
#: For a 135M model on a CPU, sorting and sampling over the whole vocabulary at every step cost about as much as
#: the forward pass; when these tokens provably hold every token that may be drawn, the rest is never sorted.
CANDIDATES = 256


@dataclass(frozen=True)
class DecodeOptions:
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 128
    guidance: float = 0.0
    plausibility: float = 0.1
    candidates: int = CANDIDATES


@dataclass(frozen=True)
class Decoded:
    """One row's generated token ids (stop token excluded) and whether it ended at a stop token."""

    ids: list[int]
    stopped: bool


Stream = tuple[int, Sequence[int]]
"""(index of the prompt it starts with, the tail of token ids after that prompt)."""


def pad(sequences: Sequence[Sequence[int]], pad_id: int, *, side: str = "left") -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, attention) of `sequences` padded to one width, on the `side` given."""
    width = max(len(ids) for ids in sequences)
    input_ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, ids in enumerate(sequences):
        if ids:
            span = slice(width - len(ids), width) if side == "left" else slice(0, len(ids))
            input_ids[i, span] = torch.tensor(list(ids), dtype=torch.long)
            attention[i, span] = 1
    return input_ids, attention


@dataclass
class StreamState:
    """The KV cache of a batch of streams after their prompt and tail, and what the model predicts next."""

    cache: Any
    attention: torch.Tensor  # (streams, cached length): 1 where a real token sits
    last_position: torch.Tensor  # (streams,)
    prompt_logits: torch.Tensor  # (streams, vocab): the model's prediction after each stream's prompt
    next_logits: torch.Tensor  # (streams, vocab): after each stream's last token (left-padded tails only)
    tail_logits: torch.Tensor | None  # (streams, tail width, vocab): after each tail position


def shared_prefill(
    model: Any, prompts: Sequence[Sequence[int]], streams: Sequence[Stream], *, pad_id: int, tail_padding: str = "left"
) -> StreamState:
    """Run every distinct prompt once, copy its cache to the streams that start with it, then run the tails.

    Tails are padded in a segment of their own (padding is masked out, and position ids continue from each
    prompt's own length), so streams of different prompt and tail lengths share a batch. Left padding puts each
    stream's last token at the end, for decoding on; right padding lines tails up from their first token, for
    scoring them (`tail_logits` is then kept).
    """
    device = next(model.parameters()).device
    prompt_ids, prompt_mask = (t.to(device) for t in pad(prompts, pad_id))
    prompt_positions = (prompt_mask.cumsum(dim=-1) - 1).clamp(min=0)
    out = model(input_ids=prompt_ids, attention_mask=prompt_mask, position_ids=prompt_positions, use_cache=True)
    index = torch.tensor([k for k, _ in streams], dtype=torch.long, device=device)
    cache = out.cache
    cache.reorder_cache(index)  # a copy of each prompt's keys and values per stream
    attention = prompt_mask[index]
    prompt_lengths = prompt_mask.sum(dim=-1)[index]
    prompt_logits = next_logits = out.logits[:, -1, :][index]
    last_position = prompt_lengths - 1
    tail_logits = None
    tails = [list(tail) for _, tail in streams]
    if any(tails):
        padded = pad([t or [pad_id] for t in tails], pad_id, side=tail_padding)
        tail_ids, tail_mask = (t.to(device) for t in padded)
        empty = torch.tensor([not t for t in tails], device=device)
        tail_mask = tail_mask.masked_fill(empty.unsqueeze(-1), 0)
        positions = prompt_lengths.unsqueeze(-1) + tail_mask.cumsum(dim=-1) - 1
        attention = torch.cat([attention, tail_mask], dim=-1)
        out = model(input_ids=tail_ids, attention_mask=attention, position_ids=positions, cache=cache, use_cache=True)
        cache = out.cache
        next_logits = torch.where(empty.unsqueeze(-1), next_logits, out.logits[:, -1, :])
        last_position = last_position + tail_mask.sum(dim=-1)
        if tail_padding == "right":
            tail_logits = out.logits
    return StreamState(cache, attention, last_position, prompt_logits, next_logits, tail_logits)


def _top_p_filter(scores: torch.Tensor, top_p: float, log_total: torch.Tensor | None = None) -> torch.Tensor:
    """`scores` with every token outside the top-p nucleus set to -inf. `log_total` is the log of the whole
    distribution's mass when `scores` hold only part of it (default: they hold all of it)."""
    if top_p >= 1.0:
        return scores
    sorted_scores, order = scores.sort(dim=-1, descending=True)
    total = sorted_scores.logsumexp(dim=-1, keepdim=True) if log_total is None else log_total.unsqueeze(-1)
    probs = (sorted_scores - total).exp()
    drop = probs.cumsum(dim=-1) - probs > top_p  # keep the smallest prefix reaching top_p
    sorted_scores = sorted_scores.masked_fill(drop, float("-inf"))
    return torch.full_like(scores, float("-inf")).scatter(-1, order, sorted_scores)


def _guided_scores(cond: torch.Tensor, contrast: torch.Tensor | None, options: DecodeOptions) -> torch.Tensor:
    """The rule of the module docstring over whichever tokens it is given: `cond` (rows, tokens) are the row's
    log-probabilities under its own prompt, `contrast` (rows, contrast streams, tokens) under the others' (None
    without guidance); tempered, before top-p."""
    if contrast is None:
        return cond / options.temperature
    mixed = torch.logsumexp(contrast, dim=1) - math.log(contrast.shape[1])
    floor = cond.max(dim=-1, keepdim=True).values + math.log(options.plausibility)
    scores = (cond + options.guidance * (cond - mixed)).masked_fill(cond < floor, float("-inf"))
    return scores / options.temperature


def _guided(streams: int, options: DecodeOptions) -> int:
    """How many of a row's streams the scores read: all of them with guidance, else its own."""
    return streams if options.guidance and streams > 1 else 1


def next_scores(logits: torch.Tensor, streams: int, options: DecodeOptions) -> torch.Tensor:
    """Sampling scores per row over the whole vocabulary from the last-position logits of its `streams` streams,
    shape (rows, vocab)."""
    used = _guided(streams, options)
    logp = torch.log_softmax(logits.float().view(-1, streams, logits.shape[-1])[:, :used], dim=-1)
    scores = _guided_scores(logp[:, 0], logp[:, 1:] if used > 1 else None, options)
    return _top_p_filter(scores, options.top_p)


def next_distribution(logits: torch.Tensor, streams: int, options: DecodeOptions) -> tuple[torch.Tensor, torch.Tensor]:
    """Per row, the tokens it may draw and their probabilities, each (rows, width): exactly those of
    `next_scores`, computed over the row's `options.candidates` likeliest tokens when they provably hold every
    token with a chance (with guidance: the plausibility floor falls inside them; without: so does the top-p
    nucleus), and over the whole vocabulary, for the whole batch, when some row's do not."""
    per_stream = logits.float().view(-1, streams, logits.shape[-1])
    rows, vocab = per_stream.shape[0], per_stream.shape[-1]
    used = _guided(streams, options)
    top, ids = per_stream[:, 0].topk(min(options.candidates, vocab), dim=-1)  # sorted, likeliest first
    log_norm = torch.logsumexp(per_stream[:, :used], dim=-1)  # (rows, used)
    cond = top - log_norm[:, :1]
    log_total = None
    if used > 1:
        others = per_stream[:, 1:used].gather(-1, ids.unsqueeze(1).expand(-1, used - 1, -1))
        scores = _guided_scores(cond, others - log_norm[:, 1:, None], options)
        # The last candidate is implausible, so is every token after it: none of them may be drawn.
        covered = cond[:, -1] < cond[:, 0] + math.log(options.plausibility)
    else:
        scores = _guided_scores(cond, None, options)
        # Tokens past the candidates lie outside the nucleus once the candidates' share of the (tempered) whole
        # exceeds top_p; the nucleus is taken over the whole distribution's mass, not the candidates'.
        log_total = torch.logsumexp((per_stream[:, 0] - log_norm) / options.temperature, dim=-1)
        covered = scores.logsumexp(dim=-1) - log_total > math.log(options.top_p) if options.top_p < 1 else None
    if ids.shape[-1] < vocab and (covered is None or not bool(covered.all())):
        everything = torch.arange(vocab, device=logits.device).expand(rows, -1)
        return everything, next_scores(logits, streams, options).softmax(dim=-1)
    return ids, _top_p_filter(scores, options.top_p, log_total).softmax(dim=-1)


@torch.inference_mode()
def decode_field(
    model: Any,
    prompts: Sequence[Sequence[int]],
    rows: Sequence[Sequence[Stream]],
    *,
    stop_ids: Sequence[int],
    pad_id: int,
    options: DecodeOptions,
    generator: torch.Generator,
) -> list[Decoded]:
    """Decode one value per row. `rows[i]` holds row i's streams: its own first, then its contrasts.

    Every row must have the same number of streams. Without guidance only the first stream is run.
    """
    width = len(rows[0]) if options.guidance else 1
    if any(len(row) < width for row in rows):
        raise ValueError("every row needs the same number of contrast streams")
    state = shared_prefill(model, prompts, [stream for row in rows for stream in row[:width]], pad_id=pad_id)
    device = state.next_logits.device
    vocab = state.next_logits.shape[-1]
    stop = torch.zeros(vocab, dtype=torch.bool, device=device)
    stop[[i for i in stop_ids if i < vocab]] = True
    count = len(rows)
    generated = torch.full((count, options.max_new_tokens), pad_id, dtype=torch.long, device=device)
    done = torch.zeros(count, dtype=torch.bool, device=device)
    stopped = torch.zeros(count, dtype=torch.bool, device=device)
    lengths = torch.zeros(count, dtype=torch.long, device=device)
    alive = torch.arange(count, device=device)  # the rows still in the batch, in batch order
    logits, cache, attention, position = state.next_logits, state.cache, state.attention, state.last_position
    for step in range(options.max_new_tokens):
        finished = done[alive]
        ids, probs = next_distribution(logits, width, options)
        token = ids.gather(-1, torch.multinomial(probs, 1, generator=generator)).squeeze(-1)
        token = token.masked_fill(finished, pad_id)
        hit = stop[token] & ~finished
        lengths[alive] += (~finished & ~hit).long()
        stopped[alive] |= hit
        generated[alive, step] = token
        done[alive] |= hit
        if bool(done.all()):
            break
        keep = ~done[alive]
        if int((~keep).sum()) * 4 >= len(alive):
            # A quarter of the batch has finished: drop those rows' streams from the cache instead of feeding them.
            streams = (keep.nonzero().squeeze(-1).unsqueeze(-1) * width + torch.arange(width, device=device)).reshape(
                -1
            )
            cache.reorder_cache(streams)
            attention, position, token, alive = attention[streams], position[streams], token[keep], alive[keep]
        position = position + 1
        attention = torch.cat([attention, attention.new_ones((attention.shape[0], 1))], dim=-1)
        output = model(
            input_ids=token.repeat_interleave(width).unsqueeze(-1),
            attention_mask=attention,
            position_ids=position.unsqueeze(-1),
            cache=cache,
            use_cache=True,
        )
        cache, logits = output.cache, output.logits[:, -1, :]
    return [Decoded(generated[row, : int(lengths[row])].tolist(), bool(stopped[row])) for row in range(count)]
