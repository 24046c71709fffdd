"""How the base model is adapted: LoRA (default), full fine-tuning (every weight but a tied embedding), or
QLoRA (4-bit base, CUDA only)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
from transformers import PreTrainedModel

from ..contract import ModelSpec
from ..errors import BadInputError
from .registry import create_model


def quantization_config_for(spec: ModelSpec, device: torch.device) -> Any | None:
    """The 4-bit loading config QLoRA needs, or None for LoRA and full fine-tuning."""
    if spec.finetune != "qlora":
        return None
    if device.type != "cuda":
        raise BadInputError(
            "QLoRA (finetune: qlora) loads the base model in 4 bits with bitsandbytes, which needs a CUDA GPU; "
            "this trainer runs on the CPU. Choose finetune 'lora' or run the job on a GPU trainer."
        )
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )


def _last_layers(model: PreTrainedModel, last: int | None) -> list[int] | None:
    """Indices of the last `last` transformer blocks (None: all). Frozen blocks below the lowest adapted one need
    no backward pass at all, which is most of a LoRA step's cost on a CPU."""
    if last is None:
        return None
    config = model.config
    total = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer", None)
    if not total:
        raise BadInputError("model.lora.lastLayers needs a model whose config says how many layers it has.")
    return list(range(max(0, total - last), total))


def apply_finetune(model: PreTrainedModel, spec: ModelSpec) -> torch.nn.Module:
    """Make the parameters `spec.finetune` trains trainable, freeze the rest; the model is left in train mode."""
    model.train()
    if spec.finetune == "full":
        model.requires_grad_(True)
        freeze_tied_parameters(model)
        return model
    if spec.finetune == "qlora":
        # No gradient checkpointing: it re-runs forwards, which Opacus' per-sample hooks would record twice.
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    lora = LoraConfig(
        r=spec.lora.r,
        lora_alpha=spec.lora.alpha,
        lora_dropout=spec.lora.dropout,
        target_modules=spec.lora.targetModules or None,  # None: peft's default for the architecture
        layers_to_transform=_last_layers(model, spec.lora.lastLayers),
        task_type="CAUSAL_LM",
        fan_in_fan_out=getattr(model.config, "model_type", "") == "gpt2",  # GPT-2's Conv1D stores W transposed
    )
    try:
        return get_peft_model(model, lora).train()
    except ValueError as exc:
        raise BadInputError(
            f"LoRA could not be applied to '{spec.id}': set model.lora.targetModules to module names of this "
            f"architecture ({type(exc).__name__})."
        ) from None


def freeze_tied_parameters(model: torch.nn.Module) -> list[str]:
    """Freeze every parameter that two layers share (the input embedding tied to the output head of GPT-2 and
    SmolLM2); returns their names.

    Freezing, not untying, because under DP-SGD every trainable coordinate is noised at every step: the tied
    matrix is vocabulary x hidden (28M of SmolLM2-135M's 135M), and the rows of the tokens a table never uses
    would receive noise and no signal, while untying would add a second such matrix (weights, gradients,
    optimizer state) and change the saved model's shape. Frozen, the weight stays tied, so the saved model is
    a standard checkpoint that reloads unchanged; and ghost clipping, which refuses a parameter used by two
    layers, covers the rest. A private and a non-private run train the same parameters (privacy.py keeps its
    one branch, and the compare view compares like with like).
    """
    owners: dict[int, list[str]] = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        owners.setdefault(id(p), []).append(name)
    frozen: list[str] = []
    for p in model.parameters():
        names = owners[id(p)]
        if len(names) > 1 and p.requires_grad:
            p.requires_grad_(False)
            frozen.append(names[0])
    return frozen


@contextlib.contextmanager
def untrained_model(trained: Any, spec: ModelSpec, *, cache_dir: Path, device: torch.device) -> Iterator[Any]:
    """The model before fine-tuning: the adapter switched off, or (full fine-tuning) the base loaded again."""
    if hasattr(trained, "disable_adapter"):
        with trained.disable_adapter():
            yield trained
        return
    base = create_model(spec, cache_dir=cache_dir, device=device).model
    try:
        yield base.to(next(trained.parameters()).dtype).eval()
    finally:
        del base
