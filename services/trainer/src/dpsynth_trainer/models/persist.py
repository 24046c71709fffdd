"""Writing the trained model for the sampler, and reading it back.

LoRA/QLoRA runs save only the adapter plus a note naming the base model (resolved again through the registry,
so a cached tiny or converted model is found by key); full fine-tuning saves the whole model. Either way the
directory holds the tokenizer, and `load_trained_model` returns a model ready to generate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from ..contract import ModelSpec
from .registry import resolve_source

MANIFEST = "dpsynth-model.json"


def save_trained_model(model: torch.nn.Module, tokenizer: Any, directory: Path, spec: ModelSpec) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)  # a PeftModel writes its adapter only
    tokenizer.save_pretrained(directory)
    manifest = {"finetune": spec.finetune, "base": spec.model_dump(include={"id", "revision", "finetune", "lora"})}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return directory


@dataclass
class TrainedModel:
    model: torch.nn.Module
    tokenizer: Any


def load_trained_model(directory: Path, *, cache_dir: Path, device: torch.device) -> TrainedModel:
    """The model `save_trained_model` wrote, in eval mode on `device`."""
    directory = Path(directory)
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    tokenizer = AutoTokenizer.from_pretrained(directory)
    if manifest["finetune"] == "full":
        model = AutoModelForCausalLM.from_pretrained(directory)
    else:
        base_spec = ModelSpec.model_validate(manifest["base"])
        base = AutoModelForCausalLM.from_pretrained(resolve_source(base_spec, cache_dir))
        model = PeftModel.from_pretrained(base, directory)
    return TrainedModel(model.to(device).eval(), tokenizer)
