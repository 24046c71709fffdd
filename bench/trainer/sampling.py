"""sampling: rows/s and tokens/s of batched, KV-cached generation versus one row at a time, in one run.

Generation goes through the trainer's `generate_rows` (left-padded prompts, one `generate` call per batch), on
the model the sampler gets after a LoRA run (the registry's base model with a LoRA adapter, unmerged, as
`load_trained_model` returns it); an adapter's weights do not change the cost. The one-row baseline is the same
call with `batch_size=1`; a third configuration turns the KV cache off at the same batch size, to show what
the cache itself is worth. Configurations alternate in rounds so machine load falls on all alike.

    services/trainer/.venv/bin/python -m bench.trainer.sampling --out-dir bench/results [--smoke]
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch
from dpsynth_trainer.config import load_settings
from dpsynth_trainer.models import apply_finetune, create_model
from dpsynth_trainer.sampling import GenerationConfig, generate_rows, plan_labels
from dpsynth_trainer.training.loop import select_device

from .measure import median, ratio, use_threads
from .results import benchmark_parser, publish
from .trainer_step import StepConfig, job_spec

SEPARATOR = "\t"
LABELS = ["fresh", "rotten"]


class CountingModel:
    """Passes everything to the model; counts the tokens each `generate` call produced (up to each row's EOS).

    `use_cache` overrides the sampler's choice, for the no-cache configuration only.
    """

    def __init__(self, model: Any, eos_id: int, use_cache: bool | None = None) -> None:
        self._model, self._eos, self._use_cache, self.tokens = model, eos_id, use_cache, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def generate(self, *, input_ids: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        if self._use_cache is not None:
            kwargs["use_cache"] = self._use_cache
        output = self._model.generate(input_ids=input_ids, **kwargs)
        new = output[:, input_ids.shape[1] :]
        ended = new == self._eos
        first_eos = torch.where(ended.any(dim=1), ended.int().argmax(dim=1) + 1, new.shape[1])
        self.tokens += int(first_eos.sum())
        return output


@dataclass(frozen=True)
class Setting:
    name: str
    batch_size: int
    use_cache: bool | None  # None: as the trainer's sampler asks (with the cache)


def measure(model_id: str, *, rows: int, max_new_tokens: int, batch: int, rounds: int, device: torch.device) -> dict:
    spec = job_spec(StepConfig(model_id, "lora", "non-private", 64, 1, 1), train_rows=rows)
    loaded = create_model(spec.model, cache_dir=load_settings().model_cache, device=device)
    model = apply_finetune(loaded.model, spec.model).eval()
    tokenizer = loaded.tokenizer
    labels = plan_labels({label: rows // len(LABELS) for label in LABELS}, seed=0)
    settings = [
        Setting(f"batched ({batch}), KV cache", batch, None),
        Setting("one row at a time, KV cache", 1, None),
        Setting(f"batched ({batch}), no KV cache", batch, False),
    ]
    runs: dict[str, list[dict]] = {s.name: [] for s in settings}
    for round_number in range(rounds):
        for setting in settings:
            counting = CountingModel(model, tokenizer.eos_token_id, setting.use_cache)
            config = GenerationConfig(max_new_tokens=max_new_tokens, batch_size=setting.batch_size, seed=round_number)
            started = time.perf_counter()
            result = generate_rows(counting, tokenizer, labels, separator=SEPARATOR, label_set=LABELS, config=config)
            seconds = time.perf_counter() - started
            runs[setting.name].append(
                {"seconds": seconds, "rows": result.generated, "tokens": counting.tokens, "failed": result.failed}
            )
            print(f"  {model_id} {setting.name}: {result.generated} rows, {counting.tokens} tokens, {seconds:.2f}s")
    summary = {}
    for name, samples in runs.items():
        summary[name] = {
            "rows_per_s": median([s["rows"] / s["seconds"] for s in samples]),
            "tokens_per_s": median([s["tokens"] / s["seconds"] for s in samples]),
            "mean_tokens_per_row": sum(s["tokens"] for s in samples) / max(1, sum(s["rows"] for s in samples)),
            "samples": samples,
        }
    return {"model": model_id, "rows": rows, "max_new_tokens": max_new_tokens, "batch": batch, "settings": summary}


def table_rows(measured: list[dict]) -> list[list]:
    rows = []
    for m in measured:
        settings = m["settings"]
        base = settings["one row at a time, KV cache"]
        for name, s in settings.items():
            rows.append(
                [
                    m["model"],
                    name,
                    s["rows_per_s"],
                    s["tokens_per_s"],
                    s["mean_tokens_per_row"],
                    ratio(s["rows_per_s"], base["rows_per_s"]),
                    ratio(s["tokens_per_s"], base["tokens_per_s"]),
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
        plans = [("tiny-llama", 64, 48, 16, 3), ("smollm2-135m", 16, 32, 8, 2)]
    measured = []
    for model_id, rows, max_new_tokens, batch, rounds in plans:
        print(f"{model_id}: {rows} rows of up to {max_new_tokens} new tokens, batch {batch}, {rounds} round(s)")
        measured.append(
            measure(model_id, rows=rows, max_new_tokens=max_new_tokens, batch=batch, rounds=rounds, device=device)
        )
    body = {
        "title": "Sampling throughput (sampling)",
        "summary": "Rows/s and tokens/s of the trainer's batched, KV-cached generation against one row at a time "
        "(same model, prompts, temperature 1 and maximum length), and against batching without the KV cache.",
        "parameters": {
            "device": str(device),
            "torch threads": torch.get_num_threads(),
            "runs (model: rows, max new tokens, batch, rounds)": "; ".join(
                f"{p[0]}: {p[1]}, {p[2]}, {p[3]}, {p[4]}" for p in plans
            ),
        },
        "tables": [
            {
                "title": "Generation throughput; ratios over one row at a time, same run",
                "columns": [
                    "model",
                    "generation",
                    "rows/s",
                    "tokens/s",
                    "tokens/row",
                    "rows/s ratio",
                    "tokens/s ratio",
                ],
                "rows": table_rows(measured),
            }
        ],
        "notes": [
            "Medians over alternating rounds. Tokens are counted up to each row's end-of-sequence token, so rows that "
            "stop early in a batch are not credited with the padding that follows them.",
            "Models carry an untrained LoRA adapter, unmerged, as the sampler loads a LoRA run's model.",
        ],
        "measurements": measured,
    }
    publish("sampling", body, args)


if __name__ == "__main__":
    main()
