"""Resolving a spec's model id to weights: catalog families first, then a directory under the model roots, then
the hub (see references.py for what a job may name).

Families that are built or converted locally register a `materialize(directory)` function; the registry
writes their weights once into the model cache (`$DPSYNTH_MODEL_CACHE/<key>/`) and every later load reads that
directory with `from_pretrained`, exactly like a local or hub model. A missing hub (air-gapped sites) only
matters for ids that are neither registered nor a directory.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel
from transformers.utils import logging as hf_logging

from ..contract import ModelSpec
from ..errors import BadInputError
from ..model_references import check_reference, default_roots, local_directory, unknown_model
from .smollm2 import materialize_smollm2, smollm2_available
from .tiny import materialize_tiny

Materialize = Callable[[Path], None]
_FAMILIES: dict[str, Materialize] = {}
#: Whether a family can be built on this machine (what it is built from is installed).
_BUILDABLE: dict[str, Callable[[], bool]] = {}


def register_model_family(
    key: str, materialize: Materialize, *, buildable: Callable[[], bool] = lambda: True, force: bool = False
) -> None:
    """Make `key` a model id that is built by `materialize(directory)` instead of downloaded; `buildable` says
    whether what it is built from is on this machine."""
    if key in _FAMILIES and not force:
        raise ValueError(f"Model family {key} is already registered")
    _FAMILIES[key] = materialize
    _BUILDABLE[key] = buildable


register_model_family("tiny-gpt2", lambda d: materialize_tiny("tiny-gpt2", d))
register_model_family("tiny-llama", lambda d: materialize_tiny("tiny-llama", d))
register_model_family("smollm2-135m", materialize_smollm2, buildable=smollm2_available)


def local_families(cache_dir: Path) -> list[str]:
    """The registered families this trainer can load without the hub: already in the cache, or buildable here."""
    return [
        key for key in _FAMILIES if (_cache_directory(key, cache_dir) / "config.json").exists() or _BUILDABLE[key]()
    ]


@dataclass
class LoadedModel:
    model: PreTrainedModel
    tokenizer: Any
    source: str  # the directory or hub id the weights came from


def _cache_directory(key: str, cache_dir: Path) -> Path:
    return Path(cache_dir) / key.replace("/", "--")


def materialized_path(key: str, cache_dir: Path) -> Path:
    """The cache directory of a registered family, written on first use (atomically: temp dir, then rename)."""
    target = _cache_directory(key, cache_dir)
    if (target / "config.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        _FAMILIES[key](staging)
        try:
            staging.rename(target)
        except OSError:
            if not (target / "config.json").exists():  # not a concurrent writer that won the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_source(spec: ModelSpec, cache_dir: Path, roots: Sequence[Path] | None = None) -> str:
    """The directory or hub id `spec.id` loads from: a catalog family, a directory under `roots` (the process's
    model roots by default), or a hub id; anything else is UnknownModelError."""
    if spec.id in _FAMILIES:
        return str(materialized_path(spec.id, cache_dir))
    roots = default_roots() if roots is None else roots
    check_reference(spec.id, what="model", roots=roots)
    directory = local_directory(spec.id, roots)
    return str(directory) if directory is not None else spec.id


def create_model(
    spec: ModelSpec,
    *,
    cache_dir: Path,
    device: torch.device,
    quantization_config: Any | None = None,
) -> LoadedModel:
    """Load the base model and tokenizer of `spec` (no adapter yet) onto `device`."""
    hf_logging.disable_progress_bar()
    source = resolve_source(spec, cache_dir)
    kwargs: dict[str, Any] = {"revision": spec.revision} if spec.revision and source == spec.id else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        if quantization_config is not None:
            model = AutoModelForCausalLM.from_pretrained(
                source, quantization_config=quantization_config, device_map={"": device}, **kwargs
            )
        else:
            model = AutoModelForCausalLM.from_pretrained(source, **kwargs).to(device)
    except OSError:
        raise unknown_model("model", spec.id) from None
    except ValueError as exc:
        if "causal" in str(exc).lower() or "unrecognized" in str(exc).lower():
            raise BadInputError(f"The model '{spec.id}' is not a causal language model.") from None
        raise
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token  # padding is masked out of attention and loss
    return LoadedModel(model, tokenizer, source)


def max_positions(model: PreTrainedModel) -> int | None:
    config = model.config
    return getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
