"""sampling: rows/s of the trainer's batched, KV-cached sampler against one row at a time, and what guidance and
re-scoring cost, in one run.

Generation goes through the trainer's own `generate_rows` (field by field, KV cache, guidance against the other
labels' prompts, re-scoring under every label's prompt), on the model the sampler gets after a LoRA run (the
registry's base model with an untrained LoRA adapter, unmerged, in the pipeline's sampling dtype); an adapter's
weights do not change the cost. The last configuration draws each token over the whole vocabulary instead of the
likeliest tokens first (the same distribution), to show what that costs. The one-row baseline is the same call
with `batch_size=1`. Configurations alternate in rounds so machine load falls on all alike. Rows are counted as
delivered; candidates as generated.

    services/trainer/.venv/bin/python -m bench.trainer.sampling --out-dir bench/results [--smoke]
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import torch
from dpsynth_trainer.config import load_settings
from dpsynth_trainer.models import apply_finetune, create_model
from dpsynth_trainer.records import RowFormat
from dpsynth_trainer.sampling import SamplingConfig, generate_rows
from dpsynth_trainer.sampling.decode import CANDIDATES
from dpsynth_trainer.training.loop import select_device
from dpsynth_trainer.training.precision import compute_dtype

from .measure import median, ratio, use_threads
from .results import benchmark_parser, publish
from .trainer_step import LABELS, StepConfig, job_spec

UNIFORM = {label: 1 / len(LABELS) for label in LABELS}


@dataclass(frozen=True)
class Setting:
    name: str
    batch_size: int
    guidance: float
    rescoring: bool
    candidates: int = CANDIDATES


def settings_for(batch: int) -> list[Setting]:
    return [
        Setting(f"batched ({batch})", batch, 0.0, False),
        Setting("one row at a time", 1, 0.0, False),
        Setting(f"batched ({batch}), guidance 1.5", batch, 1.5, False),
        Setting(f"batched ({batch}), guidance 1.5 + re-scoring", batch, 1.5, True),
        # What drawing over the whole vocabulary at every step costs, against the likeliest tokens first.
        Setting(f"batched ({batch}), guidance 1.5 + re-scoring, whole-vocabulary draw", batch, 1.5, True, sys.maxsize),
    ]


def measure(model_id: str, *, rows: int, max_new_tokens: int, batch: int, rounds: int, device: torch.device) -> dict:
    spec = job_spec(StepConfig(model_id, "lora", "non-private", 64, 1, 1), train_rows=rows)
    loaded = create_model(spec.model, cache_dir=load_settings().model_cache, device=device)
    # In the dtype the pipeline samples in: bf16 where the CPU has it, as after a run with precision "auto".
    model = apply_finetune(loaded.model, spec.model).eval().to(compute_dtype("auto", device))
    row_format = RowFormat.for_spec(spec, loaded.tokenizer)
    quotas = {label: rows // len(LABELS) for label in LABELS}
    settings = settings_for(batch)
    runs: dict[str, list[dict]] = {s.name: [] for s in settings}
    for round_number in range(rounds):
        for setting in settings:
            config = SamplingConfig(
                max_new_tokens=max_new_tokens,
                batch_size=setting.batch_size,
                seed=round_number,
                guidance=setting.guidance,
                rescoring=setting.rescoring,
                max_candidates_per_row=1,  # the same number of candidates in every configuration
                candidates=setting.candidates,
            )
            started = time.perf_counter()
            result = generate_rows(model, row_format, quotas, prior=UNIFORM, config=config)
            seconds = time.perf_counter() - started
            runs[setting.name].append({"seconds": seconds, "rows": len(result.rows), "candidates": result.generated})
            print(f"  {model_id} {setting.name}: {result.generated} candidates, {seconds:.2f}s", flush=True)
    summary = {
        name: {
            "candidates_per_s": median([s["candidates"] / s["seconds"] for s in samples]),
            "rows_per_s": median([s["rows"] / s["seconds"] for s in samples]),
            "samples": samples,
        }
        for name, samples in runs.items()
    }
    return {"model": model_id, "rows": rows, "max_new_tokens": max_new_tokens, "batch": batch, "settings": summary}


def table_rows(measured: list[dict]) -> list[list]:
    rows = []
    for m in measured:
        settings = m["settings"]
        base = settings["one row at a time"]
        for name, s in settings.items():
            rows.append(
                [
                    m["model"],
                    name,
                    s["candidates_per_s"],
                    s["rows_per_s"],
                    ratio(s["candidates_per_s"], base["candidates_per_s"]),
                ]
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    args = benchmark_parser(__doc__).parse_args(argv)
    use_threads(args.threads)
    device = select_device(load_settings().DPSYNTH_DEVICE)
    if args.smoke:
        plans = [("tiny-llama", 8, 8, 4, 1)]
    else:
        plans = [("tiny-llama", 64, 48, 16, 3), ("smollm2-135m", 64, 40, 32, 2)]
    measured = []
    for model_id, rows, max_new_tokens, batch, rounds in plans:
        print(f"{model_id}: {rows} rows of up to {max_new_tokens} new tokens, batch {batch}, {rounds} round(s)")
        measured.append(
            measure(model_id, rows=rows, max_new_tokens=max_new_tokens, batch=batch, rounds=rounds, device=device)
        )
    body = {
        "title": "Sampling throughput (sampling)",
        "summary": "Candidates/s of the trainer's batched, KV-cached, field-by-field sampler against one row at a "
        "time (same model, prompts, temperature and maximum length), and what contrastive guidance and re-scoring "
        "under every label's prompt cost on top.",
        "parameters": {
            "device": str(device),
            "dtype": str(compute_dtype("auto", device)).removeprefix("torch."),
            "torch threads": torch.get_num_threads(),
            "runs (model: rows, max new tokens, batch, rounds)": "; ".join(
                f"{p[0]}: {p[1]}, {p[2]}, {p[3]}, {p[4]}" for p in plans
            ),
        },
        "tables": [
            {
                "title": "Sampling throughput; ratios over one row at a time, same run",
                "columns": ["model", "sampling", "candidates/s", "rows/s delivered", "candidates/s ratio"],
                "rows": table_rows(measured),
            }
        ],
        "notes": [
            "Medians over alternating rounds; one candidate per requested row in every configuration.",
            "Models carry an untrained LoRA adapter, unmerged, as the sampler loads a LoRA run's model, in the "
            "dtype the pipeline samples in (bf16 where the CPU has fast bf16, float32 elsewhere).",
        ],
        "measurements": measured,
    }
    publish("sampling", body, args)


if __name__ == "__main__":
    main()
