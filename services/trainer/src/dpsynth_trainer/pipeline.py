"""One job end to end: loading (the model, then the label release) -> training -> sampling -> evaluating -> done.

Without Redis, from a terminal::

    uv run python -m dpsynth_trainer run --spec spec.json --out DIR

writes `DIR/synthetic.csv`, `DIR/report.json`, `DIR/report.html` (and the model, checkpoints and
`DIR/events.jsonl`). The queue worker calls `run_job` with a Redis event emitter instead: in its own process for
a one-device job, through `run --worker-dir` in each `torchrun` process for a job of several (`torchrun_job.py`).

The holdout split is read in the evaluating stage and nowhere else: training, the label counts and sampling
see the training split only.

Under `torchrun` (a spec with `training.devices` > 1, `ranks.py`) every process loads the rows and the model and
trains its share; rank 0 alone releases the label set or counts (and hands the result to the others), and alone
samples, evaluates, publishes and emits. The others return None once training is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch

from .blobs import BlobInfo, join_uri, local_path, upload
from .config import TrainerSettings
from .contract import JobSpec, TrainingSummary
from .data import TrainingRows, read_split
from .errors import NoRowsError
from .evaluation import Rows, evaluate
from .evaluation.membership import membership_attack_auc
from .events import EventEmitter
from .label_counts import LabelMix
from .label_set import LabelSetRelease, resolve_label_set
from .models import untrained_model
from .ranks import Ranks
from .records import RowFormat
from .releases import ReleaseLog
from .report import CURVE_FILE, CurvePoint, CurveRecorder, build_report, headline_metrics, write_report
from .sampling import SamplingResult, sample_synthetic, sampling_warnings, write_synthetic_csv
from .training import CancelWatch, TrainingResult, load_for_training, select_device, train, training_budget
from .training.precision import compute_dtype

ARTIFACTS = ("synthetic.csv", "report.json", "report.html")


@dataclass(frozen=True)
class JobResult:
    report: dict[str, Any]
    summary: TrainingSummary
    metrics: dict[str, float]
    artifacts: list[BlobInfo]
    work_dir: Path


def work_dir_for(spec: JobSpec, settings: TrainerSettings) -> Path:
    """Where the job's files live while it runs: the output directory itself for file:// outputs."""
    if settings.DPSYNTH_WORK_DIR is not None:
        return settings.DPSYNTH_WORK_DIR / spec.jobId
    if urlparse(spec.outputUri).scheme == "file":
        return local_path(spec.outputUri)
    return settings.DPSYNTH_HOME / "jobs" / spec.jobId


def run_job(
    spec: JobSpec,
    emitter: EventEmitter,
    *,
    settings: TrainerSettings,
    cancel_check: Callable[[], bool] = lambda: False,
    resume: bool = False,
) -> JobResult | None:
    """Run one job; artifacts go under `spec.outputUri`, each announced by an `artifact` event, then `result`.

    Returns None on the ranks other than 0 of a multi-process run (module docstring).
    """
    ranks = Ranks.current()
    if not ranks.main:
        emitter = EventEmitter.discarding(job_id=spec.jobId, attempt=emitter.attempt)
    work_dir = work_dir_for(spec, settings)
    if ranks.main:
        work_dir.mkdir(parents=True, exist_ok=True)
    emitter.stage("loading")
    releases = ReleaseLog(spec.outputUri)
    train_rows = read_split(spec.data.trainUri, spec)
    # A budget that cannot work, or a model that cannot load, fails here, before the label release spends any of it.
    training_budget(spec.privacy, len(train_rows.rows))
    with ranks.main_first():
        loaded = load_for_training(spec, settings)
    resolved = ranks.share(lambda: resolve_label_set(spec, train_rows, emitter, releases))
    spec, train_rows, mix, mix_note = resolved.spec, resolved.train_rows, resolved.mix, resolved.note

    recorder = CurveRecorder(emitter, work_dir / CURVE_FILE)
    trained = train(
        spec,
        train_rows,
        work_dir,
        recorder,
        resume=resume,
        settings=settings,
        cancel=CancelWatch(work_dir, also=cancel_check),
        releases=releases,
        loaded=loaded,
    )
    if not ranks.main:
        return None

    emitter.stage("sampling")
    device = select_device(settings.DPSYNTH_DEVICE)
    # Nothing trains after this point: sampling and evaluation run in the training precision's dtype.
    model = trained.model.to(compute_dtype(spec.training.precision, device))
    row_format = RowFormat.for_spec(spec, trained.tokenizer)
    sampled = sample_synthetic(spec, model, row_format, mix, emitter=emitter, cancel_check=cancel_check)
    _write_synthetic(sampled, work_dir, spec)
    warnings = sampling_warnings(sampled)
    for warning in warnings:
        emitter.log("warning", warning)
    baseline = _sample_baseline(
        spec, trained, row_format, mix, settings=settings, device=device, emitter=emitter, cancel_check=cancel_check
    )

    emitter.stage("evaluating")
    report = evaluate_and_report(
        spec,
        model=model,
        row_format=row_format,
        summary=trained.summary,
        mix=mix,
        train_rows=train_rows,
        sampled=sampled,
        baseline=baseline,
        curve=recorder.points(),
        notes=[mix_note] if mix_note else [],
        label_set=resolved.label_set,
        device=device,
        on_step=lambda name: emitter.log("info", f"Evaluating: {name}."),
    )
    write_report(report, work_dir)
    if report["summary"]["verdict"] == "not-useful":
        warnings.append(report["summary"]["headline"])

    artifacts = [_publish(work_dir, name, spec.outputUri, emitter) for name in ARTIFACTS]
    metrics = headline_metrics(report)
    emitter.result(
        training=trained.summary,
        metrics=metrics,
        artifacts=list(ARTIFACTS),
        rows={"requested": sampled.requested, "produced": len(sampled.rows)},
        warnings=warnings,
    )
    emitter.stage("done")
    return JobResult(report, trained.summary, metrics, artifacts, work_dir)


def _write_synthetic(sampled: SamplingResult, work_dir: Path, spec: JobSpec) -> None:
    """`synthetic.csv`, in the training split's column names; a job with no usable row fails instead."""
    if not sampled.rows:
        raise NoRowsError(
            f"No usable synthetic row came out of {sampled.generated} candidates ({sampled.failed} empty, "
            f"{sampled.rejected} judged closer to another label). The privacy budget spent on training stays "
            "charged; try more training epochs, a larger model, or turn re-scoring of candidates off."
        )
    write_synthetic_csv(
        work_dir / "synthetic.csv", sampled.rows, spec.data, escape_formulas=spec.sampling.escapeFormulas
    )


def _sample_baseline(
    spec: JobSpec,
    trained: TrainingResult,
    row_format: RowFormat,
    mix: LabelMix,
    *,
    settings: TrainerSettings,
    device: torch.device,
    emitter: EventEmitter,
    cancel_check: Callable[[], bool],
) -> SamplingResult | None:
    """The report's prior-only baseline: rows from the model before fine-tuning (none when the spec asks none)."""
    baseline_rows = min(spec.evaluation.baselineRows, spec.sampling.rows)
    if not baseline_rows:
        return None
    emitter.log("info", f"Sampling {baseline_rows} prior-only rows from the untrained model (no privacy cost).")
    with untrained_model(trained.model, spec.model, cache_dir=settings.model_cache, device=device) as untrained:
        return sample_synthetic(
            spec,
            untrained,
            row_format,
            mix,
            count=baseline_rows,
            metric_prefix="baseline",
            emitter=emitter,
            cancel_check=cancel_check,
        )


def _publish(work_dir: Path, name: str, output_uri: str, emitter: EventEmitter) -> BlobInfo:
    blob = upload(work_dir / name, join_uri(output_uri, name))
    emitter.artifact(name=name, uri=blob.uri, bytes_=blob.bytes, sha256=blob.sha256)
    return blob


def _as_rows(rows: TrainingRows) -> Rows:
    return Rows([row.text for row in rows.rows], [row.label for row in rows.rows])


def _synthetic_rows(sampled: SamplingResult) -> Rows:
    return Rows([row.text for row in sampled.rows], [row.label for row in sampled.rows])


def evaluate_and_report(
    spec: JobSpec,
    *,
    model: Any,
    row_format: RowFormat,
    summary: TrainingSummary,
    mix: LabelMix,
    train_rows: TrainingRows,
    sampled: SamplingResult,
    baseline: SamplingResult | None,
    curve: list[CurvePoint],
    notes: list[str],
    device: torch.device,
    label_set: LabelSetRelease | None = None,
    on_step: Callable[[str], None] = lambda _name: None,
) -> dict[str, Any]:
    """Every metric and the report. The only reader of the holdout split."""
    holdout_rows = read_split(spec.data.holdoutUri, spec)
    mia = membership_attack_auc(
        model,
        row_format,
        train_rows.rows,
        holdout_rows.rows,
        max_seq_len=spec.training.maxSeqLen,
        seed=spec.training.seed,
    )
    evaluation = evaluate(
        _as_rows(train_rows),
        _as_rows(holdout_rows),
        _synthetic_rows(sampled),
        baseline=_synthetic_rows(baseline) if baseline is not None else None,
        label_set=row_format.labels,
        classifiers=spec.evaluation.classifiers,
        encoder=spec.evaluation.encoder,
        transformer_model=spec.evaluation.transformerClassifier,
        device=device.type,
        seed=spec.training.seed,
        membership_auc=mia,
        on_step=on_step,
    )
    return build_report(
        spec=spec,
        summary=summary,
        mix=mix,
        row_format=row_format,
        train_rows=len(train_rows.rows),
        holdout_rows=len(holdout_rows.rows),
        outside_label_set=train_rows.outside_label_set,
        sampling=sampled,
        baseline=baseline,
        evaluation=evaluation,
        curve=curve,
        notes=notes,
        label_release=label_set,
    )
