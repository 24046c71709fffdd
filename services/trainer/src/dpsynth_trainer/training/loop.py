"""`train()`: DP-SGD fine-tuning of a causal LM on one job's training rows.

One path for every run: load and adapt the model, encode the rows, `make_trainable` (the only place a private
and a non-private run differ), then logical steps over Poisson-sampled batches split into physical batches by
Opacus' `BatchMemoryManager`. Between logical steps: cancellation, the budget guard, the started-step marker;
after each: events and, every `checkpointEvery` steps, a checkpoint (see `checkpoint.py` for the crash rule).

Randomness: `training.seed` fixes initialisation and dropout. The Poisson sampler and the DP noise draw from
generators seeded with OS entropy, because the DP guarantee assumes nobody can predict which rows a batch
holds or what noise was added; their states are checkpointed so a resume continues the same streams.
"""

from __future__ import annotations

import random
import secrets
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from opacus.utils.batch_memory_manager import BatchMemoryManager
from tqdm import tqdm

from ..checkpoint import (
    CheckpointStore,
    Progress,
    RunPlan,
    capture_rng,
    load_trainable_state,
    restore_rng,
    trainable_state,
)
from ..config import TrainerSettings, load_settings
from ..contract import JobSpec, TrainingSummary
from ..data import TrainingRows
from ..errors import BadInputError, CancelledError, OutOfMemoryError
from ..events import EventEmitter
from ..models import (
    LoadedModel,
    create_model,
    max_positions,
    quantization_config_for,
    register_grad_samplers,
    save_trained_model,
)
from ..releases import ReleaseLog
from .accounting import BudgetGuard, PrivacyMeter
from .batches import length_grouped
from .budget import TrainingBudget, training_budget
from .build import build_trainable
from .cancel import CancelWatch
from .precision import compute_dtype
from .privacy import Trainable, completed_logical_step
from .runs import RunAccounts
from .step import physical_pass

MODEL_DIR = "model"
# Opacus registers full backward hooks on layers whose inputs need no gradient (the first LoRA layer sees the
# frozen embedding's output); torch notes that each time, harmlessly.
warnings.filterwarnings("ignore", message="Full backward hook is firing")


@dataclass
class TrainingResult:
    """What a finished run hands to the pipeline: the summary for the `result` event and the trained model."""

    summary: TrainingSummary
    model_dir: Path
    model: torch.nn.Module
    tokenizer: Any
    final_loss: float | None
    truncated_rows: int


def select_device(setting: str) -> torch.device:
    if setting == "cuda" and not torch.cuda.is_available():
        raise BadInputError("DPSYNTH_DEVICE is 'cuda' but no CUDA device is visible to the trainer.")
    if setting == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(setting)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _entropy_generator(device: torch.device) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(secrets.randbits(63))


def load_for_training(spec: JobSpec, settings: TrainerSettings) -> LoadedModel:
    """The base model and tokenizer, seeded as training seeds them, checked against `training.maxSeqLen`.

    The pipeline loads it before the job's label release, so a model that cannot load spends no privacy budget.
    """
    device = select_device(settings.DPSYNTH_DEVICE)
    register_grad_samplers()
    seed_everything(spec.training.seed)
    loaded = create_model(
        spec.model,
        cache_dir=settings.model_cache,
        device=device,
        quantization_config=quantization_config_for(spec.model, device),
    )
    limit = max_positions(loaded.model)
    if limit is not None and spec.training.maxSeqLen > limit:
        raise BadInputError(
            f"training.maxSeqLen {spec.training.maxSeqLen} exceeds the {limit} positions model '{spec.model.id}' has."
        )
    return loaded


def train(
    spec: JobSpec,
    rows: TrainingRows,
    out_dir: Path,
    emitter: EventEmitter,
    *,
    resume: bool = False,
    settings: TrainerSettings | None = None,
    cancel: CancelWatch | None = None,
    noise_multiplier: float | None = None,
    show_progress: bool | None = None,
    releases: ReleaseLog | None = None,
    loaded: LoadedModel | None = None,
) -> TrainingResult:
    """Fine-tune `spec.model` on `rows` (the training split only) within the job's training budget.

    Writes checkpoints under `out_dir/checkpoints/` and the trained model to `out_dir/model/`; emits stage,
    log, metric and privacy events. `resume=True` continues a run found in `out_dir` (and starts one when there
    is none); without it a started run in `out_dir` is refused, since starting over would spend epsilon twice.
    `noise_multiplier` fixes the noise instead of calibrating it (benchmarks, accounting tests); the guard
    still stops the run at the approved epsilon. `releases` is the job's release log (default: beside the
    checkpoints); a run that starts over after earlier runs of the job composes its accounting with theirs.
    `loaded` is the model `load_for_training` loaded for this spec (default: loaded here).
    """
    settings = settings or load_settings()
    out_dir = Path(out_dir)
    cancel = cancel or CancelWatch(out_dir)
    store = CheckpointStore(out_dir, releases)
    progress = store.read_progress()
    if progress is not None and not resume:
        raise BadInputError(
            # Users read this message: it names no path of the server's.
            "The output directory already holds a started training run; resume it (--resume) or use a new output "
            "directory. Starting it over would spend its privacy budget twice."
        )
    budget = training_budget(spec.privacy, len(rows.rows))
    run = RunAccounts(store.run_id or store.start_new_run(), store.earlier_runs())
    emitter.stage("loading")
    if progress is None and run.prior_history:
        emitter.log(
            "warning",
            f"No checkpoint of this job's earlier {len(run.earlier)} run(s) was found here, so a new run starts. "
            f"Its accounting continues theirs: the {sum(s for _, _, s in run.prior_history)} step(s) they started "
            "count against the approved epsilon, and its noise is calibrated to what is left.",
        )
    if spec.data.trainRows != len(rows.rows):
        emitter.log(
            "warning",
            f"The spec says {spec.data.trainRows} training rows but the data has {len(rows.rows)}; privacy "
            "is calibrated to the rows actually trained on.",
        )
    device = select_device(settings.DPSYNTH_DEVICE)
    loaded = loaded or load_for_training(spec, settings)
    sampler_rng, noise_rng = _entropy_generator(torch.device("cpu")), _entropy_generator(device)
    built = build_trainable(
        spec,
        rows.rows,
        loaded,
        budget=budget,
        noise_generator=noise_rng,
        sampler_generator=sampler_rng,
        noise_multiplier=progress.plan.noiseMultiplier if progress else noise_multiplier,
        accountant_mechanism=progress.plan.accountant if progress else None,
        prior_history=run.prior_history,
    )
    model, trainable, encoded = built.model, built.trainable, built.encoded
    if encoded.truncated:
        emitter.log(
            "warning",
            f"{encoded.truncated} of {len(rows.rows)} rows were longer than maxSeqLen={spec.training.maxSeqLen} "
            "tokens and were truncated.",
        )
    trainable.loader = length_grouped(trainable.loader, [len(ids) for ids in encoded.input_ids])
    if trainable.accountant is not None:
        trainable.accountant.history = list(run.prior_history)  # a checkpoint's history (which has them) replaces it
    plan = RunPlan(
        noiseMultiplier=trainable.noise_multiplier,
        sampleRate=trainable.sample_rate,
        totalSteps=int(spec.training.epochs / trainable.sample_rate),  # as make_private_with_epsilon plans
        accountant=trainable.accountant_mechanism,
        clipping=trainable.clipping,
        maxGradNorm=spec.privacy.maxGradNorm,
        trainingEpsilon=budget.epsilon,
        trainingDelta=budget.delta,
    )
    if plan.totalSteps < 1:
        raise BadInputError("training.epochs is too small for a single logical step; raise it.")
    if progress is not None and progress.plan != plan:
        raise BadInputError(
            "The job spec changed since this run started (privacy, batch or epoch settings differ from its "
            "checkpoint); resuming would not be the same run. Start a new run in a new output directory."
        )

    generators = {"sampler": sampler_rng, "noise": noise_rng}
    start = _restore(
        store=store, progress=progress, trainable=trainable, plan=plan, generators=generators, emitter=emitter
    )
    runner = _StepRunner(
        spec=spec,
        run=run,
        trainable=trainable,
        plan=plan,
        budget=budget,
        store=store,
        emitter=emitter,
        generators=generators,
        cancel=cancel,
    )
    try:
        final_loss = runner.run(start, show_progress=sys.stdout.isatty() if show_progress is None else show_progress)
    except torch.OutOfMemoryError:
        raise OutOfMemoryError(
            f"The device ran out of memory at physical batch size {spec.training.physicalBatchSize} and "
            f"maxSeqLen {spec.training.maxSeqLen}; lower either and resume."
        ) from None
    finally:
        trainable.cleanup()

    model_dir = save_trained_model(model, loaded.tokenizer, out_dir / MODEL_DIR, spec.model)
    summary = TrainingSummary(
        runId=run.run_id,
        noiseMultiplier=plan.noiseMultiplier,
        sampleRate=plan.sampleRate,
        steps=runner.step,
        epochs=runner.step * plan.sampleRate,
        maxGradNorm=spec.privacy.maxGradNorm,
        accountant=runner.meter.mechanism if runner.meter else "none",
        epsilon=runner.epsilon if budget.private else "inf",
        delta=budget.delta,
        clipping=plan.clipping,
    )
    (out_dir / "training-summary.json").write_text(summary.model_dump_json(indent=2), encoding="utf-8")
    return TrainingResult(summary, model_dir, model.eval(), loaded.tokenizer, final_loss, encoded.truncated)


def _restore(
    *,
    store: CheckpointStore,
    progress: Progress | None,
    trainable: Trainable,
    plan: RunPlan,
    generators: dict[str, torch.Generator],
    emitter: EventEmitter,
) -> int:
    """Load the latest checkpoint and charge steps lost since it; returns the step the run continues after."""
    if progress is None:
        return 0
    state = store.load()
    checkpointed = state["step"] if state else 0
    if state:
        load_trainable_state(trainable.model, state["trainable"])
        trainable.optimizer.load_state_dict(state["optimizer"])
        if trainable.accountant is not None:
            trainable.accountant.history = list(state["accountantHistory"])
    lost = progress.startedStep - checkpointed
    if state and lost == 0:
        restore_rng(state["rng"], generators)
    elif state:
        # Lost steps already drew sampler and noise randomness on private data: keep fresh streams instead.
        saved = dict(state["rng"])
        saved["generators"] = {name: g.get_state() for name, g in generators.items()}
        restore_rng(saved, generators)
    if trainable.accountant is not None:
        for _ in range(lost):
            trainable.accountant.step(noise_multiplier=plan.noiseMultiplier, sample_rate=plan.sampleRate)
    emitter.log(
        "info",
        f"Resumed at step {progress.startedStep} of {plan.totalSteps}: checkpoint at step {checkpointed}, "
        f"{lost} step(s) after it lost and charged to the privacy budget.",
    )
    return progress.startedStep


class _StepRunner:
    """Runs logical steps and does the between-step duties; holds the run's counters."""

    def __init__(
        self,
        *,
        spec: JobSpec,
        run: RunAccounts,
        trainable: Trainable,
        plan: RunPlan,
        budget: TrainingBudget,
        store: CheckpointStore,
        emitter: EventEmitter,
        generators: dict[str, torch.Generator],
        cancel: CancelWatch,
    ) -> None:
        self.spec, self.accounts, self.t, self.plan, self.budget = spec, run, trainable, plan, budget
        self.store, self.emitter, self.generators, self.cancel = store, emitter, generators, cancel
        self.meter = PrivacyMeter(plan.accountant, budget.delta) if budget.private else None
        self.guard = BudgetGuard(self.meter, target_epsilon=budget.epsilon) if self.meter else None
        self.step = 0
        self.epsilon = 0.0
        self.earlier_epsilon = 0.0  # of the job's earlier runs, which this run's accountant composes with
        self.device = next(trainable.model.parameters()).device
        self.dtype = compute_dtype(spec.training.precision, self.device)

    def run(self, start: int, *, show_progress: bool) -> float | None:
        self.step = start
        if self.meter is not None:
            self.earlier_epsilon = self.accounts.charge_earlier(self.emitter, self.meter, delta=self.budget.delta)
            self.epsilon = self.meter.epsilon(self.t.accountant.history)
            if start:
                self._report_privacy()
        self.emitter.stage("training")
        if self.step >= self.plan.totalSteps:
            return None
        bar = tqdm(total=self.plan.totalSteps, initial=start, disable=not show_progress, unit="step")
        loss = None
        with BatchMemoryManager(
            data_loader=self.t.loader,
            max_physical_batch_size=self.spec.training.physicalBatchSize,
            optimizer=self.t.optimizer,
        ) as physical_loader:
            self.t.loader.batch_sampler.steps = self.plan.totalSteps - self.step  # draws left in this run
            # Creating the iterator draws a worker seed from the sampler's generator; undo that, so the draws
            # continue exactly from the state a checkpoint recorded.
            sampler_state = self.generators["sampler"].get_state()
            batches = iter(physical_loader)
            self.generators["sampler"].set_state(sampler_state)
            self._before_step()
            window = _StepWindow()
            for input_ids, attention, labels in batches:
                window.add(*physical_pass(self.t, (input_ids, attention, labels), dtype=self.dtype))
                self.t.optimizer.step()
                self.t.optimizer.zero_grad()
                if not completed_logical_step(self.t.optimizer):
                    continue
                self.step += 1
                loss = self._after_step(window)
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.3f}", eps=f"{self.epsilon:.3f}" if self.meter else "inf")
                window = _StepWindow()
                if self.step < self.plan.totalSteps:
                    self._before_step()
        bar.close()
        return loss

    def _before_step(self) -> None:
        next_step = self.step + 1
        if self.cancel.requested():
            self._save()
            raise CancelledError(f"The job was cancelled after {self.step} training steps; a checkpoint was saved.")
        if self.guard is not None:
            self._projected = self.guard.check_next_step(
                self.t.accountant.history,
                noise_multiplier=self.plan.noiseMultiplier,
                sample_rate=self.plan.sampleRate,
                step=next_step,
            )
        self.store.mark_started(next_step, self.plan)

    def _after_step(self, window: _StepWindow) -> float:
        seconds = max(time.perf_counter() - window.started, 1e-9)
        loss = window.loss_sum / max(window.rows, 1)
        values = {
            "train/loss": loss,
            "perf/samples_per_s": window.rows / seconds,
            "perf/tokens_per_s": window.tokens / seconds,
        }
        if self.meter is not None:
            self.epsilon = self._projected  # the guard's projection is exactly the accountant's state now
            values["privacy/epsilon"] = self.epsilon
        self.emitter.metric(step=self.step, epoch=self.step * self.plan.sampleRate, values=values)
        if self.meter is not None:
            self._report_privacy()
        if self.step % self.spec.training.checkpointEvery == 0 or self.step == self.plan.totalSteps:
            self._save()
        return loss

    def _report_privacy(self) -> None:
        self.accounts.report(
            self.emitter,
            epsilon=self.epsilon,
            earlier_epsilon=self.earlier_epsilon,
            delta=self.budget.delta,
            steps=self.step,
        )

    def _save(self) -> None:
        self.store.save(
            {
                "step": self.step,
                "trainable": trainable_state(self.t.model),
                "optimizer": self.t.optimizer.state_dict(),
                "accountantHistory": list(self.t.accountant.history) if self.t.accountant else [],
                "rng": capture_rng(self.generators),
                "plan": asdict(self.plan),
                "spec": self.spec.model_dump(),
            }
        )


class _StepWindow:
    """Rows, tokens and summed row losses of the physical batches of one logical step."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.rows = self.tokens = 0
        self.loss_sum = 0.0

    def add(self, rows: int, tokens: int, loss_sum: float) -> None:
        self.rows += rows
        self.tokens += tokens
        self.loss_sum += loss_sum
