"""The compute precision of training: bf16 autocast where the hardware has fast bf16, float32 elsewhere.

Only the model's forward and backward passes run under autocast. The loss is taken in float32, and the
per-sample gradients, their norms and the clipping are float32 too (`models/grad_samplers.py` up-casts them),
so the clipping bound that the privacy guarantee rests on holds whatever the precision. That holds for
per-sample hooks only: ghost clipping never holds a row's gradient, it realises the clipped sum in a second
backward pass, in that pass's precision, and under bf16 a row's share landed up to 0.3% above the clip norm
(tiny models, measured in issue 15's work). A noise scale calibrated to the clip norm would then understate ε, so
a ghost-clipped run trains in float32 (`training_dtype`).
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


def training_dtype(setting: str, device: torch.device, clipping: str) -> torch.dtype:
    """The dtype of a training run's forward and backward passes: float32 under ghost clipping (see above)."""
    return torch.float32 if clipping == "ghost" else compute_dtype(setting, device)


@contextlib.contextmanager
def autocast(device: torch.device, dtype: torch.dtype) -> Iterator[None]:
    """Autocast to `dtype` on `device`, or nothing at all for float32."""
    if dtype == torch.float32:
        yield
        return
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield
