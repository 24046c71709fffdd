"""Encoded rows as tensors, padded batches, and logical batches ordered by length.

Poisson sampling decides which rows form a logical batch; the order of the rows inside it changes nothing
(the step adds up the clipped per-row gradients), so they are sorted by length before `BatchMemoryManager`
cuts them into physical batches: rows of similar length share a physical batch and little is padded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from ..records import IGNORE_INDEX, EncodedRows


class SequenceDataset(Dataset):
    """Encoded rows as (input_ids, attention_mask, labels) of varying length; `make_collate` pads a batch.

    Items have the batch's three-tensor shape so that Opacus can build an empty batch of the same structure
    when Poisson sampling draws no row.
    """

    def __init__(self, encoded: EncodedRows) -> None:
        self.encoded = encoded

    def __len__(self) -> int:
        return len(self.encoded.input_ids)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        ids = torch.tensor(self.encoded.input_ids[index], dtype=torch.long)
        return ids, torch.ones_like(ids), torch.tensor(self.encoded.labels[index], dtype=torch.long)


def make_collate(pad_token_id: int):
    """Right-pad a batch to its longest row: (input_ids, attention_mask, labels), padding masked from the loss."""

    def collate(batch: list[tuple[torch.Tensor, ...]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        width = max(len(ids) for ids, _, _ in batch)
        input_ids = torch.full((len(batch), width), pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
        for i, (ids, _, lab) in enumerate(batch):
            input_ids[i, : len(ids)] = ids
            attention[i, : len(ids)] = 1
            labels[i, : len(lab)] = lab
        return input_ids, attention, labels

    return collate


class LengthGroupedBatches:
    """The logical batches of a Poisson batch sampler, each with its rows in order of length."""

    def __init__(self, sampler: Any, lengths: Sequence[int]) -> None:
        self.sampler = sampler
        self.lengths = lengths

    @property
    def steps(self) -> int:
        return self.sampler.steps

    @steps.setter
    def steps(self, value: int) -> None:
        self.sampler.steps = value

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self.sampler:
            yield sorted(batch, key=lambda index: self.lengths[index])


def length_grouped(loader: DataLoader, lengths: Sequence[int]) -> DataLoader:
    """The same loader (dataset, collate, generator) drawing its logical batches through `LengthGroupedBatches`."""
    return DataLoader(
        dataset=loader.dataset,
        batch_sampler=LengthGroupedBatches(loader.batch_sampler, lengths),
        collate_fn=loader.collate_fn,
        generator=loader.generator,
    )


class ShardedPoissonBatches:
    """One process's share of each logical batch when several processes train a job together.

    Row `i` belongs to process `i mod world`; each process keeps each of its rows with probability `sample_rate`,
    independently of every other row, so the shares together are exactly one Poisson-sampled logical batch over
    the whole dataset: the sampling the accountant assumes, at the same rate as on one device. Unlike Opacus'
    `DistributedUniformWithReplacementSampler` an empty share is yielded too: every process must take part in each
    step's gradient reduction, and a skipped step would also tell that no row was drawn.
    """

    def __init__(
        self,
        *,
        num_samples: int,
        sample_rate: float,
        rank: int,
        world: int,
        steps: int,
        generator: torch.Generator | None = None,
    ) -> None:
        self.indices = torch.arange(rank, num_samples, world)
        self.sample_rate = sample_rate
        self.steps = steps
        self.generator = generator

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[list[int]]:
        for _ in range(self.steps):
            keep = torch.rand(len(self.indices), generator=self.generator) < self.sample_rate
            yield self.indices[keep].tolist()


def sharded(loader: DataLoader, *, rank: int, world: int) -> DataLoader:
    """The same Poisson loader (dataset, collate, generator, rate, steps) drawing only this process's share."""
    sampler = loader.batch_sampler
    return DataLoader(
        dataset=loader.dataset,
        batch_sampler=ShardedPoissonBatches(
            num_samples=len(loader.dataset),
            sample_rate=sampler.sample_rate,
            rank=rank,
            world=world,
            steps=len(sampler),
            generator=loader.generator,
        ),
        collate_fn=loader.collate_fn,
        generator=loader.generator,
    )
