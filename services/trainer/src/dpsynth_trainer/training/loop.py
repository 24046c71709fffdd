"""`train()`: DP-SGD fine-tuning of a causal LM on one job's training rows.

One path for every run: load and adapt the model, encode the rows, `make_trainable` (the only place a private
and a non-private run differ), then logical steps over Poisson-sampled batches split into physical batches by
Opacus' `BatchMemoryManager`. Between logical steps: cancellation, the budget guard, the started-step marker;
after each: events and, every `checkpointEvery` steps, a checkpoint (see `checkpoint.py` for the crash rule).

Randomness: `training.seed` fixes initialisation and dropout. The Poisson sampler and the DP noise draw from
generators seeded with OS entropy, because the DP guarantee assumes nobody can predict which rows a batch
holds or what noise was added; their states are checkpointed so a resume continues the same streams.

Several processes (`torchrun`, `ranks.py`) run this same function as one run: rank 0 opens or resumes the run
and shares it, each process trains on its share of every logical batch, and they agree between steps on whether
to stop. Only rank 0 writes: progress markers, checkpoints (with every rank's random states), events, the model
and the summary; the others emit nothing.
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
from ..ranks import Ranks, check_devices
from ..releases import ReleaseLog
from .accounting import BudgetGuard, PrivacyMeter
from .budget import TrainingBudget, training_budget
from .build import build_trainable
from .cancel import CancelWatch
from .precision import training_dtype
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
            f"The max sequence length ({spec.training.maxSeqLen} tokens) exceeds the {limit} positions model "
            f"'{spec.model.id}' has; lower it to {limit} or less."
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
    ranks = Ranks.current()
    check_devices(spec.training.devices, ranks.world)
    if not ranks.main:
        emitter = EventEmitter.discarding(job_id=spec.jobId, attempt=emitter.attempt)
    out_dir = Path(out_dir)
    store = CheckpointStore(out_dir, releases)
    progress, run = ranks.share(lambda: _open_run(store, resume=resume))
    budget = training_budget(spec.privacy, len(rows.rows))
    emitter.stage("loading")
    _warn_about_inputs(spec, rows, progress, run, emitter)
    device = select_device(settings.DPSYNTH_DEVICE)
    if loaded is None:
        with ranks.main_first():
            loaded = load_for_training(spec, settings)
    generators = {"sampler": _entropy_generator(torch.device("cpu")), "noise": _entropy_generator(device)}
    built = build_trainable(
        spec,
        rows.rows,
        loaded,
        budget=budget,
        noise_generator=generators["noise"],
        sampler_generator=generators["sampler"],
        noise_multiplier=progress.plan.noiseMultiplier if progress else noise_multiplier,
        accountant_mechanism=progress.plan.accountant if progress else None,
        prior_history=run.prior_history,
        ranks=ranks,
    )
    if built.encoded.truncated:
        emitter.log(
            "warning",
            f"{built.encoded.truncated} of {len(rows.rows)} rows were longer than the max sequence length "
            f"({spec.training.maxSeqLen} tokens) and were cut to it for training.",
        )
    plan = _plan_run(spec, built.trainable, budget, progress)
    start = _restore(
        store=store,
        progress=progress,
        trainable=built.trainable,
        plan=plan,
        generators=generators,
        emitter=emitter,
        ranks=ranks,
    )
    meter = PrivacyMeter(plan.accountant, budget.delta) if budget.private else None
    ctx = _Run(
        spec,
        run,
        built.trainable,
        plan,
        budget,
        store,
        emitter,
        generators,
        cancel or CancelWatch(out_dir),
        meter,
        ranks,
    )
    try:
        state = _run_steps(ctx, start, show_progress=sys.stdout.isatty() if show_progress is None else show_progress)
    except torch.OutOfMemoryError:
        raise OutOfMemoryError(
            f"The device ran out of memory at physical batch size {spec.training.physicalBatchSize} and max "
            f"sequence length {spec.training.maxSeqLen} tokens; lower either and resume."
        ) from None
    finally:
        built.trainable.cleanup()

    model_dir = out_dir / MODEL_DIR
    if ranks.main:
        model_dir = save_trained_model(built.model, loaded.tokenizer, model_dir, spec.model)
    summary = TrainingSummary(
        runId=run.run_id,
        noiseMultiplier=plan.noiseMultiplier,
        sampleRate=plan.sampleRate,
        steps=state.step,
        epochs=state.step * plan.sampleRate,
        maxGradNorm=spec.privacy.maxGradNorm,
        accountant=meter.mechanism if meter else "none",
        epsilon=state.epsilon if budget.private else "inf",
        delta=budget.delta,
        clipping=plan.clipping,
    )
    if ranks.main:
        (out_dir / "training-summary.json").write_text(summary.model_dump_json(indent=2), encoding="utf-8")
    return TrainingResult(summary, model_dir, built.model.eval(), loaded.tokenizer, state.loss, built.encoded.truncated)


def _open_run(store: CheckpointStore, *, resume: bool) -> tuple[Progress | None, RunAccounts]:
    """The run this attempt continues (its progress) or starts, with the job's earlier runs it composes with."""
    progress = _started_run(store, resume=resume)
    return progress, RunAccounts(store.run_id or store.start_new_run(), store.earlier_runs())


def _started_run(store: CheckpointStore, *, resume: bool) -> Progress | None:
    """The progress of a run already started in the output directory; one is continued only when asked to."""
    progress = store.read_progress()
    if progress is not None and not resume:
        raise BadInputError(
            # Users read this message: it names no path of the server's.
            "The output directory already holds a started training run; resume it (--resume) or use a new output "
            "directory. Starting it over would spend its privacy budget twice."
        )
    return progress


def _warn_about_inputs(
    spec: JobSpec, rows: TrainingRows, progress: Progress | None, run: RunAccounts, emitter: EventEmitter
) -> None:
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


def _plan_run(spec: JobSpec, trainable: Trainable, budget: TrainingBudget, progress: Progress | None) -> RunPlan:
    """The run's fixed parameters (checkpointed); a resumed run must have the same."""
    plan = RunPlan(
        noiseMultiplier=trainable.noise_multiplier,
        sampleRate=trainable.sample_rate,
        totalSteps=int(spec.training.epochs / trainable.sample_rate),  # as make_private_with_epsilon plans
        accountant=trainable.accountant_mechanism,
        clipping=trainable.clipping,
        maxGradNorm=spec.privacy.maxGradNorm,
        trainingEpsilon=budget.epsilon,
        trainingDelta=budget.delta,
        devices=spec.training.devices,
    )
    if plan.totalSteps < 1:
        raise BadInputError("training.epochs is too small for a single logical step; raise it.")
    if progress is not None and progress.plan != plan:
        raise BadInputError(
            "The job spec changed since this run started (privacy, batch, epoch or device settings differ from its "
            "checkpoint); resuming would not be the same run. Start a new run in a new output directory."
        )
    return plan


def _restore(
    *,
    store: CheckpointStore,
    progress: Progress | None,
    trainable: Trainable,
    plan: RunPlan,
    generators: dict[str, torch.Generator],
    emitter: EventEmitter,
    ranks: Ranks,
) -> int:
    """Load the latest checkpoint and charge steps lost since it; returns the step the run continues after."""
    if progress is None:
        return 0
    state = ranks.share(store.load)
    checkpointed = state["step"] if state else 0
    if state:
        load_trainable_state(trainable.model, state["trainable"])
        trainable.optimizer.load_state_dict(state["optimizer"])
        if trainable.accountant is not None:
            trainable.accountant.history = list(state["accountantHistory"])
    lost = progress.startedStep - checkpointed
    # Each process continues its own streams (its share of the batches; rank 0's noise).
    own_rng = (state["rankRng"][ranks.rank] if ranks.distributed else state["rng"]) if state else None
    if state and lost == 0:
        restore_rng(own_rng, generators)
    elif state:
        # Lost steps already drew sampler and noise randomness on private data: keep fresh streams instead.
        saved = dict(own_rng)
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


@dataclass(frozen=True)
class _Run:
    """What stays fixed while the steps run."""

    spec: JobSpec
    accounts: RunAccounts
    trainable: Trainable
    plan: RunPlan
    budget: TrainingBudget
    store: CheckpointStore
    emitter: EventEmitter
    generators: dict[str, torch.Generator]
    cancel: CancelWatch
    #: None for the non-private baseline, which has no epsilon to meter or guard.
    meter: PrivacyMeter | None
    ranks: Ranks


@dataclass
class _StepState:
    """What changes from one logical step to the next."""

    step: int
    epsilon: float = 0.0
    #: Of the job's earlier runs, which this run's accountant composes with.
    earlier_epsilon: float = 0.0
    loss: float | None = None


def _run_steps(run: _Run, start: int, *, show_progress: bool) -> _StepState:
    """The logical steps from `start` to the plan's last, with the duties between them."""
    t, plan, emitter = run.trainable, run.plan, run.emitter
    state = _StepState(step=start)
    guard = BudgetGuard(run.meter, target_epsilon=run.budget.epsilon) if run.meter else None
    if run.meter is not None:
        state.earlier_epsilon = run.accounts.charge_earlier(emitter, run.meter, delta=run.budget.delta)
        state.epsilon = run.meter.epsilon(t.accountant.history)
        if start:
            _report_privacy(run, state)
    emitter.stage("training")
    if state.step >= plan.totalSteps:
        return state
    dtype = training_dtype(run.spec.training.precision, next(t.model.parameters()).device, t.clipping)
    bar = tqdm(total=plan.totalSteps, initial=start, disable=not (show_progress and run.ranks.main), unit="step")
    with BatchMemoryManager(
        data_loader=t.loader, max_physical_batch_size=run.spec.training.physicalBatchSize, optimizer=t.optimizer
    ) as physical_loader:
        t.loader.batch_sampler.steps = plan.totalSteps - state.step  # draws left in this run
        # Creating the iterator draws a worker seed from the sampler's generator; undo that, so the draws
        # continue exactly from the state a checkpoint recorded.
        sampler_state = run.generators["sampler"].get_state()
        physical_batches = iter(physical_loader)
        run.generators["sampler"].set_state(sampler_state)
        for step in range(start + 1, plan.totalSteps + 1):
            # Before the step: a cancel stops here (checkpointed); the guard refuses a step past the budget;
            # the started-step marker charges the step even if the process dies during it.
            if run.ranks.agree(run.cancel.requested()):
                _save(run, state)
                raise CancelledError(
                    f"The job was cancelled after {state.step} training steps; a checkpoint was saved."
                )
            projected = (
                guard.check_next_step(
                    t.accountant.history, noise_multiplier=plan.noiseMultiplier, sample_rate=plan.sampleRate, step=step
                )
                if guard is not None
                else None
            )
            if run.ranks.main:
                run.store.mark_started(step, plan)

            # The step: Opacus' optimizer accumulates each physical batch of the Poisson-sampled logical batch
            # and clips, noises and updates on its last one.
            window = _StepWindow()
            for batch in physical_batches:
                window.add(*physical_pass(t, batch, dtype=dtype))
                t.optimizer.step()
                t.optimizer.zero_grad()
                if completed_logical_step(t.optimizer):
                    break
            state.step = step

            # After it: metrics, this run's privacy charge, a checkpoint when one is due.
            seconds = max(time.perf_counter() - window.started, 1e-9)
            rows, tokens, loss_sum = run.ranks.sum([window.rows, window.tokens, window.loss_sum])
            state.loss = loss_sum / max(rows, 1)
            values = {
                "train/loss": state.loss,
                "train/total_steps": plan.totalSteps,  # so a progress bar can say "step 3 of 16"
                "perf/samples_per_s": rows / seconds,
                "perf/tokens_per_s": tokens / seconds,
            }
            if projected is not None:
                state.epsilon = projected  # the guard's projection is exactly the accountant's state now
                values["privacy/epsilon"] = state.epsilon
            emitter.metric(step=step, epoch=step * plan.sampleRate, values=values)
            if run.meter is not None:
                _report_privacy(run, state)
            if step % run.spec.training.checkpointEvery == 0 or step == plan.totalSteps:
                _save(run, state)
            bar.update(1)
            bar.set_postfix(loss=f"{state.loss:.3f}", eps=f"{state.epsilon:.3f}" if run.meter else "inf")
    bar.close()
    return state


def _report_privacy(run: _Run, state: _StepState) -> None:
    run.accounts.report(
        run.emitter,
        epsilon=state.epsilon,
        earlier_epsilon=state.earlier_epsilon,
        delta=run.budget.delta,
        steps=state.step,
    )


def _save(run: _Run, state: _StepState) -> None:
    """Rank 0 writes the checkpoint; every rank hands it its random states (so call it on every rank)."""
    t = run.trainable
    rank_rng = run.ranks.gather(capture_rng(run.generators))
    if not run.ranks.main:
        return
    checkpoint = {
        "step": state.step,
        "trainable": trainable_state(t.model),
        "optimizer": t.optimizer.state_dict(),
        "accountantHistory": list(t.accountant.history) if t.accountant else [],
        "rng": rank_rng[0],
        "plan": asdict(run.plan),
        "spec": run.spec.model_dump(),
    }
    if run.ranks.distributed:
        checkpoint["rankRng"] = rank_rng
    run.store.save(checkpoint)


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
