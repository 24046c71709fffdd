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
    device = next(model.parameters()).device
    pad_id = row_format.tokenizer.pad_token_id
    pad_id = row_format.tokenizer.eos_token_id if pad_id is None else pad_id
    jobs = [(i, k) for i in range(len(continuations)) for k in range(len(labels))]
    # Longest first in each batch, so rows of a batch pad little.
    jobs.sort(key=lambda job: -(len(row_format.prompt_ids(labels[job[1]])) + len(continuations[job[0]][0])))
    scores = torch.zeros((len(continuations), len(labels)), dtype=torch.float64)
    for start in range(0, len(jobs), batch_size):
        chunk = jobs[start : start + batch_size]
        sequences, masks = [], []
        for i, k in chunk:
            prompt = row_format.prompt_ids(labels[k])
            ids, learned = continuations[i]
            sequences.append([*prompt, *ids])
            masks.append([False] * len(prompt) + list(learned))
        width = max(len(ids) for ids in sequences)
        input_ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(chunk), width), dtype=torch.long)
        scored = torch.zeros((len(chunk), width), dtype=torch.bool)
        for row, (ids, mask) in enumerate(zip(sequences, masks, strict=True)):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            attention[row, : len(ids)] = 1
            scored[row, : len(mask)] = torch.tensor(mask)
        input_ids, attention, scored = input_ids.to(device), attention.to(device), scored.to(device)
        logits = model(input_ids=input_ids, attention_mask=attention).logits[:, :-1].float()
        token_logp = torch.log_softmax(logits, dim=-1).gather(-1, input_ids[:, 1:].unsqueeze(-1)).squeeze(-1)
        totals = (token_logp * scored[:, 1:]).sum(dim=-1).double().cpu()
        for (i, k), total in zip(chunk, totals.tolist(), strict=True):
            scores[i, k] = total
    return scores


def label_posteriors(log_likelihoods: torch.Tensor, labels: Sequence[str], prior: Mapping[str, float]) -> torch.Tensor:
    """Posterior over `labels` per candidate, with `prior` (a label with prior 0 gets a tiny floor, not -inf)."""
    log_prior = torch.tensor([math.log(max(prior.get(label, 0.0), 1e-12)) for label in labels], dtype=torch.float64)
    return torch.softmax(log_likelihoods + log_prior, dim=-1)
