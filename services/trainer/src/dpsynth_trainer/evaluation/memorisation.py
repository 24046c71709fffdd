"""Privacy diagnostics: does the synthetic data or the model give training rows away?

Reported, never acted on: filtering synthetic rows by their closeness to training rows would be a release
of private data that the ledger does not see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import roc_auc_score

NEAR_COPY_THRESHOLD = 0.9
_CHUNK_ROWS = 512
_TOKEN = r"(?u)\b\w+\b"


def normalise_text(text: str) -> str:
    """What 'exact copy' compares: lower-cased, whitespace collapsed."""
    return " ".join(text.lower().split())


def max_similarity(
    queries: sp.csr_matrix,
    references: sp.csr_matrix,
    similarity: Callable[[np.ndarray, int], np.ndarray],
) -> np.ndarray:
    """For each query row, the largest similarity to any reference row, in row chunks to bound memory.

    `similarity(dot_products, chunk_start)` turns a dense chunk of query x reference dot products into
    similarities.
    """
    best = np.zeros(queries.shape[0])
    if references.shape[0] == 0:
        return best
    transposed = references.T.tocsc()
    for start in range(0, queries.shape[0], _CHUNK_ROWS):
        dots = (queries[start : start + _CHUNK_ROWS] @ transposed).toarray()
        best[start : start + len(dots)] = similarity(dots, start).max(axis=1)
    return best


def jaccard_to_nearest(queries: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """Exact nearest-neighbour word-set Jaccard similarity, through binary-vector dot products."""
    vectorizer = CountVectorizer(binary=True, token_pattern=_TOKEN).fit([*queries, *references])
    q = vectorizer.transform(queries).astype(np.float32).tocsr()
    r = vectorizer.transform(references).astype(np.float32).tocsr()
    q_sizes, r_sizes = np.asarray(q.sum(1)).ravel(), np.asarray(r.sum(1)).ravel()

    def jaccard(dots: np.ndarray, start: int) -> np.ndarray:
        union = q_sizes[start : start + len(dots), None] + r_sizes[None, :] - dots
        return np.divide(dots, union, out=np.zeros_like(dots), where=union > 0)

    return max_similarity(q, r, jaccard)


def tfidf_distance_to_closest(queries: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """1 - cosine similarity to the closest reference row, on TF-IDF (word 1-2-grams) fitted on the references."""
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=_TOKEN).fit(references)
    q, r = (
        vectorizer.transform(queries).tocsr(),
        vectorizer.transform(references).tocsr(),
    )
    return 1.0 - max_similarity(q, r, lambda dots, _start: dots)


@dataclass(frozen=True)
class CopyCounts:
    exact: int
    near: int
    threshold: float = NEAR_COPY_THRESHOLD


def count_copies(
    synthetic: Sequence[str],
    train: Sequence[str],
    threshold: float = NEAR_COPY_THRESHOLD,
) -> CopyCounts:
    """Synthetic rows equal to a training row (exact), or not equal but with word-set Jaccard >= threshold (near)."""
    train_set = {normalise_text(t) for t in train}
    exact = np.array([normalise_text(t) in train_set for t in synthetic], dtype=bool)
    near = (jaccard_to_nearest(synthetic, train) >= threshold) & ~exact if len(synthetic) else exact
    return CopyCounts(int(exact.sum()), int(near.sum()), threshold)


@dataclass(frozen=True)
class DistanceToClosestRecord:
    synthetic_to_train_median: float
    holdout_to_train_median: float


def distance_to_closest_record(
    synthetic: Sequence[str], holdout: Sequence[str], train: Sequence[str]
) -> DistanceToClosestRecord:
    """Synthetic rows much closer to the training rows than fresh real rows are hint at memorisation."""
    synthetic_d = tfidf_distance_to_closest(synthetic, train) if len(synthetic) else np.array([1.0])
    holdout_d = tfidf_distance_to_closest(holdout, train) if len(holdout) else np.array([1.0])
    return DistanceToClosestRecord(float(np.median(synthetic_d)), float(np.median(holdout_d)))


def membership_inference_auc(member_losses: Sequence[float], non_member_losses: Sequence[float]) -> float:
    """AUC of the attack that calls a row a training member when the model's loss on it is low (0.5: no signal)."""
    scores = -np.concatenate([np.asarray(member_losses, float), np.asarray(non_member_losses, float)])
    truth = np.concatenate([np.ones(len(member_losses)), np.zeros(len(non_member_losses))])
    return float(roc_auc_score(truth, scores))
