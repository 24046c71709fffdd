"""One job end to end: loading (the model, then the label release) -> training -> sampling -> evaluating -> done.

Without Redis, from a terminal::

    uv run python -m dpsynth_trainer run --spec spec.json --out DIR

writes `DIR/synthetic.csv`, `DIR/report.json`, `DIR/report.html` (and the model, checkpoints and
`DIR/events.jsonl`). The queue worker calls `run_job` with a Redis event emitter instead.

The holdout split is read in the evaluating stage and nowhere else: training, the label counts and sampling
see the training split only.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch

from .blobs import BlobInfo, join_uri, local_path, read_bytes, upload
from .config import TrainerSettings
from .contract import JobSpec, TrainingSummary, label_values
from .data import TrainingRows, parse_rows
from .errors import NoRowsError
from .evaluation import Rows, evaluate
from .evaluation.membership import membership_attack_auc
from .events import EventEmitter
from .files import write_atomically
from .label_counts import LabelMix, allocate_rows, release_label_mix_once
from .label_set import LabelSetRelease, mix_from_release, release_label_set_once, with_released_labels
from .models import create_model
from .records import RowFormat
from .releases import ReleaseLog
from .report import CURVE_FILE, CurvePoint, CurveRecorder, build_report, headline_metrics, render_html
from .sampling import SamplingConfig, SamplingResult, generate_rows, write_synthetic_csv
from .training import CancelWatch, load_for_training, select_device, train, training_budget
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


def read_split(uri: str, spec: JobSpec) -> TrainingRows:
    """A split's rows of the spec's labels, with the columns the spec synthesises.

    A spec whose label set is still to be released with DP has no labels yet: then every row is read, as the
    release's input only (`resolve_label_set`).
    """
    return parse_rows(
        read_bytes(uri),
        text_column=spec.data.textColumn,
        label_column=spec.data.labelColumn,
        labels=label_values(spec.data) or None,
        columns=spec.data.columns,
    )


@dataclass(frozen=True)
class ResolvedLabels:
    """The spec with the label set the job samples, its training rows, the label mix, and the DP label-set release."""

    spec: JobSpec
    train_rows: TrainingRows
    mix: LabelMix
    note: str | None
    label_set: LabelSetRelease | None


def resolve_label_set(
    spec: JobSpec, train_rows: TrainingRows, emitter: EventEmitter, releases: ReleaseLog
) -> ResolvedLabels:
    """The declared label set, or the one released with DP; either way released (and charged) once per job.

    With a DP label set, the rows of labels under the threshold are read only by the release itself: the returned
    spec names the released labels, so training, prompts, sampling, the holdout and the report see nothing else.
    """
    labels = [row.label for row in train_rows.rows]
    if spec.data.labelSource != "dp-histogram":
        mix, note = release_label_mix_once(spec, labels, label_values(spec.data), emitter, releases)
        return ResolvedLabels(spec, train_rows, mix, note, None)
    release = release_label_set_once(spec, labels, emitter, releases)
    released_rows = read_split(spec.data.trainUri, with_released_labels(spec, release))
    released = with_released_labels(spec, release, train_rows=len(released_rows.rows))
    mix = mix_from_release(released, release)
    return ResolvedLabels(released, released_rows, mix, None, release)


def sampling_config(spec: JobSpec) -> SamplingConfig:
    sampling = spec.sampling
    return SamplingConfig(
        temperature=sampling.temperature,
        top_p=sampling.topP,
        max_new_tokens=sampling.maxNewTokens,
        batch_size=sampling.batchSize,
        seed=sampling.seed,
        guidance=sampling.guidance,
        rescoring=sampling.rescoring,
        min_posterior=sampling.minPosterior,
        max_candidates_per_row=sampling.maxCandidatesPerRow,
    )


def sample_synthetic(
    spec: JobSpec,
    model: Any,
    row_format: RowFormat,
    mix: LabelMix,
    *,
    count: int | None = None,
    metric_prefix: str = "sampling",
    emitter: EventEmitter | None = None,
    cancel_check: Callable[[], bool] = lambda: False,
) -> SamplingResult:
    """Generate `count` rows (default: the spec's) from `model`, following the label mix.

    The label mix is the prior of the re-scoring as well as the plan, so both read only DP outputs.
    """
    quotas = allocate_rows(mix.weights, spec.sampling.rows if count is None else count)

    def progress(candidates: int, done: int, per_s: float) -> None:
        if emitter is not None:
            values = {f"{metric_prefix}/rows_done": done, f"{metric_prefix}/candidates": candidates}
            emitter.metric(step=candidates, epoch=0.0, values={**values, f"{metric_prefix}/rows_per_s": per_s})

    return generate_rows(
        model,
        row_format,
        quotas,
        prior=mix.weights,
        config=sampling_config(spec),
        progress=progress,
        cancel_check=cancel_check,
    )


@contextlib.contextmanager
def untrained_model(trained: Any, spec: JobSpec, settings: TrainerSettings, device: torch.device) -> Iterator[Any]:
    """The model before fine-tuning: the adapter switched off, or (full fine-tuning) the base loaded again."""
    if hasattr(trained.model, "disable_adapter"):
        with trained.model.disable_adapter():
            yield trained.model
        return
    base = create_model(spec.model, cache_dir=settings.model_cache, device=device).model
    try:
        yield base.to(next(trained.model.parameters()).dtype).eval()
    finally:
        del base


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


def sampling_warnings(sampled: SamplingResult) -> list[str]:
    """What the owner must hear about the sampling: a shortfall, or rows kept below the re-scoring threshold."""
    warnings = []
    if sampled.shortfall:
        warnings.append(
            f"Only {len(sampled.rows)} of the {sampled.requested} rows asked for could be generated within "
            f"{sampled.generated} candidates ({sampled.failed} empty, {sampled.rejected} judged closer to another "
            "label or not clear enough); synthetic.csv holds the rows that were."
        )
    if sampled.below_threshold:
        warnings.append(
            f"{sampled.below_threshold} of the {len(sampled.rows)} rows read less clearly as their label than "
            f"sampling.minPosterior {sampled.min_posterior:g} asks: too few candidates passed it within the "
            "candidate budget, so the clearest of the others were kept."
        )
    return warnings


def write_report(report: dict[str, Any], directory: Path) -> None:
    write_atomically(directory / "report.json", json.dumps(report, indent=2).encode())
    (directory / "report.html").write_text(render_html(report), encoding="utf-8")


def run_job(
    spec: JobSpec,
    emitter: EventEmitter,
    *,
    settings: TrainerSettings,
    cancel_check: Callable[[], bool] = lambda: False,
    resume: bool = False,
) -> JobResult:
    """Run one job; artifacts go under `spec.outputUri`, each announced by an `artifact` event, then `result`."""
    work_dir = work_dir_for(spec, settings)
    work_dir.mkdir(parents=True, exist_ok=True)
    emitter.stage("loading")
    releases = ReleaseLog(spec.outputUri)
    train_rows = read_split(spec.data.trainUri, spec)
    # A budget that cannot work, or a model that cannot load, fails here, before the label release spends any of it.
    training_budget(spec.privacy, len(train_rows.rows))
    loaded = load_for_training(spec, settings)
    resolved = resolve_label_set(spec, train_rows, emitter, releases)
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

    emitter.stage("sampling")
    device = select_device(settings.DPSYNTH_DEVICE)
    # Nothing trains after this point: sampling and evaluation run in the training precision's dtype.
    model = trained.model.to(compute_dtype(spec.training.precision, device))
    row_format = RowFormat.for_spec(spec, trained.tokenizer)
    sampled = sample_synthetic(spec, model, row_format, mix, emitter=emitter, cancel_check=cancel_check)
    if not sampled.rows:
        raise NoRowsError(
            f"No usable synthetic row came out of {sampled.generated} candidates ({sampled.failed} empty, "
            f"{sampled.rejected} judged closer to another label). The privacy budget spent on training stays "
            "charged; try more training epochs, a larger model, or sampling.rescoring off."
        )
    write_synthetic_csv(
        work_dir / "synthetic.csv",
        sampled.rows,
        text_column=train_rows.text_column,
        label_column=train_rows.label_column,
        extra_columns=row_format.columns,
        escape_formulas=spec.sampling.escapeFormulas,
    )
    warnings = sampling_warnings(sampled)
    for warning in warnings:
        emitter.log("warning", warning)

    baseline = None
    baseline_rows = min(spec.evaluation.baselineRows, spec.sampling.rows)
    if baseline_rows:
        emitter.log("info", f"Sampling {baseline_rows} prior-only rows from the untrained model (no privacy cost).")
        with untrained_model(trained, spec, settings, device) as untrained:
            baseline = sample_synthetic(
                spec,
                untrained,
                row_format,
                mix,
                count=baseline_rows,
                metric_prefix="baseline",
                emitter=emitter,
                cancel_check=cancel_check,
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

    artifacts = []
    for name in ARTIFACTS:
        blob = upload(work_dir / name, join_uri(spec.outputUri, name))
        emitter.artifact(name=name, uri=blob.uri, bytes_=blob.bytes, sha256=blob.sha256)
        artifacts.append(blob)
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
