"""Per-sample gradient support that Opacus lacks for the model families we train.

- GPT-2's `Conv1D` (transformers) is a linear layer with a transposed weight: `y = x @ W + b`, W of shape
  (in, out). Opacus 1.6 has no grad sampler for it and would fall back to functorch; here it gets the linear
  einsum, and the linear *norm* sampler (a norm does not change under transposition) so that ghost clipping
  covers it too.
- Low-precision activations (bf16/fp16 under QLoRA or half-precision fine-tuning) would make per-sample
  gradients, and so their norms and the clipping, low-precision too; the samplers of linear-like layers and
  embeddings up-cast to fp32 first. Opacus then casts the clipped sum back to the parameter's dtype.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from opacus.grad_sample import GradSampleHooks, GradSampleHooksFastGradientClipping
from opacus.grad_sample.embedding import compute_embedding_grad_sample, compute_embedding_norm_sample
from opacus.grad_sample.linear import compute_linear_grad_sample, compute_linear_norm_sample
from torch import nn
from transformers.pytorch_utils import Conv1D

Sampler = Callable[[nn.Module, list[torch.Tensor], torch.Tensor], dict[nn.Parameter, torch.Tensor]]
_LOW_PRECISION = (torch.float16, torch.bfloat16)


def compute_conv1d_grad_sample(
    layer: Conv1D, activations: list[torch.Tensor], backprops: torch.Tensor
) -> dict[nn.Parameter, torch.Tensor]:
    x = activations[0].to(backprops.dtype)
    samples: dict[nn.Parameter, torch.Tensor] = {}
    if layer.weight.requires_grad:
        samples[layer.weight] = torch.einsum("n...i,n...j->nij", x, backprops)
    if layer.bias is not None and layer.bias.requires_grad:
        samples[layer.bias] = torch.einsum("n...k->nk", backprops)
    return samples


def upcast_to_fp32(sampler: Sampler) -> Sampler:
    """Run `sampler` in fp32 when the backward pass is in half precision."""

    def sample_in_fp32(layer, activations, backprops):
        if backprops.dtype in _LOW_PRECISION:
            backprops = backprops.float()
            activations = [a.float() if a.is_floating_point() else a for a in activations]
        return sampler(layer, activations, backprops)

    sample_in_fp32.__name__ = f"{sampler.__name__}_fp32"
    return sample_in_fp32


def register_grad_samplers() -> None:
    """Install our samplers into Opacus' registries (idempotent)."""
    grad_samplers = {
        nn.Linear: compute_linear_grad_sample,
        nn.Embedding: compute_embedding_grad_sample,
        Conv1D: compute_conv1d_grad_sample,
    }
    norm_samplers = {
        nn.Linear: compute_linear_norm_sample,
        nn.Embedding: compute_embedding_norm_sample,
        Conv1D: compute_linear_norm_sample,
    }
    for layer, sampler in grad_samplers.items():
        GradSampleHooks.GRAD_SAMPLERS[layer] = upcast_to_fp32(sampler)
        GradSampleHooksFastGradientClipping.GRAD_SAMPLERS[layer] = upcast_to_fp32(sampler)
    for layer, sampler in norm_samplers.items():
        GradSampleHooksFastGradientClipping.NORM_SAMPLERS[layer] = upcast_to_fp32(sampler)


def ghost_clipping_blockers(model: nn.Module) -> list[str]:
    """Why ghost clipping cannot cover every trainable layer of `model` (empty when it can).

    Ghost clipping needs a norm sampler for each trainable layer type, and refuses a parameter used by two
    layers (GPT-2 ties its input embedding to the output head).
    """
    blockers: list[str] = []
    owners: dict[int, str] = {}
    for name, module in model.named_modules():
        params = [p for p in module.parameters(recurse=False) if p.requires_grad]
        if not params:
            continue
        if type(module) not in GradSampleHooksFastGradientClipping.NORM_SAMPLERS:
            blockers.append(f"{type(module).__name__} has no ghost-clipping norm sampler")
        for p in params:
            if id(p) in owners:
                blockers.append(f"{name} shares a trainable weight with {owners[id(p)]}")
            owners.setdefault(id(p), name)
    return sorted(set(blockers))
