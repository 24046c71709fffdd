"""One physical batch of a logical step: forward under the run's precision, the per-row loss, backward.

The training loop and the dp-overhead benchmark both call this, so what the benchmark times is what a job runs.
"""

from __future__ import annotations

import torch

from .forward import next_token_logits
from .loss import row_loss_sum
from .precision import autocast
from .privacy import Trainable, zero_gradients_for_empty_batch


def physical_pass(
    trainable: Trainable, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor], *, dtype: torch.dtype
) -> tuple[int, int, float]:
    """Accumulate one physical batch's gradients; returns (rows, tokens, summed row losses) for reporting."""
    input_ids, attention, labels = batch
    if input_ids.shape[0] == 0:
        zero_gradients_for_empty_batch(trainable)
        return 0, 0, 0.0
    device = next(trainable.model.parameters()).device
    input_ids, attention, labels = (x.to(device) for x in (input_ids, attention, labels))
    with autocast(device, dtype):
        logits, targets = next_token_logits(trainable.model, input_ids, attention, labels)
    loss = trainable.criterion(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), shape=logits.shape)
    loss.backward()
    return input_ids.shape[0], int(attention.sum()), row_loss_sum(logits.detach(), targets)
