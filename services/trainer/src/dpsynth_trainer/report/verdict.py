"""The report's verdict: are the synthetic rows worth using? One rule, in words a data owner understands.

The headline classifier is the one that tells the real holdout's labels best. The rows are

- "useful" when a classifier trained on them keeps at least 90% of the real-data classifier's accuracy and
  clears the majority-label line by at least half as much as the real-data classifier does;
- "weak" when they still beat the majority-label line by more than the holdout's sampling noise (`measurable`:
  two standard errors of an accuracy at that line, and at least 2 points);
- "not-useful" otherwise: such rows do not carry the label into the text;
- "no-rows" when no row was delivered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..evaluation import Evaluation

Verdict = Literal["useful", "weak", "not-useful", "no-rows"]
USEFUL_RATIO = 0.9
WEAK_MARGIN = 0.02

_NAMES = {"tfidf": "word-frequency (TF-IDF)", "embedding": "sentence-embedding", "transformer": "fine-tuned encoder"}


HEADLINES: dict[Verdict, str] = {
    "useful": (
        "The synthetic rows are useful: a classifier trained on them nearly matches one trained on the real rows."
    ),
    "weak": (
        "The synthetic rows carry some of the label's signal, but a classifier trained on them falls well short "
        "of one trained on the real rows."
    ),
    "not-useful": (
        "The synthetic rows are not useful for classification: a classifier trained on them does no better than "
        "always guessing the most common label."
    ),
}


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


@dataclass(frozen=True)
class Summary:
    verdict: Verdict
    headline: str
    points: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"verdict": self.verdict, "headline": self.headline, "points": self.points}


def measurable(accuracy: float, holdout_rows: int) -> float:
    """The smallest difference from `accuracy` that the holdout tells apart from its sampling noise: two standard
    errors of an accuracy there, and at least 2 points."""
    return max(WEAK_MARGIN, 2 * math.sqrt(accuracy * (1 - accuracy) / max(holdout_rows, 1)))


def classify(tstr: float, trtr: float, majority: float, holdout_rows: int) -> Verdict:
    """The verdict for a synthetic-trained accuracy `tstr` beside the real-trained `trtr` and the majority line."""
    if trtr > 0 and tstr / trtr >= USEFUL_RATIO and tstr - majority >= 0.5 * (trtr - majority):
        return "useful"
    if tstr >= majority + measurable(majority, holdout_rows):
        return "weak"
    return "not-useful"


def fine_tuning_effect(tstr: float, prior: float, holdout_rows: int) -> str:
    """What the DP model's rows gained over the prior-only rows, in words, when the holdout can tell."""
    change = tstr - prior
    points = f"{100 * abs(change):.0f} point{'' if round(100 * abs(change)) == 1 else 's'}"
    if change >= measurable(prior, holdout_rows):
        return f"fine-tuning on your data added {points}."
    if change <= -measurable(prior, holdout_rows):
        return f"fine-tuning on your data lost {points} against them."
    return "fine-tuning on your data added nothing measurable to that (the difference is within the holdout's noise)."


def summarise(
    evaluation: Evaluation,
    *,
    delivered: int,
    requested: int,
    holdout_rows: int,
    exact_copies: int,
    notes: Sequence[str] = (),
) -> Summary:
    """The verdict, a headline sentence and the points behind it."""
    points: list[str] = []
    if delivered < requested:
        points.append(f"Only {delivered} of the {requested} rows asked for could be generated.")
    if delivered == 0:
        return Summary("no-rows", "No synthetic row could be generated, so there is nothing to evaluate.", points)
    best = max(evaluation.utility, key=lambda c: c.real.accuracy, default=None)
    if best is None:
        points.extend(notes)
        return Summary("not-useful", "No classifier could be trained to judge the synthetic rows.", points)
    tstr, trtr, majority = best.synthetic.accuracy, best.real.accuracy, evaluation.majority_rate
    verdict = classify(tstr, trtr, majority, holdout_rows)
    name = _NAMES.get(best.classifier, best.classifier)
    headline = HEADLINES[verdict]
    points.append(
        f"A {name} classifier trained on the synthetic rows is right on {_percent(tstr)} of the real held-out rows; "
        f"trained on the real rows it is right on {_percent(trtr)} ({_percent(tstr / trtr if trtr else 0)} of it). "
        f"Always guessing the most common label would be right on {_percent(majority)}."
    )
    baseline = evaluation.baseline
    if baseline is not None and best.classifier in baseline.utility:
        prior = baseline.utility[best.classifier].accuracy
        points.append(
            f"Rows from the untrained model with the same prompts (no privacy cost) score {_percent(prior)}: "
            + fine_tuning_effect(tstr, prior, holdout_rows)
        )
    points.append(
        f"The real-data classifier agrees with the label each synthetic row was written for on "
        f"{_percent(evaluation.faithfulness)} of the rows (label faithfulness; 100% means every row reads as its "
        "label)."
    )
    points.append(
        "No synthetic row is an exact copy of a training row."
        if exact_copies == 0
        else f"{exact_copies} synthetic rows are exact copies of a training row: check them before sharing."
    )
    return Summary(verdict, headline, points)
