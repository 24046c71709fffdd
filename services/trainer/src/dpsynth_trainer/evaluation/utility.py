"""Train-real-test-real versus train-synthetic-test-real, and label faithfulness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.metrics import accuracy_score, f1_score

from dpsynth_trainer.evaluation.classifiers import (
    Classifier,
    ClassifierOptions,
    fit_classifier,
)


@dataclass(frozen=True)
class Rows:
    """Texts with their labels (for synthetic rows: the label the generation was conditioned on)."""

    texts: list[str]
    labels: list[str]

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError("texts and labels differ in length")


@dataclass(frozen=True)
class Score:
    accuracy: float
    macro_f1: float


@dataclass(frozen=True)
class Comparison:
    classifier: str
    real: Score
    synthetic: Score

    @property
    def ratio(self) -> Score:
        return Score(
            _ratio(self.synthetic.accuracy, self.real.accuracy),
            _ratio(self.synthetic.macro_f1, self.real.macro_f1),
        )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def score(truth: Sequence[str], predicted: Sequence[str | None]) -> Score:
    """Accuracy and macro-F1 over the true classes; a missing prediction counts as wrong."""
    predicted = ["" if label is None else label for label in predicted]
    classes = sorted(set(truth))
    return Score(
        float(accuracy_score(truth, predicted)),
        float(f1_score(truth, predicted, labels=classes, average="macro", zero_division=0)),
    )


def compare(
    name: str, options: ClassifierOptions, real: Rows, synthetic: Rows, holdout: Rows
) -> tuple[Comparison, Classifier]:
    """Both classifiers tested on the same holdout; the real-data one is returned for faithfulness."""
    on_real = fit_classifier(name, options, real.texts, real.labels)
    on_synthetic = fit_classifier(name, options, synthetic.texts, synthetic.labels)
    comparison = Comparison(
        name,
        real=score(holdout.labels, on_real.predict(holdout.texts)),
        synthetic=score(holdout.labels, on_synthetic.predict(holdout.texts)),
    )
    return comparison, on_real


def label_faithfulness(real_classifier: Classifier, synthetic: Rows) -> float:
    """How often the real-data classifier agrees with the label each synthetic row was conditioned on."""
    if not synthetic.texts:
        return 0.0
    predicted = real_classifier.predict(synthetic.texts)
    return sum(p == label for p, label in zip(predicted, synthetic.labels, strict=True)) / len(synthetic.texts)
