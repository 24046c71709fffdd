"""tuning: the CPU preset's post-processing, chosen on the "dev" rows that the utility benchmark never evaluates on.

Re-scoring is most of the CPU preset's sampling time (it generates candidates until enough pass the posterior
threshold), while guidance alone is cheap. Which of them, and which threshold, the preset should use is a tuning
decision, so it is made here, on rows disjoint from the utility table's training and holdout rows: the "dev" part
of `utility.partition` (same corpus, same seed), split again into training and evaluation rows. One model is
fine-tuned at epsilon 8 with the preset (its own sampling is the preset's setting), then each variant samples the
same number of rows from it and is judged by the same classifiers on the dev evaluation rows, with its sampling
rate beside the preset's from the same run.

    services/trainer/.venv/bin/python -m bench.trainer.tuning --out-dir bench/results      # about 30 minutes
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from dpsynth_trainer.config import load_settings

from .measure import ratio, use_threads
from .results import benchmark_parser, publish
from .utility import (
    CLASSIFIERS,
    FULL,
    SMOKE,
    Size,
    _write_csv,
    partition,
    run_one,
    sample_variants,
    snippets,
)

#: What the preset might use instead of its own setting (re-scoring at posterior 0.9 with guidance 1.5).
VARIANTS: dict[str, dict[str, Any]] = {
    "guidance only": {"rescoring": False},
    "guidance 3, no re-scoring": {"guidance": 3.0, "rescoring": False},
    "re-scoring >= 0.5": {"minPosterior": 0.5},
    "re-scoring >= 0.7": {"minPosterior": 0.7},
}
PRESET_SETTING = "preset (re-scoring >= 0.9)"
FULL_TUNING = replace(FULL, epsilons=(8,), baseline_rows=0, ablation_rows=400, ablation_prompts=())
SMOKE_TUNING = replace(SMOKE, epsilons=(8,), baseline_rows=0, ablation_prompts=())


def dev_parts(by_label: dict[str, list[str]], size: Size) -> dict[str, list]:
    """Training and evaluation rows drawn from the utility table's dev part only (never its train or holdout)."""
    dev_by_label: dict[str, list[str]] = {}
    for text, label in partition(by_label, size)["dev"]:
        dev_by_label.setdefault(label, []).append(text)
    return partition(dev_by_label, size, seed=1)


def _row(name: str, record: dict, classifier: str, rows_per_s: float | None, preset_rate: float | None) -> list:
    real = record["real"][classifier]["accuracy"]
    synthetic = record["synthetic"][classifier]["accuracy"]
    return [
        name,
        classifier,
        real,
        synthetic,
        ratio(synthetic, real),
        record["faithfulness"].get(classifier),
        record["acceptance_rate"],
        rows_per_s,
        ratio(rows_per_s, preset_rate),
    ]


def main(argv: list[str] | None = None) -> None:
    args = benchmark_parser(__doc__).parse_args(argv)
    use_threads(args.threads)
    size = SMOKE_TUNING if args.smoke else FULL_TUNING
    settings = load_settings()
    by_label, source = snippets(settings, smoke=args.smoke)
    parts = dev_parts(by_label, size)
    train, holdout = parts["train"], parts["holdout"]
    print(f"{len(train)} dev training and {len(holdout)} dev evaluation rows from {source}", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tuning-", dir=settings.DPSYNTH_HOME) as tmp:
        work = Path(tmp)
        splits = (work / "train.csv", work / "holdout.csv")
        _write_csv(splits[0], train)
        _write_csv(splits[1], holdout)
        run = run_one(size, 8, work, len(train), settings, style="auto", rows=size.ablation_rows)
        variants = sample_variants(run, VARIANTS, size.ablation_rows, settings, splits=splits)
    preset = {
        "real": run["real"],
        "synthetic": run["synthetic"],
        "faithfulness": run["faithfulness"],
        "acceptance_rate": run["sampling"]["acceptanceRate"],
    }
    preset_rate = run["sampling"]["parsed"] / run["stages_s"]["sampling"] if run["stages_s"].get("sampling") else None
    rows = [_row(PRESET_SETTING, preset, c, preset_rate, preset_rate) for c in CLASSIFIERS]
    for record in variants:
        rate = record["rows"] / record["sampling_s"] if record["sampling_s"] else None
        rows += [_row(record["post_processing"], record, c, rate, preset_rate) for c in CLASSIFIERS]
    body = {
        "title": "CPU preset tuning on the dev rows (tuning)",
        "summary": f"{size.model} fine-tuned at epsilon 8 with the '{size.preset}' preset on dev rows, then sampled "
        f"with each post-processing setting ({size.ablation_rows} rows each) and judged on dev evaluation rows; the "
        "utility table's own training and holdout rows are not read.",
        "parameters": {
            "data": source,
            "dev training rows": len(train),
            "dev evaluation rows": len(holdout),
            "rows per setting": size.ablation_rows,
            "model": size.model,
            "preset": size.preset,
            "classifiers": ", ".join(CLASSIFIERS),
            "torch threads": torch.get_num_threads(),
            "total wall time s": round(time.perf_counter() - started, 1),
        },
        "tables": [
            {
                "title": "Each setting beside the preset's, same model and run (rate ratio: over the preset's)",
                "columns": [
                    "setting",
                    "classifier",
                    "accuracy real (TRTR)",
                    "accuracy synthetic (TSTR)",
                    "TSTR / TRTR",
                    "label faithfulness",
                    "acceptance rate",
                    "rows/s",
                    "rows/s ratio",
                ],
                "rows": rows,
            }
        ],
        "notes": [
            "The preset's own row is its sampling stage inside the trainer's pipeline; the others are sampled after "
            "it from the same saved model, in the same process.",
            "One seed per setting: a difference of a few points between two settings may be sampling noise.",
        ],
        "measurements": [{k: v for k, v in r.items() if k not in ("spec", "work_dir")} for r in [run, *variants]],
    }
    publish("tuning", body, args)


if __name__ == "__main__":
    sys.exit(main())
