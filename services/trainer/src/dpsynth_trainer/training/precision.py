"""The compute precision of training: bf16 autocast where the hardware has fast bf16, float32 elsewhere.

Only the model's forward and backward passes run under autocast. The loss is taken in float32, and the
per-sample gradients, their norms and the clipping are float32 too (`models/grad_samplers.py` up-casts them),
so the clipping bound that the privacy guarantee rests on holds whatever the precision.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


def has_fast_bf16(device: torch.device) -> bool:
    """bf16 matmuls run in hardware here: AVX512-BF16 or AMX on a CPU, compute capability 8+ on CUDA."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    return False


def compute_dtype(setting: str, device: torch.device) -> torch.dtype:
    """torch.bfloat16 or torch.float32 for a spec's `training.precision` on `device`."""
    if setting == "bf16" or (setting == "auto" and has_fast_bf16(device)):
        return torch.bfloat16
    return torch.float32


@contextlib.contextmanager
def autocast(device: torch.device, dtype: torch.dtype) -> Iterator[None]:
    """Autocast to `dtype` on `device`, or nothing at all for float32."""
    if dtype == torch.float32:
        yield
        return
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield
