"""The processes that train one job together under `torchrun`, and the few things they must agree on.

A job whose spec asks for `training.devices` > 1 runs as that many processes (one per GPU, or CPU processes with
the gloo backend in tests). They form one DP-SGD run: Opacus' distributed optimizer adds the noise once per
logical step, on rank 0, and every process takes part in every step's gradient reduction. Rank 0 is the run's
only voice: it alone decides what the others must agree on (the run and its checkpoint, whether to stop) and
alone writes files and events; `Ranks.share` hands its decision to the others.

Without `torchrun` (or with one process) nothing here initialises anything and `Ranks.current()` is `SINGLE`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch
import torch.distributed as dist

from .errors import BadInputError, TrainerError
from .events import EventEmitter

T = TypeVar("T")
_CPU = torch.device("cpu")


@dataclass(frozen=True)
class Ranks:
    """This process's rank among `world` processes training one job; one process is rank 0 of 1."""

    rank: int = 0
    world: int = 1
    #: Where collective tensors live: the CPU for gloo, this process's GPU for NCCL.
    device: torch.device = _CPU

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @staticmethod
    def current() -> Ranks:
        """The initialised process group's view, or `SINGLE` when there is none."""
        if not (dist.is_available() and dist.is_initialized()):
            return SINGLE
        nccl = dist.get_backend() == "nccl"
        device = torch.device("cuda", torch.cuda.current_device()) if nccl else torch.device("cpu")
        return Ranks(rank=dist.get_rank(), world=dist.get_world_size(), device=device)

    def share(self, produce: Callable[[], T]) -> T:
        """`produce()` run on rank 0 only, its value (or the `TrainerError` it raised) on every rank."""
        if not self.distributed:
            return produce()
        box: list[Any] = [None]
        if self.main:
            try:
                box[0] = (produce(), None)
            except TrainerError as error:  # every rank fails alike, rather than waiting for rank 0
                box[0] = (None, error)
        dist.broadcast_object_list(box, src=0, device=self.device)
        value, error = box[0]
        if error is not None:
            raise error
        return value

    def agree(self, flag: bool) -> bool:
        """Rank 0's `flag` on every rank: a stop decided by one process must stop all of them at the same step."""
        return self.share(lambda: flag)

    def gather(self, value: T) -> list[T]:
        """Every rank's `value`, by rank (on every rank)."""
        if not self.distributed:
            return [value]
        values: list[Any] = [None] * self.world
        dist.all_gather_object(values, value)
        return values

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sums over the ranks (rows, tokens and losses of a step's shares)."""
        if not self.distributed:
            return values
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor.tolist()

    @contextlib.contextmanager
    def main_first(self) -> Iterator[None]:
        """Rank 0 runs the block before the others (it fills the model cache that they then only read)."""
        if self.distributed and not self.main:
            dist.barrier()
        yield
        if self.distributed and self.main:
            dist.barrier()


SINGLE = Ranks()


def join_ranks(device: str) -> Ranks:
    """Join the process group `torchrun` set up in the environment (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_*).

    `device` is the trainer's DPSYNTH_DEVICE: NCCL on CUDA, each process on the GPU of its LOCAL_RANK; gloo on the
    CPU. One process (no `torchrun`) joins nothing.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return SINGLE
    if not dist.is_initialized():
        cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return Ranks.current()


def rank_emitter(ranks: Ranks, path: Path, *, job_id: str, attempt: int) -> EventEmitter:
    """The command line's events: to the JSONL file `path` on rank 0 (creating its directory), nowhere elsewhere."""
    if not ranks.main:
        return EventEmitter.discarding(job_id=job_id, attempt=attempt)
    path.parent.mkdir(parents=True, exist_ok=True)
    return EventEmitter.to_jsonl(path, job_id=job_id, attempt=attempt)


def leave_ranks() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def check_devices(devices: int, processes: int) -> None:
    """A job trains on exactly the processes its spec asks for (`training.devices`)."""
    if devices == processes:
        return
    raise BadInputError(
        f"The job spec asks for {devices} device(s) (training.devices) but {processes} process(es) are training "
        f"it. Start it with `torchrun --standalone --nproc-per-node {devices} -m dpsynth_trainer ...`, or set "
        "training.devices to the number of processes."
    )
