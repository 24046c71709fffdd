"""Per-sample gradient support that Opacus lacks for the model families we train.

- GPT-2's `Conv1D` (transformers) is a linear layer with a transposed weight: `y = x @ W + b`, W of shape
  (in, out). Opacus 1.6 has no grad sampler for it and would fall back to functorch; here it gets the linear
  einsum, and the linear *norm* sampler (a norm does not change under transposition) so that ghost clipping
  covers it too.
- Norm layers (GPT-2's `nn.LayerNorm`, Llama's and SmolLM2's `LlamaRMSNorm`, torch's `nn.RMSNorm`) scale each
  feature by a gain (and LayerNorm adds a bias): a row's gradient of a gain is the d-dimensional sum over its
  tokens of normalised input times backprop, small enough to build and take the norm of directly. Opacus 1.6
  ships grad samplers for LayerNorm and nn.RMSNorm but no norm sampler for any of them, and nothing for
  transformers' own RMSNorm classes, so without these ghost clipping would have to fall back for the norms.
- Opacus' embedding norm sampler needs contiguous ids; GPT-2's position ids are an expanded view.
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
from torch.nn import functional as F
from transformers.models.llama.modeling_llama import LlamaRMSNorm
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


def _per_row(per_token: torch.Tensor) -> torch.Tensor:
    """Sum a (rows, ..., features) tensor over everything between rows and features: (rows, features)."""
    return per_token.reshape(per_token.shape[0], -1, per_token.shape[-1]).sum(dim=1)


def compute_embedding_norm_sample_of_any_ids(
    layer: nn.Embedding, activations: list[torch.Tensor], backprops: torch.Tensor
) -> dict[nn.Parameter, torch.Tensor]:
    """Opacus' embedding norm sampler `view`s the ids, which fails on the expanded (non-contiguous) position ids
    GPT-2 feeds its position embedding."""
    return compute_embedding_norm_sample(layer, [a.contiguous() for a in activations], backprops)


def compute_layer_norm_grad_sample(
    layer: nn.LayerNorm, activations: list[torch.Tensor], backprops: torch.Tensor
) -> dict[nn.Parameter, torch.Tensor]:
    x = activations[0].to(backprops.dtype)
    samples: dict[nn.Parameter, torch.Tensor] = {}
    if layer.weight is not None and layer.weight.requires_grad:
        normalised = F.layer_norm(x, layer.normalized_shape, eps=layer.eps)
        samples[layer.weight] = _per_row(normalised * backprops).reshape(-1, *layer.weight.shape)
    if layer.bias is not None and layer.bias.requires_grad:
        samples[layer.bias] = _per_row(backprops).reshape(-1, *layer.bias.shape)
    return samples


def compute_rms_norm_grad_sample(
    layer: nn.Module, activations: list[torch.Tensor], backprops: torch.Tensor
) -> dict[nn.Parameter, torch.Tensor]:
    """`nn.RMSNorm` (eps may be None: torch's default) and transformers' RMSNorm (`variance_epsilon`)."""
    if layer.weight is None or not layer.weight.requires_grad:
        return {}
    x = activations[0].to(backprops.dtype)
    eps = getattr(layer, "variance_epsilon", None) or getattr(layer, "eps", None)
    normalised = F.rms_norm(x, layer.weight.shape, eps=eps)
    return {layer.weight: _per_row(normalised * backprops).reshape(-1, *layer.weight.shape)}


def norms_of(sampler: Sampler) -> Sampler:
    """The norm sampler of a layer whose per-sample gradients are small (a norm's gains: rows x features)."""

    def norm_sample(layer, activations, backprops):
        return {p: g.flatten(1).norm(2, dim=1) for p, g in sampler(layer, activations, backprops).items()}

    norm_sample.__name__ = f"{sampler.__name__}_norm"
    return norm_sample


def upcast_to_fp32(sampler: Sampler) -> Sampler:
    """Run `sampler` in fp32 when the backward pass is in half precision."""

    def sample_in_fp32(layer, activations, backprops):
        if backprops.dtype in _LOW_PRECISION:
            backprops = backprops.float()
            activations = [a.float() if a.is_floating_point() else a for a in activations]
        return sampler(layer, activations, backprops)

    sample_in_fp32.__name__ = f"{sampler.__name__}_fp32"
    return sample_in_fp32


#: The norm layers of the registry's model families (and torch's own RMSNorm) and their grad samplers.
NORM_LAYERS: dict[type[nn.Module], Sampler] = {
    nn.LayerNorm: compute_layer_norm_grad_sample,
    nn.RMSNorm: compute_rms_norm_grad_sample,
    LlamaRMSNorm: compute_rms_norm_grad_sample,
}


def register_grad_samplers() -> None:
    """Install our samplers into Opacus' registries (idempotent)."""
    grad_samplers = {
        nn.Linear: compute_linear_grad_sample,
        nn.Embedding: compute_embedding_grad_sample,
        Conv1D: compute_conv1d_grad_sample,
        **NORM_LAYERS,
    }
    norm_samplers = {
        nn.Linear: compute_linear_norm_sample,
        nn.Embedding: compute_embedding_norm_sample_of_any_ids,
        Conv1D: compute_linear_norm_sample,
        **{layer: norms_of(sampler) for layer, sampler in NORM_LAYERS.items()},
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
