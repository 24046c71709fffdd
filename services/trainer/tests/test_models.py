"""Model families, adapters and the per-sample gradient support Opacus gets from us."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from opacus.grad_sample import GradSampleHooks, GradSampleHooksFastGradientClipping
from transformers.models.llama.modeling_llama import LlamaRMSNorm
from transformers.pytorch_utils import Conv1D

from dpsynth_trainer.errors import UnknownModelError
from dpsynth_trainer.models import (
    apply_finetune,
    create_model,
    ghost_clipping_blockers,
    load_trained_model,
    register_grad_samplers,
    save_trained_model,
)
from dpsynth_trainer.models.grad_samplers import NORM_LAYERS, compute_conv1d_grad_sample
from dpsynth_trainer.models.registry import materialized_path
from dpsynth_trainer.models.tokenizer import public_corpus, train_public_tokenizer
from dpsynth_trainer.records import RowFormat
from dpsynth_trainer.training.privacy import choose_clipping
from training_support import settings, spec

CPU = torch.device("cpu")


def test_conv1d_per_sample_gradients_match_autograd_one_row_at_a_time() -> None:
    torch.manual_seed(0)
    layer = Conv1D(5, 3)  # in 3, out 5, weight stored (in, out)
    x = torch.randn(4, 6, 3)
    out = layer(x)
    backprops = torch.randn_like(out)
    samples = compute_conv1d_grad_sample(layer, [x], backprops)
    for i in range(4):
        layer.zero_grad()
        (layer(x[i : i + 1]) * backprops[i : i + 1]).sum().backward()
        assert torch.allclose(samples[layer.weight][i], layer.weight.grad, atol=1e-6)
        assert torch.allclose(samples[layer.bias][i], layer.bias.grad, atol=1e-6)


def test_registered_samplers_cover_conv1d_and_compute_in_fp32() -> None:
    register_grad_samplers()
    assert Conv1D in GradSampleHooks.GRAD_SAMPLERS and Conv1D in GradSampleHooksFastGradientClipping.NORM_SAMPLERS
    linear = torch.nn.Linear(3, 2).to(torch.bfloat16)
    x = torch.randn(2, 4, 3, dtype=torch.bfloat16)
    backprops = torch.randn(2, 4, 2, dtype=torch.bfloat16)
    grads = GradSampleHooks.GRAD_SAMPLERS[torch.nn.Linear](linear, [x], backprops)
    norms = GradSampleHooksFastGradientClipping.NORM_SAMPLERS[torch.nn.Linear](linear, [x], backprops)
    assert grads[linear.weight].dtype == torch.float32 and norms[linear.weight].dtype == torch.float32
    assert torch.allclose(grads[linear.weight].flatten(1).norm(dim=1), norms[linear.weight], rtol=1e-4)


@pytest.mark.parametrize(
    "layer",
    [torch.nn.LayerNorm(6), torch.nn.RMSNorm(6), torch.nn.RMSNorm(6, eps=1e-5), LlamaRMSNorm(6, eps=1e-5)],
    ids=lambda layer: type(layer).__name__,
)
def test_norm_layers_per_sample_norms_are_the_norms_of_their_per_sample_gradients(layer) -> None:
    register_grad_samplers()
    torch.manual_seed(0)
    with torch.no_grad():  # gains and biases away from their initial ones and zeros
        for p in layer.parameters():
            p.add_(torch.randn_like(p))
    x = torch.randn(4, 5, 6) * 3
    backprops = torch.randn(4, 5, 6)
    norms = GradSampleHooksFastGradientClipping.NORM_SAMPLERS[type(layer)](layer, [x], backprops)
    samples = GradSampleHooks.GRAD_SAMPLERS[type(layer)](layer, [x], backprops)
    params = list(layer.parameters())
    assert set(norms) == set(samples) == set(params)
    for i in range(4):
        direct = torch.autograd.grad((layer(x[i : i + 1]) * backprops[i : i + 1]).sum(), params)
        for p, grad in zip(params, direct, strict=True):
            assert torch.allclose(samples[p][i], grad, atol=1e-5)
            assert torch.allclose(norms[p][i], grad.norm(), rtol=1e-5)
    assert type(layer) in NORM_LAYERS
    bf16 = GradSampleHooksFastGradientClipping.NORM_SAMPLERS[type(layer)](
        layer.to(torch.bfloat16), [x.to(torch.bfloat16)], backprops.to(torch.bfloat16)
    )
    assert all(n.dtype == torch.float32 for n in bf16.values())  # up-cast like the linear layers' samplers


@pytest.mark.parametrize("model_id", ["tiny-gpt2", "tiny-llama", "smollm2-135m"])
def test_ghost_clipping_covers_full_fine_tuning_of_every_registry_model_auto_keeps_hooks_on_cpu(model_id: str) -> None:
    """Full fine-tuning trains every weight but one that two layers share (GPT-2's and SmolLM2's input embedding,
    tied to the output head), which stays frozen and tied."""
    register_grad_samplers()
    for finetune in ("lora", "full"):
        job = spec(10, model={"id": model_id, "finetune": finetune})
        model = apply_finetune(create_model(job.model, cache_dir=settings().model_cache, device=CPU).model, job.model)
        assert ghost_clipping_blockers(model) == []
        assert choose_clipping(model, "auto") == "hooks"  # on a CPU, as measured (choose_clipping)
        assert choose_clipping(model, "ghost") == "ghost"
    tied = model_id != "tiny-llama"
    head, embedding = model.get_output_embeddings().weight, model.get_input_embeddings().weight
    assert (head is embedding) is tied
    assert embedding.requires_grad is not tied and head.requires_grad is not tied
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert len(frozen) == int(tied)


def test_tiny_models_are_built_once_from_a_config_with_a_public_tokenizer(tmp_path: Path) -> None:
    path = materialized_path("tiny-llama", tmp_path)
    stamp = (path / "model.safetensors").stat().st_mtime_ns
    assert materialized_path("tiny-llama", tmp_path) == path
    assert (path / "model.safetensors").stat().st_mtime_ns == stamp  # cached, not rebuilt
    loaded = create_model(spec(10, model={"id": "tiny-llama"}).model, cache_dir=tmp_path, device=CPU)
    assert 1e5 < sum(p.numel() for p in loaded.model.parameters()) < 1e6
    assert len(public_corpus()) > 5  # scikit-learn's dataset descriptions, never the owner's rows
    assert train_public_tokenizer(512).get_vocab() == loaded.tokenizer.get_vocab()


def test_unknown_model_ids_get_an_actionable_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)  # no network wait in tests
    with pytest.raises(UnknownModelError, match="not a catalog key, a Hugging Face id"):
        create_model(spec(10, model={"id": "no-such-org/no-such-model"}).model, cache_dir=tmp_path, device=CPU)


def test_a_saved_lora_model_loads_back_for_sampling(tmp_path: Path) -> None:
    job = spec(10, model={"id": "tiny-llama", "finetune": "lora"})
    loaded = create_model(job.model, cache_dir=settings().model_cache, device=CPU)
    model = apply_finetune(loaded.model, job.model)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.fill_(0.01)  # make the adapter matter
    model.eval()
    save_trained_model(model, loaded.tokenizer, tmp_path / "model", job.model)
    again = load_trained_model(tmp_path / "model", cache_dir=settings().model_cache, device=CPU)
    ids = torch.tensor([RowFormat.for_spec(job, again.tokenizer).prompt_ids("fresh")])
    with torch.no_grad():
        assert torch.allclose(model(input_ids=ids).logits, again.model(input_ids=ids).logits, atol=1e-5)
