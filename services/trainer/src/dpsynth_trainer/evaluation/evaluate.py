"""The whole evaluation of one job's synthetic rows against the real train and holdout splits.

This is the only place that reads the holdout; the report it feeds is therefore not DP and is for the
dataset's owner and admins only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

from dpsynth_trainer.evaluation.classifiers import ClassifierOptions, fit_classifier, unavailable_reason
from dpsynth_trainer.evaluation.encoder import SentenceEncoder
from dpsynth_trainer.evaluation.fidelity import (
    LengthComparison,
    compare_lengths,
    label_distribution,
    ngram_jensen_shannon,
    rbf_mmd,
    total_variation,
)
from dpsynth_trainer.evaluation.memorisation import (
    CopyCounts,
    DistanceToClosestRecord,
    count_copies,
    distance_to_closest_record,
)
from dpsynth_trainer.evaluation.utility import (
    Comparison,
    Rows,
    Score,
    compare,
    label_faithfulness,
    score,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BaselineEvaluation:
    """The prior-only baseline's rows, judged like the synthetic rows: same classifiers, same holdout."""

    rows: int
    utility: dict[str, Score]
    faithfulness: dict[str, float]


@dataclass(frozen=True)
class Evaluation:
    utility: list[Comparison]
    #: The judge of faithfulness: the real-data classifier that scores best on the holdout.
    faithfulness_classifier: str
    faithfulness: float
    faithfulness_by_classifier: dict[str, float]
    baseline: BaselineEvaluation | None
    #: The share of the holdout's most frequent label: what always guessing that label scores.
    majority_rate: float
    real_balance: dict[str, float]
    synthetic_balance: dict[str, float]
    balance_tv: float
    lengths: LengthComparison
    ngram_js: float
    embedding_mmd: float | None
    copies: CopyCounts
    dcr: DistanceToClosestRecord
    membership_auc: float | None
    notes: list[str] = field(default_factory=list)


def evaluate(
    train: Rows,
    holdout: Rows,
    synthetic: Rows,
    *,
    label_set: Sequence[str],
    classifiers: Sequence[str],
    encoder: str | None,
    transformer_model: str = "bert-base-uncased",
    device: str = "cpu",
    seed: int = 0,
    membership_auc: float | None = None,
    baseline: Rows | None = None,
    on_step: Callable[[str], None] = lambda _name: None,
) -> Evaluation:
    """Every metric of the report, computed on the rows given; `on_step` hears each step's name.

    `baseline` holds the prior-only rows (the untrained model, same prompts): they get the same classifiers.
    """
    notes: list[str] = []
    load_encoder = cache(lambda: SentenceEncoder(encoder, device=device))
    options = ClassifierOptions(
        encoder=load_encoder,
        device=device,
        seed=seed,
        transformer_model=transformer_model,
    )

    utility: list[Comparison] = []
    baseline_utility: dict[str, Score] = {}
    real_classifiers = {}
    for name in classifiers:
        reason = unavailable_reason(name, device)
        if reason:
            notes.append(reason + ".")
            continue
        on_step(f"utility/{name}")
        try:
            comparison, real_classifiers[name] = compare(name, options, train, synthetic, holdout)
        except OSError as exc:
            # Weights that are not on this machine (a hub id offline): skip this classifier, say why.
            log.warning("classifier %s could not load its model: %s", name, type(exc).__name__)
            notes.append(f"The {name} classifier could not load its model and was skipped.")
            continue
        utility.append(comparison)
        if baseline is not None:
            on_baseline = fit_classifier(name, options, baseline.texts, baseline.labels)
            baseline_utility[name] = score(holdout.labels, on_baseline.predict(holdout.texts))

    # The judge of faithfulness is the real-data classifier that tells the holdout's labels best; TF-IDF,
    # always available and fast, judges when none of the requested classifiers could run.
    if not real_classifiers:
        real_classifiers["tfidf"] = fit_classifier("tfidf", options, train.texts, train.labels)
    best = max(utility, key=lambda c: c.real.accuracy, default=None)
    judge = best.classifier if best is not None else "tfidf"
    on_step("faithfulness")
    faithfulness_by = {name: label_faithfulness(clf, synthetic) for name, clf in real_classifiers.items()}
    baseline_result = None
    if baseline is not None:
        baseline_result = BaselineEvaluation(
            rows=len(baseline.texts),
            utility=baseline_utility,
            faithfulness={name: label_faithfulness(clf, baseline) for name, clf in real_classifiers.items()},
        )

    on_step("fidelity")
    real_balance = label_distribution(train.labels, label_set)
    synthetic_balance = label_distribution(synthetic.labels, label_set)
    embedding_mmd = _embedding_mmd(load_encoder, encoder, train, synthetic, seed=seed, notes=notes)

    on_step("memorisation")
    if membership_auc is None:
        notes.append("The membership-inference attack was not run (no fine-tuned model was given).")
    if not synthetic.texts:
        notes.append("No synthetic row could be parsed, so the synthetic-side metrics are at their worst values.")
    return Evaluation(
        utility=utility,
        faithfulness_classifier=judge,
        faithfulness=faithfulness_by[judge],
        faithfulness_by_classifier=faithfulness_by,
        baseline=baseline_result,
        majority_rate=max(label_distribution(holdout.labels, label_set).values(), default=0.0),
        real_balance=real_balance,
        synthetic_balance=synthetic_balance,
        balance_tv=total_variation(real_balance, synthetic_balance),
        lengths=compare_lengths(train.texts, synthetic.texts),
        ngram_js=ngram_jensen_shannon(train.texts, synthetic.texts),
        embedding_mmd=embedding_mmd,
        copies=count_copies(synthetic.texts, train.texts),
        dcr=distance_to_closest_record(synthetic.texts, holdout.texts, train.texts),
        membership_auc=membership_auc,
        notes=notes,
    )


def _embedding_mmd(
    load_encoder: Callable[[], SentenceEncoder],
    encoder: str | None,
    train: Rows,
    synthetic: Rows,
    *,
    seed: int,
    notes: list[str],
) -> float | None:
    if encoder is None:
        notes.append("Embedding metrics were not requested.")
        return None
    if not synthetic.texts:
        return None
    try:
        model = load_encoder()
    except OSError as exc:
        # A hub id on a machine without the hub: say so rather than fail the whole report.
        log.warning("sentence encoder %s could not be loaded: %s", encoder, type(exc).__name__)
        notes.append(f"The sentence encoder {encoder} could not be loaded, so embedding metrics are missing.")
        return None
    return rbf_mmd(model.encode(train.texts), model.encode(synthetic.texts), seed=seed)
