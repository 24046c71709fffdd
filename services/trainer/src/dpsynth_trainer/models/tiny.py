"""Tiny GPT-2 and Llama models built from a config with seeded random weights: tests and smoke runs.

A few hundred thousand parameters each, so that real Opacus training runs in seconds on a CPU. The weights are
materialised once into the model cache (like a downloaded model), so a resumed run and the sampler load
exactly the base the adapter was trained on.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, PreTrainedModel

from .tokenizer import save_public_tokenizer

VOCAB_SIZE = 512
MAX_POSITIONS = 512
_INIT_SEED = 20240601  # fixed: the "pre-trained" weights of a tiny model are the same on every machine


def _tiny_gpt2() -> PreTrainedModel:
    config = GPT2Config(
        vocab_size=VOCAB_SIZE,
        n_positions=MAX_POSITIONS,
        n_embd=64,
        n_layer=2,
        n_head=2,
        bos_token_id=0,
        eos_token_id=0,
    )
    return GPT2LMHeadModel(config)


def _tiny_llama() -> PreTrainedModel:
    config = LlamaConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=96,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=MAX_POSITIONS,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=0,
        tie_word_embeddings=False,
    )
    return LlamaForCausalLM(config)


_BUILDERS = {"tiny-gpt2": _tiny_gpt2, "tiny-llama": _tiny_llama}


def materialize_tiny(key: str, directory: Path) -> None:
    """Write the tiny model `key` (weights, config, public tokenizer) into `directory`."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_INIT_SEED)
        model = _BUILDERS[key]()
    model.save_pretrained(directory)
    save_public_tokenizer(directory, VOCAB_SIZE)
