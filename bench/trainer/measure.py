"""Peak memory and wall time of a piece of work, on the CPU or a CUDA device.

CPU peak memory is the process's resident high-water mark (VmHWM), reset before the work through
`/proc/self/clear_refs` after returning freed heap to the system (`malloc_trim`), so a configuration measured
after another is not flattered by memory the allocator kept. On CUDA it is the allocator's peak.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

_STATUS = Path("/proc/self/status")


def _trim_heap() -> None:
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _status_kib(field: str) -> int | None:
    try:
        found = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(encoding="utf-8"), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class MemoryPeak:
    resident_mib: float  # memory held when the work started (model, optimizer state)
    peak_mib: float  # the most held at any moment during the work

    @property
    def added_mib(self) -> float:
        """What the work itself needed on top of what was resident."""
        return self.peak_mib - self.resident_mib


class MemoryMeter:
    def __init__(self, device: torch.device) -> None:
        self.device = device

    def measure(self, work: Callable[[], None]) -> MemoryPeak | None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(self.device)
            resident = torch.cuda.memory_allocated(self.device)
            work()
            torch.cuda.synchronize(self.device)
            return MemoryPeak(resident / 2**20, torch.cuda.max_memory_allocated(self.device) / 2**20)
        _trim_heap()
        try:
            Path("/proc/self/clear_refs").write_text("5", encoding="utf-8")  # resets VmHWM to the current VmRSS
        except OSError:
            work()
            return None
        resident = _status_kib("VmRSS")
        work()
        peak = _status_kib("VmHWM")
        return None if resident is None or peak is None else MemoryPeak(resident / 1024, peak / 1024)


def timed(work: Callable[[], None], device: torch.device) -> float:
    """Seconds `work` took, the device's queued kernels included."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    work()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - started


def use_threads(threads: int) -> None:
    """Intra-op threads for this process. On a shared CPU, one thread per process is the stable choice: with
    two OpenMP threads on two busy cores, a tiny model's step measured 30x slower than with one (spin-waiting)."""
    torch.set_num_threads(threads)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or baseline is None or baseline <= 0:
        return None
    return value / baseline
