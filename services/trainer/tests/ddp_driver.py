"""`python -m dpsynth_trainer` under `torchrun`, with two probes that `test_distributed.py` reads afterwards.

    torchrun --standalone --nproc-per-node 2 tests/ddp_driver.py train --spec ... --data ... --out OUT

Each process runs the trainer's real command line (`cli.main`) and, when it ends, writes
`$DPSYNTH_TEST_PROBE_DIR/rank-<rank>.json` with:

- `clipped`: every row's gradient as Opacus' optimizer clipped it, before noise, measured by running its own
  `clip_and_accumulate` on that row alone (`maxClippedNorm`, `maxRawNorm`, `rows`);
- `noisedSteps`: how many times this process drew the DP noise (`DPOptimizer.add_noise`, which the distributed
  optimizer calls on rank 0 only);
- `writes`: on ranks other than 0, every file-system write under OUT that the process attempted (Python's audit
  events for opening a file to write, renaming, removing, creating a directory, changing modes).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
PATH_EVENTS = {"os.rename": 0, "os.remove": 0, "os.mkdir": 0, "os.chmod": 0, "os.rmdir": 0, "shutil.rmtree": 0}


def watch_writes(root: Path, writes: list[str]) -> None:
    def audit(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & WRITE_FLAGS)
        elif event in PATH_EVENTS:
            path, writing = args[PATH_EVENTS[event]], True
        else:
            return
        if writing and isinstance(path, (str, bytes, os.PathLike)):
            resolved = os.path.abspath(os.fsdecode(path))
            if resolved == str(root) or resolved.startswith(f"{root}{os.sep}"):
                writes.append(f"{event} {resolved}")

    sys.addaudithook(audit)


def probe_optimizer(stats: dict[str, float], noised: list[int]) -> None:
    from opacus.optimizers.optimizer import DPOptimizer

    original = DPOptimizer.clip_and_accumulate
    add_noise = DPOptimizer.add_noise

    def count_noise(self: DPOptimizer) -> None:
        noised[0] += 1
        add_noise(self)

    def clip_each_row_alone_first(self: DPOptimizer) -> None:
        params = self.params
        flat = [self._get_flat_grad_sample(p) for p in params]
        summed = [p.summed_grad for p in params]
        for i in range(len(flat[0])):
            for p, g in zip(params, flat, strict=True):
                p.grad_sample, p.summed_grad = g[i : i + 1], None
            original(self)
            clipped = math.sqrt(sum(float(p.summed_grad.double().pow(2).sum()) for p in params))
            raw = math.sqrt(sum(float(g[i].double().pow(2).sum()) for g in flat))
            stats["rows"] += 1
            stats["maxClippedNorm"] = max(stats["maxClippedNorm"], clipped)
            stats["maxRawNorm"] = max(stats["maxRawNorm"], raw)
        for p, g, s in zip(params, flat, summed, strict=True):
            p.grad_sample, p.summed_grad = g, s
        original(self)

    DPOptimizer.clip_and_accumulate = clip_each_row_alone_first
    DPOptimizer.add_noise = count_noise


def main(argv: list[str]) -> int:
    os.umask(0o077)  # as `python -m dpsynth_trainer` sets it
    rank = int(os.environ.get("RANK", "0"))
    out = Path(argv[argv.index("--out") + 1]).resolve()
    writes: list[str] = []
    stats = {"rows": 0, "maxClippedNorm": 0.0, "maxRawNorm": 0.0}
    noised = [0]
    probe_optimizer(stats, noised)
    if rank != 0:
        watch_writes(out, writes)
    from dpsynth_trainer.cli import main as trainer_main

    try:
        return trainer_main(argv)
    finally:
        probe = Path(os.environ["DPSYNTH_TEST_PROBE_DIR"]) / f"rank-{rank}.json"
        probe.write_text(json.dumps({"clipped": stats, "noisedSteps": noised[0], "writes": writes}), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
