"""Text classifiers for train-on-real / train-on-synthetic evaluation, in a small registry.

`register_classifier` / `create_classifier` follow the habit of Opacus' accountant registry. Each entry
says whether it needs CUDA; the evaluation skips those on a CPU machine and notes it in the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from dpsynth_trainer.evaluation.encoder import SentenceEncoder


class Classifier(Protocol):
    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Classifier: ...

    def predict(self, texts: Sequence[str]) -> list[str]: ...


@dataclass
class ClassifierOptions:
    """What classifiers may need: a shared encoder (lazily built), the device, a seed, the HF encoder id."""

    encoder: Callable[[], SentenceEncoder]
    device: str = "cpu"
    seed: int = 0
    transformer_model: str = "bert-base-uncased"


@dataclass(frozen=True)
class _Entry:
    factory: Callable[[ClassifierOptions], Classifier]
    needs_cuda: bool


_REGISTRY: dict[str, _Entry] = {}


def register_classifier(name: str, *, needs_cuda: bool = False):
    def decorator(factory: Callable[[ClassifierOptions], Classifier]):
        _REGISTRY[name] = _Entry(factory, needs_cuda)
        return factory

    return decorator


def create_classifier(name: str, options: ClassifierOptions) -> Classifier:
    if name not in _REGISTRY:
        raise KeyError(f"unknown classifier {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name].factory(options)


def unavailable_reason(name: str, device: str) -> str | None:
    """Why this classifier cannot run here, or None when it can."""
    if _REGISTRY[name].needs_cuda and not device.startswith("cuda"):
        return f"the {name} classifier needs a CUDA GPU and was skipped on this {device} run"
    return None


class ConstantClassifier:
    """What a training set of one class (or none) supports: always that class (None counts as wrong)."""

    def __init__(self, label: str | None):
        self.label = label

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> ConstantClassifier:
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.label] * len(texts)


def _logistic_regression(seed: int) -> LogisticRegression:
    return LogisticRegression(max_iter=2000, C=1.0, random_state=seed)


class TfidfClassifier:
    """Word 1-2-gram TF-IDF + logistic regression: fast, and a strong baseline on short texts."""

    def __init__(self, seed: int = 0):
        self.pipeline = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            _logistic_regression(seed),
        )

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TfidfClassifier:
        self.pipeline.fit(list(texts), list(labels))
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(label) for label in self.pipeline.predict(list(texts))] if texts else []


class EmbeddingClassifier:
    """Logistic regression over frozen sentence embeddings."""

    def __init__(self, encoder: SentenceEncoder, seed: int = 0):
        self.encoder = encoder
        self.model = _logistic_regression(seed)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> EmbeddingClassifier:
        self.model.fit(self.encoder.encode(texts), list(labels))
        return self

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(label) for label in self.model.predict(self.encoder.encode(texts))] if texts else []


class TransformerClassifier:
    """The reference's classifier: an HF encoder fine-tuned end to end (2 epochs, AdamW lr 2e-5, batch 64)."""

    EPOCHS, LEARNING_RATE, BATCH_SIZE, MAX_LENGTH = 2, 2e-5, 64, 128

    def __init__(self, model_id: str, device: str, seed: int = 0):
        from dpsynth_trainer.evaluation.encoder import resolve_encoder

        self.source, self.local = resolve_encoder(model_id)
        self.device = device
        self.seed = seed
        self.classes: list[str] = []

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TransformerClassifier:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.manual_seed(self.seed)
        self.classes = sorted(set(labels))
        index = {label: i for i, label in enumerate(self.classes)}
        self.tokenizer = AutoTokenizer.from_pretrained(self.source, local_files_only=self.local)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            self.source, num_labels=len(self.classes), local_files_only=self.local
        ).to(self.device)
        optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.LEARNING_RATE)
        targets = torch.tensor([index[label] for label in labels])
        generator = torch.Generator().manual_seed(self.seed)
        self.model.train()
        for _ in range(self.EPOCHS):
            for batch in torch.randperm(len(texts), generator=generator).split(self.BATCH_SIZE):
                inputs = self._tokenize([texts[i] for i in batch.tolist()])
                loss = self.model(**inputs, labels=targets[batch].to(self.device)).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
        self.model.eval()
        return self

    @torch.inference_mode()
    def predict(self, texts: Sequence[str]) -> list[str]:
        predictions: list[str] = []
        for start in range(0, len(texts), self.BATCH_SIZE):
            logits = self.model(**self._tokenize(list(texts[start : start + self.BATCH_SIZE]))).logits
            predictions.extend(self.classes[i] for i in logits.argmax(dim=-1).tolist())
        return predictions

    def _tokenize(self, texts: list[str]):
        return self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.MAX_LENGTH,
            return_tensors="pt",
        ).to(self.device)


register_classifier("tfidf")(lambda options: TfidfClassifier(options.seed))
register_classifier("embedding")(lambda options: EmbeddingClassifier(options.encoder(), options.seed))
register_classifier("transformer", needs_cuda=True)(
    lambda options: TransformerClassifier(options.transformer_model, options.device, options.seed)
)


def fit_classifier(name: str, options: ClassifierOptions, texts: Sequence[str], labels: Sequence[str]) -> Classifier:
    """Fit, falling back to a constant predictor when the rows hold fewer than two classes."""
    classes = sorted(set(labels))
    if len(classes) < 2:
        return ConstantClassifier(classes[0] if classes else None)
    return create_classifier(name, options).fit(texts, labels)
