"""dp-overhead: step time and peak memory of DP-SGD divided by non-private training, in one run.

Same model, batch and sequence length; LoRA and full fine-tuning; ghost clipping and per-sample hooks; all
through the trainer's own model registry and Opacus wrapping (see trainer_step.py). Full fine-tuning is also
measured as it was before issue 15 ("full, before": every weight trainable, a tied embedding/head included,
which only per-sample hooks could clip), beside today's (the tied weight frozen, the norms covered by ghost
clipping). Per group, each configuration is built and measured for memory in turn, then they are timed in
interleaved rounds, so that load from other processes on a shared machine falls on the private and the
non-private run alike.

    services/trainer/.venv/bin/python -m bench.trainer.dp_overhead --out-dir bench/results [--smoke]
        [--only smollm2-135m/full ...]   # only these groups (MODEL or MODEL/FINE-TUNING)
"""

from __future__ import annotations

import gc
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch
from dpsynth_trainer.config import load_settings
from dpsynth_trainer.training.loop import select_device

from .fixture import rotten_tomatoes_snippets
from .measure import MemoryMeter, MemoryPeak, median, ratio, timed, use_threads
from .results import benchmark_parser, publish
from .trainer_step import Built, NotApplicable, StepConfig, build, full_length_rows

MODES = ("non-private", "ghost", "hooks")
ANCHORS = [
    "Naive Opacus DP-SGD: 2.6-8x the step time of non-private SGD.",
    "Ghost (fast) gradient clipping: about 1.2x at equal memory.",
    "LoRA with DP (dp-transformers, V100s): 1.12x.",
    "dpsynth aims at 1.2x or less.",
]


@dataclass(frozen=True)
class Group:
    """One model and fine-tuning method, measured at one size."""

    model: str
    finetune: str
    seq_len: int
    logical_batch: int
    physical_batch: int
    rounds: int
    train_tied: bool = False  # full fine-tuning as before issue 15 (StepConfig.train_tied)

    @property
    def label(self) -> str:
        return f"{self.finetune}, before" if self.train_tied else self.finetune


def _memory_now(device: torch.device) -> float:
    """Megabytes held now (allocator on CUDA, resident set on the CPU), after freeing what can be freed."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        return torch.cuda.memory_allocated(device) / 2**20
    peak = MemoryMeter(device).measure(lambda: None)
    return peak.resident_mib if peak else 0.0


def _measure_config(
    config: StepConfig, rows: list, device: torch.device, cache_dir: Path
) -> tuple[Built | None, dict[str, Any]]:
    record: dict[str, Any] = {**asdict(config), "times_s": []}
    before = _memory_now(device)
    try:
        built = build(config, rows, device=device, cache_dir=cache_dir)
    except NotApplicable as exc:
        return None, {**record, "status": "not applicable", "reason": str(exc)}
    try:
        built.step()  # warm-up: allocates optimizer state and gradients
    except RuntimeError as exc:  # the trainer's code path fails here: report it, measure the rest
        built.close()
        return None, {**record, "status": "failed", "reason": f"{type(exc).__name__}: {str(exc)[:300]}"}
    state = _memory_now(device) - before
    peak: MemoryPeak | None = MemoryMeter(device).measure(lambda: record["times_s"].append(timed(built.step, device)))
    record.update(
        status="measured",
        clipping=built.clipping,
        trainable_parameters=built.trainable_parameters,
        tokens_per_step=built.tokens_per_step,
        state_mib=state,  # weights, gradients, optimizer state, privacy wrappers
        step_added_mib=peak.added_mib if peak else None,  # activations, per-sample gradients or norms
        peak_mib=state + peak.added_mib if peak else None,  # this configuration's own peak, runtime excluded
    )
    return built, record


def measure_variants(
    configs: list[StepConfig], group: Group, snippets, *, device: torch.device, cache_dir: Path, deadline: float
) -> list[dict]:
    """Build each configuration and measure its memory; then time them in interleaved rounds."""
    rows = full_length_rows(snippets, group.logical_batch, group.seq_len)
    built: dict[int, Built] = {}
    records: dict[int, dict[str, Any]] = {}
    for index, config in enumerate(configs):
        if time.monotonic() > deadline:
            records[index] = {**asdict(config), "status": "skipped", "reason": "time budget spent", "times_s": []}
            continue
        print(f"  {config}: building and measuring memory…", flush=True)
        instance, records[index] = _measure_config(config, rows, device, cache_dir)
        if instance is not None:
            built[index] = instance
    for _ in range(group.rounds - 1):
        if time.monotonic() > deadline:
            break
        for index, instance in built.items():
            records[index]["times_s"].append(timed(instance.step, device))
    for instance in built.values():
        instance.close()
    built.clear()
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    for record in records.values():
        seconds = median(record["times_s"])
        record["step_s"] = seconds
        record["tokens_per_s"] = (
            record["tokens_per_step"] / seconds if seconds and "tokens_per_step" in record else None
        )
    return list(records.values())


def measure_group(group: Group, snippets, *, device: torch.device, cache_dir: Path, deadline: float) -> list[dict]:
    """DP with ghost clipping and with per-sample hooks beside non-private training, float32 (before issue 15,
    full fine-tuning with the tied weight trained, ghost clipping could not run: hooks only)."""
    configs = [
        StepConfig(
            group.model,
            group.finetune,
            mode,
            group.seq_len,
            group.logical_batch,
            group.physical_batch,
            train_tied=group.train_tied,
        )
        for mode in MODES
        if not (group.train_tied and mode == "ghost")
    ]
    return measure_variants(configs, group, snippets, device=device, cache_dir=cache_dir, deadline=deadline)


#: The CPU speed-ups of DP LoRA, each against float32 LoRA on every layer: bf16 autocast, then also LoRA on the
#: last layers only (the CPU preset's choice), all with per-sample hooks (what "auto" clipping picks on a CPU).
SPEEDUPS = (("fp32", None), ("bf16", None), ("bf16", 8))


def measure_speedups(group: Group, snippets, *, device: torch.device, cache_dir: Path, deadline: float) -> list[dict]:
    configs = [
        StepConfig(
            group.model, "lora", "hooks", group.seq_len, group.logical_batch, group.physical_batch, precision, last
        )
        for precision, last in SPEEDUPS
    ]
    return measure_variants(configs, group, snippets, device=device, cache_dir=cache_dir, deadline=deadline)


def speedup_rows(records: list[dict]) -> list[list]:
    """One row per configuration, tokens/s over the float32 all-layer run of the same model, same run."""
    rows = []
    for model in dict.fromkeys(r["model"] for r in records):
        group = [r for r in records if r["model"] == model]
        base = next((r for r in group if r["precision"] == "fp32" and r["last_layers"] is None), {})
        for r in group:
            rows.append(
                [
                    model,
                    r["precision"],
                    "all" if r["last_layers"] is None else f"last {r['last_layers']}",
                    r.get("trainable_parameters"),
                    r.get("step_s"),
                    r.get("tokens_per_s"),
                    ratio(r.get("tokens_per_s"), base.get("tokens_per_s")),
                    r.get("peak_mib"),
                    len(r["times_s"]),
                ]
            )
    return rows


SPEEDUP_COLUMNS = [
    "model",
    "precision",
    "LoRA layers",
    "trainable params",
    "step s",
    "tokens/s",
    "tokens/s ratio over float32, all layers",
    "peak MiB",
    "timed steps",
]


def _group_key(record: dict) -> tuple:
    return record["model"], record["finetune"], record.get("train_tied", False)


def _finetune_label(record: dict) -> str:
    return f"{record['finetune']}, before" if record.get("train_tied") else record["finetune"]


def table_rows(records: list[dict]) -> list[list]:
    """One row per private configuration, beside the non-private run of its group."""
    baselines = {_group_key(r): r for r in records if r["mode"] == "non-private"}
    rows = []
    for r in records:
        if r["mode"] == "non-private":
            continue
        base = baselines.get(_group_key(r), {})
        if r["status"] != "measured":
            rows.append([r["model"], _finetune_label(r), r["mode"], f"{r['status']} (see notes)"] + [None] * 10)
            continue
        rows.append(
            [
                r["model"],
                _finetune_label(r),
                r["mode"],
                r["trainable_parameters"],
                base.get("step_s"),
                r["step_s"],
                ratio(r["step_s"], base.get("step_s")),
                base.get("tokens_per_s"),
                r["tokens_per_s"],
                base.get("peak_mib"),
                r["peak_mib"],
                ratio(r["peak_mib"], base.get("peak_mib")),
                ratio(r["step_added_mib"], base.get("step_added_mib")),
                len(r["times_s"]),
            ]
        )
    return rows


COLUMNS = [
    "model",
    "fine-tuning",
    "DP clipping",
    "trainable params",
    "step s (non-private)",
    "step s (DP)",
    "time ratio",
    "tokens/s (non-private)",
    "tokens/s (DP)",
    "peak MiB (non-private)",
    "peak MiB (DP)",
    "peak ratio",
    "step-transient ratio",
    "timed steps",
]


def _warm_up_runtime(snippets, device: torch.device, cache_dir: Path) -> None:
    """One throwaway private and non-private step of a tiny model, so one-time runtime allocations (thread
    pools, kernel scratch, lazy imports) are not charged to whichever configuration happens to be first."""
    rows = full_length_rows(snippets, 2, 16)
    for mode in ("non-private", "hooks"):
        built = build(StepConfig("tiny-llama", "full", mode, 16, 2, 1), rows, device=device, cache_dir=cache_dir)
        built.step()
        built.close()


def run(
    groups: list[Group], speedup_groups: list[Group], *, device: torch.device, budget_s: float
) -> tuple[list[dict], list[dict], list[str]]:
    settings = load_settings()
    snippets = rotten_tomatoes_snippets()
    deadline = time.monotonic() + budget_s
    _warm_up_runtime(snippets, device, settings.model_cache)
    records: list[dict] = []
    speedups: list[dict] = []
    notes: list[str] = []
    for group in groups:
        print(f"{group.model} / {group.label}: seq {group.seq_len}, batch {group.logical_batch}", flush=True)
        records += measure_group(group, snippets, device=device, cache_dir=settings.model_cache, deadline=deadline)
    for group in speedup_groups:
        print(f"{group.model}: bf16 and last-layer LoRA against float32", flush=True)
        speedups += measure_speedups(group, snippets, device=device, cache_dir=settings.model_cache, deadline=deadline)
    if time.monotonic() > deadline:
        notes.append(f"The time budget of {budget_s:.0f}s ran out: configurations marked 'skipped' were not measured.")
    return records, speedups, notes


def body_for(
    records: list[dict], notes: list[str], *, title: str, summary: str, parameters: dict, speedups: list[dict] = ()
) -> dict:
    tables = [
        {
            "title": "DP-SGD versus non-private training, same model, batch and length",
            "columns": COLUMNS,
            "rows": table_rows(records),
        }
    ]
    if speedups:
        tables.append(
            {
                "title": "DP LoRA (per-sample hooks): bf16 autocast and last-layer LoRA against float32, same run",
                "columns": SPEEDUP_COLUMNS,
                "rows": speedup_rows(speedups),
            }
        )
    return {
        "title": title,
        "summary": summary,
        "parameters": parameters,
        "tables": tables,
        "anchors": ANCHORS,
        "notes": [
            "Ratios divide the DP configuration by the non-private one of the same group, measured in the same run "
            "(interleaved rounds); absolute seconds on a shared CPU are only indicative.",
            "peak MiB: this configuration's own memory (weights, gradients, optimizer state, privacy wrappers, plus "
            "the largest transient of a step), process runtime excluded; CPU: resident set high-water mark, CUDA: "
            "allocator peak. step-transient ratio: the step's own transient memory (activations, per-sample "
            "gradients or their norms), DP over non-private.",
            "Noise multiplier fixed at 1.0 (its value does not change the cost); RDP accountant; max grad norm 1.0.",
            "full, before: full fine-tuning as before issue 15, every weight trainable (a tied embedding/head "
            "too), which ghost clipping cannot cover; full: today's, the tied weight frozen "
            "(models/adapters.py) and the norm layers given norm samplers, so ghost clipping covers every layer. "
            "Each is divided by its own non-private run (same trainable weights).",
            *notes,
            *(
                f"{r['model']} {_finetune_label(r)} {r['mode']}: {r['status']}: {r['reason']}"
                for r in records
                if r["status"] != "measured"
            ),
        ],
        "measurements": [*records, *speedups],
    }


def cpu_groups(smoke: bool) -> list[Group]:
    if smoke:  # LoRA, and full fine-tuning of a tied model before and after issue 15
        return [Group("tiny-llama", "lora", 16, 2, 1, 1), *_with_before([Group("tiny-gpt2", "full", 16, 2, 1, 1)])]
    tiny = [Group(m, f, 128, 32, 16, 7) for m in ("tiny-gpt2", "tiny-llama") for f in ("lora", "full")]
    return _with_before(tiny + [Group("smollm2-135m", f, 64, 8, 8, 4) for f in ("lora", "full")])


def _with_before(groups: list[Group]) -> list[Group]:
    """Each full fine-tuning group followed by the same as before issue 15, measured in the same run."""
    return [g for group in groups for g in (group, *([replace(group, train_tied=True)] * (group.finetune == "full")))]


def selected(groups: list[Group], only: list[str] | None) -> list[Group]:
    """The groups `--only` names (MODEL or MODEL/FINE-TUNING; full also selects "full, before"); all without it."""
    if not only:
        return groups
    return [g for g in groups if g.model in only or f"{g.model}/{g.finetune}" in only]


def cpu_speedup_groups(smoke: bool) -> list[Group]:
    if smoke:
        return [Group("tiny-llama", "lora", 16, 2, 1, 1)]
    return [Group("smollm2-135m", "lora", 64, 16, 16, 4)]


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--budget-s", type=float, default=1800.0, help="stop measuring new configurations after this")
    parser.add_argument(
        "--only", action="append", metavar="MODEL[/FINE-TUNING]", help="measure only these groups (repeatable)"
    )
    args = parser.parse_args(argv)
    use_threads(args.threads)
    device = select_device(load_settings().DPSYNTH_DEVICE)
    groups = selected(cpu_groups(args.smoke), args.only)
    speedup_groups = selected(cpu_speedup_groups(args.smoke), args.only)
    records, speedups, notes = run(groups, speedup_groups, device=device, budget_s=args.budget_s)
    body = body_for(
        records,
        notes,
        speedups=speedups,
        title="DP training overhead (dp-overhead)",
        summary="Step time and peak memory of DP-SGD (Opacus through the trainer's make_trainable) divided by "
        "non-private training of the same model, batch and sequence length, for LoRA and full fine-tuning, with "
        "ghost clipping and per-sample hooks; and DP LoRA in bf16 autocast and on the last layers only, against "
        "float32 on every layer.",
        parameters={
            "device": str(device),
            "torch threads": torch.get_num_threads(),
            "groups (model / fine-tuning: seq len, logical batch, physical batch, timed rounds)": "; ".join(
                f"{g.model}/{g.label}: {g.seq_len}, {g.logical_batch}, {g.physical_batch}, {g.rounds}" for g in groups
            ),
        },
    )
    publish("dp-overhead", body, args)


if __name__ == "__main__":
    main()
