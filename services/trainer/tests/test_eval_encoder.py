import csv
from pathlib import Path

import numpy as np

from dpsynth_trainer.evaluation.classifiers import ClassifierOptions, fit_classifier
from dpsynth_trainer.evaluation.encoder import SentenceEncoder, resolve_encoder
from dpsynth_trainer.evaluation.utility import score

FIXTURE = Path(__file__).parent / "fixtures" / "rotten_tomatoes_600.csv"


def test_the_catalog_encoder_comes_from_its_package_not_the_hub():
    path, local = resolve_encoder("all-minilm-l6-v2")
    assert local and Path(path, "model.safetensors").is_file()


def test_minilm_embeddings_are_unit_vectors_that_know_sentiment():
    rows = list(csv.DictReader(FIXTURE.open(encoding="utf-8")))[:300]
    encoder = SentenceEncoder("all-minilm-l6-v2")
    vectors = encoder.encode(["a wonderful film", "a marvellous movie", "a tedious mess"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]

    options = ClassifierOptions(encoder=lambda: encoder)
    train, holdout = rows[:200], rows[200:]
    classifier = fit_classifier("embedding", options, [r["review"] for r in train], [r["label"] for r in train])
    accuracy = score(
        [r["label"] for r in holdout],
        classifier.predict([r["review"] for r in holdout]),
    ).accuracy
    # MiniLM + logistic regression separates fresh from rotten well above chance even on 200 rows.
    assert accuracy > 0.65
