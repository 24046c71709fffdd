"""A job's synthetic rows: the spec's sampling settings, the label mix's quotas, progress metrics, and what the
owner must hear about the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dpsynth_trainer.contract import JobSpec
from dpsynth_trainer.events import EventEmitter
from dpsynth_trainer.label_counts import LabelMix, allocate_rows
from dpsynth_trainer.records import RowFormat
from dpsynth_trainer.sampling.generate import SamplingConfig, SamplingResult, generate_rows


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
            f"re-scoring asks (the model's own posterior for it at least {sampled.min_posterior:g}): too few "
            "candidates passed within the candidate budget, so the clearest of the others were kept."
        )
    return warnings
