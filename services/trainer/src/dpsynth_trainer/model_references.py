"""What a job may name as a model or an encoder: the one rule for every model reference in a spec.

A reference is a catalog key, a Hugging Face id of the hub's shape (`name` or `org/name`), or the absolute path
of a directory under the trainer's model roots (`DPSYNTH_MODEL_ROOTS`, plus the model cache). Anything else is
refused before any data is read, with one message whatever the reason, so a job spec can never be used to learn
which directories exist on a trainer, nor to load weights (pickles) from wherever the owner points.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UnknownModelError

if TYPE_CHECKING:
    from .contract import JobSpec

#: `name` or `org/name`, as Hugging Face spells repository ids (the web checks the same shape).
_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")


def is_hub_id(reference: str) -> bool:
    return _HUB_ID.fullmatch(reference) is not None and ".." not in reference


def _under(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def local_directory(reference: str, roots: Sequence[Path]) -> Path | None:
    """The directory an absolute `reference` names, if it lies under a root (symlinks followed); else None.

    A path outside every root is judged on its text alone, so nothing outside the roots is ever looked at.
    """
    if not reference.startswith("/"):
        return None
    lexical = Path(os.path.normpath(reference))
    if not _under(lexical, roots):
        return None
    real = lexical.resolve()
    return real if _under(real, roots) and real.is_dir() else None


def default_roots() -> tuple[Path, ...]:
    """The process's model roots, for callers that were not handed their settings."""
    from .config import load_settings

    return load_settings().model_roots


def unknown_model(what: str, reference: str) -> UnknownModelError:
    # One message for every refusal: which one it was would tell what exists on this machine.
    shown = reference if len(reference) <= 120 else f"{reference[:117]}..."
    return UnknownModelError(
        f"The {what} '{shown}' is not a catalog key, a Hugging Face id (name or org/name) this trainer can load, or "
        "a model directory under the trainer's model roots (DPSYNTH_MODEL_ROOTS). Offline machines can use "
        "tiny-gpt2, tiny-llama or smollm2-135m."
    )


def check_reference(reference: str, *, what: str, roots: Sequence[Path]) -> None:
    """Refuses a reference that is neither a hub id (catalog keys have that shape) nor a directory under `roots`."""
    if local_directory(reference, roots) is not None:
        return
    if reference.startswith("/") or not is_hub_id(reference):
        raise unknown_model(what, reference)


def check_spec_references(spec: JobSpec, roots: Sequence[Path]) -> None:
    """Every model a job names, checked when the job arrives, before any data is read or any ε spent."""
    check_reference(spec.model.id, what="model", roots=roots)
    check_reference(spec.evaluation.encoder, what="evaluation encoder", roots=roots)
    check_reference(spec.evaluation.transformerClassifier, what="transformer classifier", roots=roots)
