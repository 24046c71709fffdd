"""One forward pass of a causal LM for training: next-token logits and the targets they predict."""

from __future__ import annotations

import torch


def next_token_logits(
    model: torch.nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits at positions 0..T-2 and the labels at 1..T-1 they are scored against.

    Position ids are passed with the batch's own shape: left to the model, GPT-2 builds them with batch size 1,
    and Opacus would then see one "sample" in the position embedding's per-sample gradient.
    """
    rows, width = input_ids.shape
    position_ids = torch.arange(width, device=input_ids.device).expand(rows, width)
    logits = model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids).logits
    return logits[:, :-1, :], labels[:, 1:].contiguous()
