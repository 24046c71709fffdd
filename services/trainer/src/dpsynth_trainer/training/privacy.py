"""The one place where a private and a non-private run differ: whether Opacus' privacy engine is attached.

`make_trainable` has a single branch. Without a privacy budget it returns the plain optimizer (stepping at the
end of each logical batch) and the plain loss; with one, Opacus wraps the same model, optimizer and data with
per-sample clipping, noise and an accountant. Both runs sample logical batches the same way (Poisson, rate
1/len(loader)) and are split into physical batches by `BatchMemoryManager`, so the training loop cannot tell
them apart.

On several processes (`ranks.py`) the model is wrapped in Opacus' `DifferentiallyPrivateDistributedDataParallel`
first (which broadcasts rank 0's weights), so `make_private` returns its distributed optimizer: each process
clips its own rows' gradients, rank 0 alone adds the noise, and the sums are all-reduced, so a logical step is
noised once and the accountant sees the same (noise multiplier, sampling rate, steps) as on one device. Each
process draws its share of the Poisson batch (`batches.ShardedPoissonBatches`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import torch
from opacus import PrivacyEngine
from opacus.accountants import IAccountant
from opacus.data_loader import DPDataLoader
from opacus.distributed import DifferentiallyPrivateDistributedDataParallel as DPDDP
from torch.utils.data import DataLoader

from ..contract import PrivacySpec
from ..errors import BadInputError
from ..models import ghost_clipping_blockers
from ..ranks import SINGLE, Ranks
from .accounting import History, PrivacyMeter, calibrate_noise
from .batches import sharded
from .budget import TrainingBudget
from .ghost import GhostCriterion
from .loss import SequenceCrossEntropy

Clipping = Literal["ghost", "hooks", "none"]


class LogicalBatchOptimizer:
    """A plain optimizer that speaks DPOptimizer's `BatchMemoryManager` protocol.

    BatchMemoryManager signals which physical batches are not the last of their logical batch; like
    DPOptimizer, this steps and clears gradients only at the end of a logical batch. On several processes it sums
    their gradients first (the loss is already divided by the whole logical batch's expected size).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, ranks: Ranks = SINGLE) -> None:
        self.original_optimizer = optimizer
        self.ranks = ranks
        self._skip_queue: list[bool] = []
        self._is_last_step_skipped = False

    def signal_skip_step(self, do_skip: bool = True) -> None:
        self._skip_queue.append(do_skip)

    def step(self) -> None:
        self._is_last_step_skipped = self._skip_queue.pop(0) if self._skip_queue else False
        if self._is_last_step_skipped:
            return
        if self.ranks.distributed:
            for group in self.original_optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        torch.distributed.all_reduce(p.grad, op=torch.distributed.ReduceOp.SUM)
        self.original_optimizer.step()

    def zero_grad(self, set_to_none: bool = True) -> None:
        if not self._is_last_step_skipped:
            self.original_optimizer.zero_grad(set_to_none)

    def state_dict(self) -> dict[str, Any]:
        return self.original_optimizer.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.original_optimizer.load_state_dict(state)


def zero_gradients_for_empty_batch(trainable: Trainable) -> None:
    """Stand in for the backward pass when Poisson sampling drew no row (language models cannot run on a batch
    of zero rows). The step must still happen and add its noise: skipping it would reveal that no row was drawn.
    """
    for p in trainable.model.parameters():
        if p.requires_grad:
            p.grad = torch.zeros_like(p)  # what ghost clipping's optimizer and a plain optimizer read
            if trainable.clipping == "hooks":
                p.grad_sample = p.new_zeros((0, *p.shape))  # what DPOptimizer clips: no per-sample gradient


def completed_logical_step(optimizer: Any) -> bool:
    """Whether the last `optimizer.step()` ended a logical batch (DPOptimizer keeps the same flag)."""
    return not optimizer._is_last_step_skipped


@dataclass
class Trainable:
    """What the training loop drives; identical in shape for private and non-private runs."""

    model: torch.nn.Module
    optimizer: Any  # DPOptimizer (private) or LogicalBatchOptimizer
    loader: DataLoader  # Poisson-sampled logical batches
    criterion: Any
    sample_rate: float
    noise_multiplier: float
    accountant: IAccountant | None
    accountant_mechanism: str  # a registered accountant (accountants.py), or "none"
    clipping: Clipping
    hooks: Any | None = None

    def cleanup(self) -> None:
        if self.hooks is not None and hasattr(self.hooks, "cleanup"):
            self.hooks.cleanup()


def choose_clipping(model: torch.nn.Module, requested: str) -> Literal["ghost", "hooks"]:
    """The clipping asked for; "auto" means ghost clipping on CUDA when every trainable layer supports it.

    On CPU "auto" means per-sample hooks, because there ghost clipping measured slower (bench/results/
    dp-overhead.md, DP step time over non-private, same run, 2 loaded cores): LoRA 1.43-1.82x with ghost,
    1.01-1.05x with hooks; SmolLM2-135M full fine-tuning 2.15x with ghost (even with its first backward pass cut
    to the norms, training/ghost.py), 1.75x with hooks. Ghost clipping's memory is far lower (full fine-tuning:
    peak 1.33x against 2.82x), so "ghost" is the choice where per-sample gradients would not fit. Ghost's
    second backward pass also realises each row's clipped gradient in the pass's own precision: under bf16 it
    landed up to 0.3% above the clip norm (tiny models, measured), where hooks clip float32 per-sample gradients
    exactly; so a ghost run trains in float32 (`precision.training_dtype`), and a quantised base, which computes
    in bf16 regardless, takes hooks.
    """
    if requested == "hooks":
        return "hooks"
    blockers = ghost_clipping_blockers(model)
    if getattr(model, "is_loaded_in_4bit", False) or getattr(model, "is_loaded_in_8bit", False):
        # A quantised base computes in bf16 whatever the run's precision: ghost clipping would not hold the clip
        # norm exactly (training/precision.py), per-sample hooks clip float32 gradients.
        blockers.append("a quantised (QLoRA) base computes in bf16, where ghost clipping overshoots the clip norm")
    if requested == "ghost" and blockers:
        raise BadInputError(
            f"Ghost clipping cannot cover this model ({'; '.join(blockers[:3])}); use clipping 'auto' or 'hooks'."
        )
    on_cuda = next(model.parameters()).device.type == "cuda"
    return "ghost" if requested == "ghost" or (on_cuda and not blockers) else "hooks"


def _engine(mechanism: str) -> PrivacyEngine:
    with warnings.catch_warnings():
        # Opacus warns that its noise is not from a CSPRNG: its secure mode needs torchcsprng, which publishes no
        # build for this torch and Python (README, privacy model). Ours is seeded from OS entropy (see loop.py).
        warnings.simplefilter("ignore")
        return PrivacyEngine(accountant=mechanism)


def make_trainable(
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data_loader: DataLoader,
    budget: TrainingBudget,
    privacy: PrivacySpec,
    epochs: float,
    noise_generator: torch.Generator,
    noise_multiplier: float | None = None,
    accountant_mechanism: str | None = None,
    prior_history: History | None = None,
    ranks: Ranks = SINGLE,
) -> Trainable:
    """Attach DP-SGD to the training objects, or leave it out for the non-private baseline.

    A new private run calibrates its noise to `budget` over `epochs`, after the steps of the job's earlier runs
    (`prior_history`) when it starts over; a resumed run (or a benchmark) passes the recorded `noise_multiplier`
    and `accountant_mechanism` instead. With several `ranks` every process calls this with the same arguments and
    gets its share of the run (module docstring).
    """
    sample_rate = 1 / len(data_loader)
    expected_batch_size = int(len(data_loader.dataset) * sample_rate)  # Opacus' own definition
    # Wrapping broadcasts rank 0's weights; `make_private` recognises the wrapper and goes distributed.
    module = DPDDP(model) if ranks.distributed else model

    def share(loader: DataLoader) -> DataLoader:
        return sharded(loader, rank=ranks.rank, world=ranks.world) if ranks.distributed else loader

    if not budget.private:
        return Trainable(
            model=model,
            optimizer=LogicalBatchOptimizer(optimizer, ranks),
            loader=share(DPDataLoader.from_data_loader(data_loader)),
            criterion=SequenceCrossEntropy(reduction="sum", divide_sum_by=max(expected_batch_size, 1)),
            sample_rate=sample_rate,
            noise_multiplier=0.0,
            accountant=None,
            accountant_mechanism="none",
            clipping="none",
        )

    clipping = choose_clipping(model, privacy.clipping)
    common = {
        "module": module,
        "optimizer": optimizer,
        "data_loader": data_loader,
        "criterion": SequenceCrossEntropy(reduction="mean"),
        "max_grad_norm": privacy.maxGradNorm,
        "poisson_sampling": True,
        "grad_sample_mode": "ghost" if clipping == "ghost" else "hooks",
        "wrap_model": False,  # hooks on the model itself: HF and peft models keep their own API
        "noise_generator": noise_generator,
    }
    if noise_multiplier is None:
        meter = PrivacyMeter(privacy.accountant, budget.delta)
        noise_multiplier = calibrate_noise(
            meter,
            target_epsilon=budget.epsilon,
            sample_rate=sample_rate,
            steps=int(epochs / sample_rate),  # the steps make_private_with_epsilon would plan
            prior=prior_history or [],
        )
        mechanism = meter.mechanism  # the accountant that could compute it, down the fallback chain
    else:
        mechanism = accountant_mechanism or privacy.accountant
    engine = _engine(mechanism)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = engine.make_private(noise_multiplier=noise_multiplier, **common)
    if clipping == "ghost":
        hooks, dp_optimizer, criterion, loader = parts
        criterion = GhostCriterion(criterion, hooks, model)  # a first backward pass for the norms only
    else:
        hooks, dp_optimizer, loader = parts
        criterion = common["criterion"]
    return Trainable(
        model=model,
        optimizer=dp_optimizer,
        loader=share(loader),
        criterion=criterion,
        sample_rate=sample_rate,
        noise_multiplier=float(dp_optimizer.noise_multiplier),
        accountant=engine.accountant,
        accountant_mechanism=mechanism,
        clipping=clipping,
        hooks=hooks,
    )
