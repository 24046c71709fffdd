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
    compare,
    label_faithfulness,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evaluation:
    utility: list[Comparison]
    faithfulness_classifier: str
    faithfulness: float
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
    on_step: Callable[[str], None] = lambda _name: None,
) -> Evaluation:
    """Every metric of the report, computed on the rows given; `on_step` hears each step's name."""
    notes: list[str] = []
    load_encoder = cache(lambda: SentenceEncoder(encoder, device=device))
    options = ClassifierOptions(
        encoder=load_encoder,
        device=device,
        seed=seed,
        transformer_model=transformer_model,
    )

    utility: list[Comparison] = []
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

    # TF-IDF is the default judge of faithfulness: it is always available and fast, so it judges even when
    # none of the requested classifiers could run.
    judge = "tfidf" if "tfidf" in real_classifiers or not real_classifiers else next(iter(real_classifiers))
    if judge not in real_classifiers:
        real_classifiers[judge] = fit_classifier(judge, options, train.texts, train.labels)
    on_step("faithfulness")
    faithfulness = label_faithfulness(real_classifiers[judge], synthetic)

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
        faithfulness=faithfulness,
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
