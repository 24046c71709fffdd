"""The reference's fine-tuned transformer classifier. The registry runs it on CUDA only (too slow on a CPU
for real data); its code is exercised here on a CPU with a small encoder and a few rows."""

import csv
from pathlib import Path

import pytest
import torch

from dpsynth_trainer.evaluation import Rows, evaluate
from dpsynth_trainer.evaluation.classifiers import TransformerClassifier

FIXTURE = Path(__file__).parent / "fixtures" / "rotten_tomatoes_600.csv"


def fixture_rows(start: int, stop: int) -> Rows:
    rows = list(csv.DictReader(FIXTURE.open(encoding="utf-8")))[start:stop]
    return Rows([r["review"] for r in rows], [r["label"] for r in rows])


def test_the_transformer_classifier_fine_tunes_an_encoder_and_predicts_labels():
    from transformers import AutoModel

    train, test = fixture_rows(0, 16), fixture_rows(16, 24)
    classifier = TransformerClassifier("all-minilm-l6-v2", "cpu", seed=0).fit(train.texts, train.labels)
    predictions = classifier.predict(test.texts)
    assert len(predictions) == len(test.texts) and set(predictions) <= {"fresh", "rotten"}
    pretrained = AutoModel.from_pretrained(classifier.source, local_files_only=True)
    tuned = classifier.model.base_model
    name = "embeddings.word_embeddings.weight"
    # The encoder itself was fine-tuned, not only a head on frozen features.
    assert not torch.equal(pretrained.state_dict()[name], tuned.state_dict()[name])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_cuda_the_evaluation_includes_the_transformer_classifier():
    train, holdout = fixture_rows(0, 480), fixture_rows(480, 600)
    result = evaluate(
        train,
        holdout,
        train,
        label_set=["fresh", "rotten"],
        classifiers=["transformer"],
        encoder=None,
        transformer_model="all-minilm-l6-v2",
        device="cuda",
    )
    [comparison] = result.utility
    assert comparison.classifier == "transformer"
    assert comparison.real.accuracy > 0.6
