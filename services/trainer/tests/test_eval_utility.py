import csv
import random
from pathlib import Path

import pytest

from dpsynth_trainer.evaluation.classifiers import (
    ClassifierOptions,
    create_classifier,
    unavailable_reason,
)
from dpsynth_trainer.evaluation.utility import Rows, compare, label_faithfulness, score

FIXTURE = Path(__file__).parent / "fixtures" / "rotten_tomatoes_600.csv"
OPTIONS = ClassifierOptions(encoder=lambda: pytest.fail("no encoder in these tests"))


def split_fixture() -> tuple[Rows, Rows]:
    rows = list(csv.DictReader(FIXTURE.open(encoding="utf-8")))
    train, holdout = rows[:480], rows[480:]
    return (
        Rows([r["review"] for r in train], [r["label"] for r in train]),
        Rows([r["review"] for r in holdout], [r["label"] for r in holdout]),
    )


def test_synthetic_rows_identical_to_the_real_ones_score_a_ratio_of_one():
    train, holdout = split_fixture()
    comparison, _ = compare("tfidf", OPTIONS, train, Rows(list(train.texts), list(train.labels)), holdout)
    assert comparison.real == comparison.synthetic
    assert (comparison.ratio.accuracy, comparison.ratio.macro_f1) == (1.0, 1.0)
    # The real classifier learns something on this data, so the ratio of 1 is not 0/0.
    assert comparison.real.accuracy > 0.6


def test_label_shuffled_synthetic_rows_are_half_faithful():
    train, holdout = split_fixture()
    _, real_classifier = compare("tfidf", OPTIONS, train, train, holdout)
    faithful = label_faithfulness(real_classifier, holdout)
    agreements = []
    for seed in range(20):
        labels = random.Random(seed).choices(["fresh", "rotten"], k=len(holdout.texts))
        agreements.append(label_faithfulness(real_classifier, Rows(holdout.texts, labels)))
    mean = sum(agreements) / len(agreements)
    assert mean == pytest.approx(0.5, abs=0.03)
    # With the true labels agreement is the classifier's accuracy: clearly above chance.
    assert faithful > 0.6


def test_synthetic_rows_of_one_class_predict_that_class():
    train, holdout = split_fixture()
    one_class = Rows(train.texts[:50], ["fresh"] * 50)
    comparison, _ = compare("tfidf", OPTIONS, train, one_class, holdout)
    share_fresh = holdout.labels.count("fresh") / len(holdout.labels)
    assert comparison.synthetic.accuracy == pytest.approx(share_fresh)


def test_no_synthetic_rows_scores_zero():
    train, holdout = split_fixture()
    comparison, _ = compare("tfidf", OPTIONS, train, Rows([], []), holdout)
    assert (
        comparison.synthetic.accuracy,
        comparison.synthetic.macro_f1,
        comparison.ratio.accuracy,
    ) == (0, 0, 0)


def test_scores_are_computed_from_the_predictions():
    s = score(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert s.accuracy == 0.75
    assert s.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)


def test_the_transformer_classifier_is_cuda_only():
    assert unavailable_reason("transformer", "cpu") is not None
    assert unavailable_reason("transformer", "cuda:0") is None
    assert unavailable_reason("tfidf", "cpu") is None


def test_unknown_classifiers_are_named():
    with pytest.raises(KeyError, match="known: embedding, tfidf, transformer"):
        create_classifier("forest", OPTIONS)


def test_when_no_requested_classifier_can_run_tfidf_still_judges_faithfulness():
    from dpsynth_trainer.evaluation import evaluate

    train, holdout = split_fixture()
    result = evaluate(
        train, holdout, holdout, label_set=["fresh", "rotten"], classifiers=["transformer"], encoder=None, device="cpu"
    )
    assert result.utility == []
    assert result.faithfulness_classifier == "tfidf" and result.faithfulness > 0.6
    assert any("needs a CUDA GPU" in note for note in result.notes)
