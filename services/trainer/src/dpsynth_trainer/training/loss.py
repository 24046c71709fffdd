"""The language-model loss with one value per sequence, as DP-SGD's privacy unit is a row.

Each row's loss is the mean cross-entropy over its own loss-bearing tokens (the prompt and padding carry
`IGNORE_INDEX`), so a row's gradient does not depend on how long the other rows in its batch are. The call
signature is the one Opacus' ghost-clipping wrapper expects: flattened logits and targets plus `shape`.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from ..records import IGNORE_INDEX


class SequenceCrossEntropy(nn.Module):
    """Per-row mean token cross-entropy, reduced over the batch by `reduction`.

    - "none": per-token losses, shape (B*T,): what the ghost-clipping wrapper asks for and reduces itself.
    - "mean": the mean over the batch's rows (Opacus' `loss_reduction="mean"`).
    - "sum": the sum over rows divided by `divide_sum_by`; the non-private run divides by the expected logical
      batch size, as DPOptimizer does, so both runs take the same step size.
    """

    ignore_index = IGNORE_INDEX

    def __init__(self, *, reduction: Literal["none", "mean", "sum"] = "mean", divide_sum_by: float = 1.0) -> None:
        super().__init__()
        self.reduction = reduction
        self.divide_sum_by = divide_sum_by

    def forward(self, logits: torch.Tensor, targets: torch.Tensor, shape: torch.Size | None = None) -> torch.Tensor:
        token_loss = F.cross_entropy(logits.float(), targets, ignore_index=IGNORE_INDEX, reduction="none")
        if self.reduction == "none":
            return token_loss
        per_row = per_row_loss(token_loss, targets, shape)
        if per_row.numel() == 0:  # an empty Poisson batch: no rows, no loss, but a graph for Opacus
            return logits.sum() * 0.0
        if self.reduction == "mean":
            return per_row.mean()
        return per_row.sum() / self.divide_sum_by


def per_row_loss(token_loss: torch.Tensor, targets: torch.Tensor, shape: torch.Size | None) -> torch.Tensor:
    rows, width = (shape[0], shape[1]) if shape is not None else (1, token_loss.numel())
    mask = (targets.view(rows, width) != IGNORE_INDEX).to(token_loss.dtype)
    return (token_loss.view(rows, width) * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)


def row_loss_sum(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Sum over rows of each row's mean token loss, for reporting (no gradient)."""
    with torch.no_grad():
        token_loss = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]).float(),
            targets.reshape(-1),
            ignore_index=IGNORE_INDEX,
            reduction="none",
        )
        return float(per_row_loss(token_loss, targets.reshape(-1), logits.shape).sum())
