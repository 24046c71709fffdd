"""From a loaded base model and the training rows to what DP-SGD steps: the adapter, the encoded rows, the
Poisson-sampled loader (its logical batches ordered by length), the optimizer and the privacy wrapping.

`train` and the trainer-step benchmark (`bench/trainer/trainer_step.py`) both build through here, so the
benchmark times exactly what a job runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader

from ..contract import JobSpec
from ..data import Row
from ..models import LoadedModel, apply_finetune
from ..ranks import SINGLE, Ranks
from ..records import EncodedRows, RowFormat
from .batches import SequenceDataset, length_grouped, make_collate
from .budget import TrainingBudget
from .privacy import History, Trainable, make_trainable


@dataclass(frozen=True)
class BuiltTrainable:
    #: The adapted model itself (what is saved), unwrapped by the privacy engine.
    model: torch.nn.Module
    trainable: Trainable
    encoded: EncodedRows
    #: Pads a list of encoded rows into one batch (input ids, attention mask, labels).
    collate: Callable[[list[Any]], Any]


def build_trainable(
    spec: JobSpec,
    rows: Sequence[Row],
    loaded: LoadedModel,
    *,
    budget: TrainingBudget,
    noise_generator: torch.Generator,
    sampler_generator: torch.Generator | None = None,
    noise_multiplier: float | None = None,
    accountant_mechanism: str | None = None,
    prior_history: History | None = None,
    ranks: Ranks = SINGLE,
    adapt: Callable[[torch.nn.Module, Any], torch.nn.Module] = apply_finetune,
) -> BuiltTrainable:
    """Adapt `loaded` as `spec.model` says and wrap it for DP-SGD (or not, for the non-private baseline).

    The DP parameters are `make_trainable`'s: a new run calibrates its noise to `budget`; a resumed run or a
    benchmark passes its `noise_multiplier` and `accountant_mechanism`. The accountant's history starts with
    `prior_history` (the steps of the job's earlier runs); a resumed run's checkpoint then replaces it. With
    several `ranks` each process builds its share of one run (`privacy.py`). `adapt` is `apply_finetune` except in
    dp-overhead, which also measures full fine-tuning as it was before issue 15 (every weight trainable, the tied
    embedding included).
    """
    model = adapt(loaded.model, spec.model)
    model.train()
    encoded = RowFormat.for_spec(spec, loaded.tokenizer).encode_rows(rows, max_seq_len=spec.training.maxSeqLen)
    collate = make_collate(loaded.tokenizer.pad_token_id)
    data_loader = DataLoader(
        SequenceDataset(encoded),
        batch_size=min(spec.training.logicalBatchSize, len(encoded.input_ids)),
        collate_fn=collate,
        generator=sampler_generator,
    )
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=spec.training.learningRate)
    trainable = make_trainable(
        model=model,
        optimizer=optimizer,
        data_loader=data_loader,
        budget=budget,
        privacy=spec.privacy,
        epochs=spec.training.epochs,
        noise_generator=noise_generator,
        noise_multiplier=noise_multiplier,
        accountant_mechanism=accountant_mechanism,
        prior_history=prior_history,
        ranks=ranks,
    )
    trainable.loader = length_grouped(trainable.loader, [len(ids) for ids in encoded.input_ids])
    if trainable.accountant is not None:
        trainable.accountant.history = list(prior_history or [])
    return BuiltTrainable(model, trainable, encoded, collate)
