"""The loss-based membership-inference attack on the fine-tuned model (Yeom et al., 2018).

The attacker calls a row a training member when the model's loss on it is low. Its AUC on training rows
versus holdout rows measures how much the model remembers individual rows: 0.5 is no signal; DP-SGD bounds
how far above 0.5 it can go.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import torch

from dpsynth_trainer.data import Row
from dpsynth_trainer.evaluation.memorisation import membership_inference_auc
from dpsynth_trainer.records import IGNORE_INDEX, RowFormat
from dpsynth_trainer.training.batches import SequenceDataset, make_collate

#: Rows per side: enough for a stable AUC, cheap enough to run after every job.
ATTACK_ROWS = 256


@torch.inference_mode()
def row_losses(
    model: Any,
    row_format: RowFormat,
    rows: Sequence[Row],
    *,
    max_seq_len: int,
    batch_size: int = 16,
) -> list[float]:
    """Mean token cross-entropy of each row's continuation (the part training puts a loss on)."""
    if not rows:
        return []
    device = next(model.parameters()).device
    tokenizer = row_format.tokenizer
    dataset = SequenceDataset(row_format.encode_rows(rows, max_seq_len=max_seq_len))
    collate = make_collate(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id)
    was_training = model.training
    model.eval()
    losses: list[float] = []
    try:
        for start in range(0, len(dataset), batch_size):
            input_ids, attention, labels = (
                t.to(device) for t in collate([dataset[i] for i in range(start, min(start + batch_size, len(dataset)))])
            )
            logits = model(input_ids=input_ids, attention_mask=attention).logits[:, :-1].float()
            targets = labels[:, 1:]
            per_token = torch.nn.functional.cross_entropy(
                logits.transpose(1, 2), targets, ignore_index=IGNORE_INDEX, reduction="none"
            )
            counted = (targets != IGNORE_INDEX).sum(dim=1).clamp(min=1)
            losses.extend((per_token.sum(dim=1) / counted).tolist())
    finally:
        model.train(was_training)
    return losses


def membership_attack_auc(
    model: Any,
    row_format: RowFormat,
    train: Sequence[Row],
    holdout: Sequence[Row],
    *,
    max_seq_len: int,
    seed: int = 0,
) -> float | None:
    """AUC of the loss attack on up to ATTACK_ROWS rows of each split, or None when a split is empty."""
    if not train or not holdout:
        return None
    rng = random.Random(seed)
    members = rng.sample(list(train), min(ATTACK_ROWS, len(train)))
    non_members = rng.sample(list(holdout), min(ATTACK_ROWS, len(holdout)))
    return membership_inference_auc(
        row_losses(model, row_format, members, max_seq_len=max_seq_len),
        row_losses(model, row_format, non_members, max_seq_len=max_seq_len),
    )
