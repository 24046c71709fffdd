"""Re-scoring a candidate row under every label's prompt: the model's own posterior over the labels.

For a candidate continuation x (its values, written the way training writes them) the posterior of label l is
prior(l) * p(x | prompt(l)), normalised over the declared labels, with the label mix as the prior. Only the
tokens the model writes (values and the end token) are scored, as in training. This reads the model and the
public prompts only, so keeping or dropping a candidate on it is post-processing of the DP model: free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from ..records import RowFormat
from .decode import shared_prefill


@torch.inference_mode()
def continuation_log_likelihoods(
    model: Any,
    row_format: RowFormat,
    continuations: Sequence[tuple[Sequence[int], Sequence[bool]]],
    labels: Sequence[str],
    *,
    batch_size: int = 32,
) -> torch.Tensor:
    """log p(continuation | prompt(label)) summed over its learned tokens, shape (candidates, labels)."""
    tokenizer = row_format.tokenizer
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    prompts = [row_format.prompt_ids(label) for label in labels]
    jobs = [(i, k) for i in range(len(continuations)) for k in range(len(labels))]
    scores = torch.zeros((len(continuations), len(labels)), dtype=torch.float64)
    for start in range(0, len(jobs), batch_size):
        chunk = jobs[start : start + batch_size]
        state = shared_prefill(
            model, prompts, [(k, continuations[i][0]) for i, k in chunk], pad_id=pad_id, tail_padding="right"
        )
        # Token t of a tail is predicted after token t-1; the first one after the prompt.
        predicted = torch.cat([state.prompt_logits.unsqueeze(1), state.tail_logits[:, :-1]], dim=1)
        width = predicted.shape[1]
        targets = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        learned = torch.zeros((len(chunk), width), dtype=torch.bool)
        for row, (i, _) in enumerate(chunk):
            ids, mask = continuations[i]
            targets[row, : len(ids)] = torch.tensor(list(ids), dtype=torch.long)
            learned[row, : len(mask)] = torch.tensor(list(mask), dtype=torch.bool)
        # log p(token) = its logit - log Σ exp(logits): the normaliser in float32, no full log-softmax kept.
        chosen = predicted.gather(-1, targets.to(predicted.device).unsqueeze(-1)).squeeze(-1).float()
        token_logp = chosen - torch.logsumexp(predicted.float(), dim=-1)
        totals = (token_logp * learned.to(token_logp.device)).sum(dim=-1).double().cpu()
        for (i, k), total in zip(chunk, totals.tolist(), strict=True):
            scores[i, k] = total
    return scores


def label_posteriors(log_likelihoods: torch.Tensor, labels: Sequence[str], prior: Mapping[str, float]) -> torch.Tensor:
    """Posterior over `labels` per candidate, with `prior` (a label with prior 0 gets a tiny floor, not -inf)."""
    log_prior = torch.tensor([math.log(max(prior.get(label, 0.0), 1e-12)) for label in labels], dtype=torch.float64)
    return torch.softmax(log_likelihoods + log_prior, dim=-1)
