"""`report.json`: every number of the evaluation in the contract's shape (`report.schema.json`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dpsynth_trainer.contract import (
    JobSpec,
    TrainingSummary,
    constants,
    validate_instance,
)
from dpsynth_trainer.evaluation import Evaluation
from dpsynth_trainer.label_counts import MECHANISM as LABEL_COUNTS_MECHANISM
from dpsynth_trainer.label_counts import LabelMix
from dpsynth_trainer.label_set import MECHANISM as LABEL_SET_MECHANISM
from dpsynth_trainer.label_set import LabelSetRelease
from dpsynth_trainer.records import RowFormat
from dpsynth_trainer.report.verdict import summarise
from dpsynth_trainer.sampling import SamplingResult, SyntheticRow

EXAMPLES_PER_LABEL = 5


@dataclass(frozen=True)
class CurvePoint:
    step: int
    epsilon: float | None
    loss: float


def _format_epsilon(value: float) -> str:
    return f"{value:.3g}"


def privacy_section(
    summary: TrainingSummary, mix: LabelMix, label_set: LabelSetRelease | None = None
) -> dict[str, Any]:
    """Per-mechanism (epsilon, delta), their basic-composition total, and the statement in plain words."""
    mechanisms = []
    private = summary.epsilon != "inf"
    if private:
        mechanisms.append(
            {
                "mechanism": "dp-sgd",
                "epsilon": float(summary.epsilon),
                "delta": summary.delta,
            }
        )
    if mix.source == "dp-counts":
        mechanisms.append(
            {
                "mechanism": LABEL_COUNTS_MECHANISM,
                "epsilon": mix.epsilon,
                "delta": mix.delta,
            }
        )
    if label_set is not None:
        mechanisms.append({"mechanism": LABEL_SET_MECHANISM, "epsilon": label_set.epsilon, "delta": label_set.delta})
    total_epsilon: float | str = sum(m["epsilon"] for m in mechanisms) if private else "inf"
    total_delta = sum(m["delta"] for m in mechanisms)
    return {
        "mechanisms": mechanisms,
        "total": {"epsilon": total_epsilon, "delta": total_delta},
        "training": summary.model_dump(),
        "statement": privacy_statement(summary, mix, total_epsilon, total_delta, label_set),
    }


def privacy_statement(
    summary: TrainingSummary,
    mix: LabelMix,
    total_epsilon: float | str,
    total_delta: float,
    label_set: LabelSetRelease | None = None,
) -> str:
    if total_epsilon == "inf":
        guarantee = (
            "This run was not private (epsilon = infinity): the model was fine-tuned without DP-SGD, so the "
            "synthetic rows carry no formal privacy guarantee and may reproduce training rows."
        )
    else:
        parts = [
            (
                f"DP-SGD spent epsilon {_format_epsilon(float(summary.epsilon))} at delta {summary.delta:.2g} "
                f"({summary.accountant.upper()} accountant, noise multiplier {summary.noiseMultiplier:.3g}, "
                f"sampling rate {summary.sampleRate:.3g}, {summary.steps} steps, clip norm {summary.maxGradNorm:g})"
            )
        ]
        if mix.source == "dp-counts":
            parts.append(
                f"the label counts behind the label mix spent epsilon {_format_epsilon(mix.epsilon)} at delta "
                f"{mix.delta:.2g} (analytic Gaussian mechanism, noise scale {mix.sigma:.3g})"
            )
        if label_set is not None:
            parts.append(
                f"the label set spent epsilon {_format_epsilon(label_set.epsilon)} at delta {label_set.delta:.2g} "
                f"(thresholded noisy histogram, noise scale {label_set.sigma:.3g}, threshold {label_set.threshold:.3g})"
            )
        guarantee = (
            f"The synthetic rows are ({_format_epsilon(float(total_epsilon))}, {total_delta:.2g})-differentially "
            "private with respect to adding or removing one training row: "
            + "; ".join(parts)
            + ". The total adds the mechanisms up (basic composition)."
        )
    if label_set is None:
        labels = (
            " The set of labels is public: the owner declared it as part of the dataset's schema, and "
            "only declared labels are sampled; the rows and the label counts are what is protected."
        )
    else:
        labels = (
            " The set of labels was released with differential privacy: a label appears only when its noisy count "
            "cleared the threshold, which a label held by a single row does with probability at most delta, and "
            "only released labels are sampled; their noisy counts set the label mix at no further cost."
        )
    return (
        guarantee + labels + " This report "
        "itself is NOT differentially private: it reads the real holdout split and the training rows to compute "
        "its metrics, so it is for the dataset owner's and admins' eyes only."
    )


def examples_by_label(rows: Sequence[SyntheticRow], label_set: Sequence[str]) -> dict[str, list[str]]:
    """The first few synthetic texts per label (synthetic only: real rows are never shown)."""
    examples: dict[str, list[str]] = {label: [] for label in label_set}
    for row in rows:
        if len(examples[row.label]) < EXAMPLES_PER_LABEL:
            examples[row.label].append(row.text)
    return examples


def _score(score: Any) -> dict[str, float]:
    return {"accuracy": score.accuracy, "macroF1": score.macro_f1}


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def baseline_section(evaluation: Evaluation, sampled: SamplingResult | None) -> dict[str, Any] | None:
    """The prior-only baseline beside the real-data scores, or None when it was not run."""
    b = evaluation.baseline
    if b is None or sampled is None:
        return None
    real = {c.classifier: c.real for c in evaluation.utility}
    return {
        "rows": b.rows,
        "acceptanceRate": sampled.acceptance_rate,
        "utility": [
            {
                "classifier": name,
                "synthetic": _score(score),
                "ratio": {
                    "accuracy": _ratio(score.accuracy, real[name].accuracy),
                    "macroF1": _ratio(score.macro_f1, real[name].macro_f1),
                },
            }
            for name, score in b.utility.items()
        ],
        "labelFaithfulness": {
            "classifier": evaluation.faithfulness_classifier,
            "agreement": b.faithfulness[evaluation.faithfulness_classifier],
            "byClassifier": b.faithfulness,
        },
    }


def build_report(
    *,
    spec: JobSpec,
    summary: TrainingSummary,
    mix: LabelMix,
    row_format: RowFormat,
    train_rows: int,
    holdout_rows: int,
    outside_label_set: int,
    sampling: SamplingResult,
    baseline: SamplingResult | None,
    evaluation: Evaluation,
    curve: Sequence[CurvePoint],
    notes: Sequence[str] = (),
    label_release: LabelSetRelease | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """The report as a JSON-ready dict, validated against the contract before it is returned."""
    e = evaluation
    label_set = row_format.labels
    all_notes = [*notes, *e.notes]
    verdict = summarise(
        e,
        delivered=len(sampling.rows),
        requested=sampling.requested,
        holdout_rows=holdout_rows,
        exact_copies=e.copies.exact,
        notes=all_notes,
    )
    report = {
        "schemaVersion": constants().schema_version,
        "jobId": spec.jobId,
        "datasetId": spec.datasetId,
        "createdAt": (created_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "model": {"id": spec.model.id, "finetune": spec.model.finetune},
        "summary": verdict.as_dict(),
        "prompt": {
            "style": row_format.style,
            "instruction": row_format.instruction,
            "examples": {label: row_format.prompt_text(label) for label in label_set},
        },
        "privacy": privacy_section(summary, mix, label_release),
        "data": {
            "trainRows": train_rows,
            "holdoutRows": holdout_rows,
            "labels": list(label_set),
            "columns": list(row_format.columns),
            "rowsOutsideLabelSet": outside_label_set,
        },
        "sampling": {
            "requested": sampling.requested,
            "generated": sampling.generated,
            "parsed": len(sampling.rows),
            "failedToParse": sampling.failed,
            "rejected": sampling.rejected,
            "acceptanceRate": sampling.acceptance_rate,
            "shortfall": sampling.shortfall,
            "guidance": sampling.guidance,
            "rescoring": sampling.rescoring,
            "minPosterior": sampling.min_posterior,
            "belowThreshold": sampling.below_threshold,
            "labelMix": mix.weights,
            "labelMixSource": mix.source,
        },
        "utility": [
            {
                "classifier": c.classifier,
                "real": {"accuracy": c.real.accuracy, "macroF1": c.real.macro_f1},
                "synthetic": {
                    "accuracy": c.synthetic.accuracy,
                    "macroF1": c.synthetic.macro_f1,
                },
                "ratio": {"accuracy": c.ratio.accuracy, "macroF1": c.ratio.macro_f1},
            }
            for c in e.utility
        ],
        "labelFaithfulness": {
            "classifier": e.faithfulness_classifier,
            "agreement": e.faithfulness,
            "byClassifier": e.faithfulness_by_classifier,
        },
        "baseline": baseline_section(e, baseline),
        "fidelity": {
            "labelBalance": {
                "real": e.real_balance,
                "synthetic": e.synthetic_balance,
                "totalVariation": e.balance_tv,
            },
            "length": {
                "realMean": e.lengths.real_mean,
                "syntheticMean": e.lengths.synthetic_mean,
                "ks": e.lengths.ks,
                "realHistogram": e.lengths.real_histogram,
                "syntheticHistogram": e.lengths.synthetic_histogram,
                "binEdges": e.lengths.bin_edges,
            },
            "ngramJensenShannon": e.ngram_js,
            "embeddingDistance": e.embedding_mmd,
        },
        "privacyDiagnostics": {
            "exactCopies": e.copies.exact,
            "nearCopies": e.copies.near,
            "nearCopyThreshold": e.copies.threshold,
            "dcr": {
                "syntheticToTrainMedian": e.dcr.synthetic_to_train_median,
                "holdoutToTrainMedian": e.dcr.holdout_to_train_median,
            },
            "membershipInferenceAuc": e.membership_auc,
        },
        "curve": [{"step": p.step, "epsilon": p.epsilon, "loss": p.loss} for p in curve],
        "examples": examples_by_label(sampling.rows, label_set),
        "notes": all_notes,
    }
    validate_instance("report", report)
    return report


def headline_metrics(report: dict[str, Any]) -> dict[str, float]:
    """The numbers the `result` event carries, namespaced like metrics (`eval/tstr_accuracy_tfidf`)."""
    metrics: dict[str, float] = {}
    for c in report["utility"]:
        name = c["classifier"]
        metrics[f"eval/trtr_accuracy_{name}"] = c["real"]["accuracy"]
        metrics[f"eval/tstr_accuracy_{name}"] = c["synthetic"]["accuracy"]
        metrics[f"eval/tstr_ratio_accuracy_{name}"] = c["ratio"]["accuracy"]
        metrics[f"eval/trtr_macro_f1_{name}"] = c["real"]["macroF1"]
        metrics[f"eval/tstr_macro_f1_{name}"] = c["synthetic"]["macroF1"]
        metrics[f"eval/tstr_ratio_macro_f1_{name}"] = c["ratio"]["macroF1"]
    diagnostics = report["privacyDiagnostics"]
    metrics["eval/label_faithfulness"] = report["labelFaithfulness"]["agreement"]
    metrics["eval/exact_copies"] = diagnostics["exactCopies"]
    metrics["eval/near_copies"] = diagnostics["nearCopies"]
    if diagnostics["membershipInferenceAuc"] is not None:
        metrics["eval/membership_inference_auc"] = diagnostics["membershipInferenceAuc"]
    metrics["sampling/parsed"] = report["sampling"]["parsed"]
    metrics["sampling/failed_to_parse"] = report["sampling"]["failedToParse"]
    metrics["sampling/rejected"] = report["sampling"]["rejected"]
    metrics["sampling/acceptance_rate"] = report["sampling"]["acceptanceRate"]
    baseline = report["baseline"]
    if baseline is not None:
        for c in baseline["utility"]:
            metrics[f"eval/baseline_accuracy_{c['classifier']}"] = c["synthetic"]["accuracy"]
            metrics[f"eval/baseline_ratio_accuracy_{c['classifier']}"] = c["ratio"]["accuracy"]
        metrics["eval/baseline_label_faithfulness"] = baseline["labelFaithfulness"]["agreement"]
    total = report["privacy"]["total"]["epsilon"]
    if total != "inf":
        metrics["privacy/epsilon_total"] = total
    return metrics
