"""How much the synthetic rows look like the real ones: labels, lengths, n-grams, embeddings."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

_WORD = re.compile(r"\w+", re.UNICODE)
HISTOGRAM_BINS = 20
MMD_MAX_ROWS = 1000


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def label_distribution(labels: Sequence[str], label_set: Sequence[str]) -> dict[str, float]:
    counts = Counter(labels)
    total = len(labels)
    return {label: (counts[label] / total if total else 0.0) for label in label_set}


def total_variation(p: dict[str, float], q: dict[str, float]) -> float:
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


@dataclass(frozen=True)
class LengthComparison:
    real_mean: float
    synthetic_mean: float
    ks: float
    real_histogram: list[int]
    synthetic_histogram: list[int]
    bin_edges: list[float]


def compare_lengths(real: Sequence[str], synthetic: Sequence[str]) -> LengthComparison:
    """Word counts per row: means, histograms on shared bins, and the two-sample KS statistic."""
    real_lengths = np.array([len(words(t)) for t in real], dtype=float)
    synthetic_lengths = np.array([len(words(t)) for t in synthetic], dtype=float)
    top = max(real_lengths.max(initial=0), synthetic_lengths.max(initial=0), 1.0)
    edges = np.linspace(0.0, top, HISTOGRAM_BINS + 1)
    # An empty side is as far from the other as a distribution can be.
    ks = float(ks_2samp(real_lengths, synthetic_lengths).statistic) if len(real) and len(synthetic) else 1.0
    return LengthComparison(
        real_mean=float(real_lengths.mean()) if len(real) else 0.0,
        synthetic_mean=float(synthetic_lengths.mean()) if len(synthetic) else 0.0,
        ks=ks,
        real_histogram=np.histogram(real_lengths, edges)[0].tolist(),
        synthetic_histogram=np.histogram(synthetic_lengths, edges)[0].tolist(),
        bin_edges=edges.tolist(),
    )


def ngrams(text: str) -> list[str]:
    tokens = words(text)
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def ngram_jensen_shannon(real: Sequence[str], synthetic: Sequence[str]) -> float:
    """Jensen-Shannon distance (base 2, so in [0, 1]) between the word 1- and 2-gram frequencies."""
    p, q = (
        Counter(g for t in real for g in ngrams(t)),
        Counter(g for t in synthetic for g in ngrams(t)),
    )
    if not p or not q:
        return 1.0
    vocabulary = sorted(set(p) | set(q))
    distance = jensenshannon([p[g] for g in vocabulary], [q[g] for g in vocabulary], base=2)
    return float(np.clip(distance, 0.0, 1.0))


def rbf_mmd(x: np.ndarray, y: np.ndarray, *, seed: int = 0) -> float:
    """Maximum mean discrepancy with an RBF kernel (bandwidth: median pairwise distance), biased estimate.

    The biased (V-statistic) form is never negative, so its square root is a distance. Each side is
    subsampled to MMD_MAX_ROWS to keep the kernel matrices small.
    """
    rng = np.random.default_rng(seed)
    x = x[rng.permutation(len(x))[:MMD_MAX_ROWS]].astype(np.float64)
    y = y[rng.permutation(len(y))[:MMD_MAX_ROWS]].astype(np.float64)
    pooled = np.concatenate([x, y])
    squared = np.maximum(
        (pooled**2).sum(1)[:, None] + (pooled**2).sum(1)[None, :] - 2 * pooled @ pooled.T,
        0.0,
    )
    off_diagonal = squared[~np.eye(len(pooled), dtype=bool)]
    bandwidth = float(np.median(off_diagonal)) or 1.0
    kernel = np.exp(-squared / bandwidth)
    n = len(x)
    mmd2 = kernel[:n, :n].mean() + kernel[n:, n:].mean() - 2 * kernel[:n, n:].mean()
    return float(np.sqrt(max(mmd2, 0.0)))
