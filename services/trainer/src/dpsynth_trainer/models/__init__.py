"""Model families, loading, adaptation (LoRA / full / QLoRA) and the per-sample gradient support they need."""

from .adapters import apply_finetune, quantization_config_for, untrained_model
from .grad_samplers import ghost_clipping_blockers, register_grad_samplers
from .persist import TrainedModel, load_trained_model, save_trained_model
from .registry import LoadedModel, create_model, max_positions, register_model_family, resolve_source

__all__ = [
    "LoadedModel",
    "TrainedModel",
    "apply_finetune",
    "create_model",
    "ghost_clipping_blockers",
    "load_trained_model",
    "max_positions",
    "quantization_config_for",
    "register_grad_samplers",
    "register_model_family",
    "resolve_source",
    "save_trained_model",
    "untrained_model",
]
