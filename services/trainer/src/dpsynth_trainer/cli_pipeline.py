"""The pipeline's subcommands of `python -m dpsynth_trainer` (registered in `cli.py`)::

    # the whole job without Redis: train, sample, evaluate; artifacts and events.jsonl land in DIR
    DPSYNTH_DEVICE=cpu uv run python -m dpsynth_trainer run --spec spec.json --out DIR

    # the same on two processes (one per GPU; gloo on the CPU), as a queue trainer of TRAINER_DEVICES=2 runs a
    # queued job, with --worker-dir instead of --out (`torchrun_job.py`)
    uv run torchrun --standalone --nproc-per-node 2 -m dpsynth_trainer run --spec spec.json --out DIR

    # sample again from a finished run's model, e.g. one row at a time to compare with batching
    uv run python -m dpsynth_trainer sample --spec spec.json --run DIR --out other.csv --batch-size 1

    # evaluate any synthetic CSV (same columns as the upload) against that run: report.json and report.html
    uv run python -m dpsynth_trainer evaluate --spec spec.json --run DIR --synthetic other.csv --out EVAL_DIR

`run` writes artifacts under DIR whatever the spec's outputUri says. `sample` reuses the label mix the run
released (DIR/label-mix.json) and never releases label counts itself: a release outside a job would be
charged to no ledger.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import BadInputError, InternalError, TrainerError, stack_without_message, unexpected


def add_run(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="the whole job: DP fine-tune, sample, evaluate, write the report")
    parser.add_argument("--spec", type=Path, required=True, help="job spec JSON (packages/contracts job-spec)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="directory for artifacts, model, checkpoints, events")
    where.add_argument(
        "--worker-dir",
        type=Path,
        help="run a queued job for the queue worker that made this directory (dpsynth_trainer.torchrun_job): "
        "events to the job's Redis stream, artifacts to the spec's outputUri, failures handed to the worker",
    )
    parser.add_argument("--resume", action="store_true", help="continue the run found in --out (or the job's)")
    parser.add_argument("--attempt", type=int, default=1, help="attempt number written into events")
    parser.set_defaults(handler=run_run)


def run_run(args: argparse.Namespace) -> int:
    from .config import load_settings
    from .contract import load_job_spec
    from .ranks import join_ranks, leave_ranks, rank_emitter
    from .torchrun_job import WorkerLink

    settings = load_settings()
    spec = load_job_spec(args.spec)
    link = WorkerLink(args.worker_dir) if args.worker_dir else None
    if link is None:
        out = args.out.resolve()
        spec = spec.model_copy(update={"outputUri": out.as_uri()})
    ranks = join_ranks(settings.DPSYNTH_DEVICE)  # under torchrun: this process's place in the run
    if link is None:
        emitter = rank_emitter(ranks, out / "events.jsonl", job_id=spec.jobId, attempt=args.attempt)
    else:
        emitter = link.emitter(main=ranks.main, job_id=spec.jobId, attempt=args.attempt, redis_url=settings.REDIS_URL)
    try:
        from .pipeline import run_job  # the slow import (torch, transformers) once the spec is good

        cancel_check = link.stop_requested if link else lambda: False
        result = run_job(spec, emitter, settings=settings, resume=args.resume, cancel_check=cancel_check)
    except TrainerError as error:
        if link is None:
            emitter.error(error)
        else:  # the worker reports it, knowing whether attempts are left
            link.report(ranks.rank, error)
        raise
    except Exception as exc:
        if link is None:
            error = InternalError(f"The trainer failed unexpectedly ({type(exc).__name__}).")
            emitter.error(error)
        else:  # as the worker says it of a job it runs in-process
            print(f"dpsynth-trainer: {stack_without_message(exc)}", file=sys.stderr)
            error = unexpected(exc)
            link.report(ranks.rank, error)
        raise error from exc
    finally:
        leave_ranks()
    if result is not None:  # rank 0's: the others only helped train
        summary = {"artifacts": [blob.uri for blob in result.artifacts], "metrics": result.metrics}
        print(json.dumps(summary, indent=2))
    return 0


def add_sample(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sample", help="sample synthetic rows from a finished run's model")
    parser.add_argument("--spec", type=Path, required=True, help="the run's job spec JSON")
    parser.add_argument("--run", type=Path, required=True, help="the run's directory (holds model/, label-mix.json)")
    parser.add_argument("--out", type=Path, required=True, help="synthetic CSV to write")
    parser.add_argument("--rows", type=int, help="rows to generate (default: the spec's sampling.rows)")
    parser.add_argument("--batch-size", type=int, help="candidates per batch (default: the spec's)")
    parser.set_defaults(handler=run_sample)


def run_sample(args: argparse.Namespace) -> int:
    from .config import load_settings
    from .contract import load_job_spec
    from .label_counts import LabelMix
    from .label_set import require_declared
    from .models import load_trained_model
    from .records import RowFormat
    from .releases import LABEL_MIX_FILE
    from .sampling import sample_synthetic, write_synthetic_csv
    from .training import select_device

    settings = load_settings()
    spec = load_job_spec(args.spec)
    require_declared(spec, "sample")
    if args.batch_size:
        spec = spec.model_copy(update={"sampling": spec.sampling.model_copy(update={"batchSize": args.batch_size})})
    mix_path = args.run / LABEL_MIX_FILE
    if not mix_path.exists():
        raise BadInputError(f"{mix_path} is missing: sample from the directory of a finished `run`.")
    mix = LabelMix(**json.loads(mix_path.read_text(encoding="utf-8"))["mix"])
    device = select_device(settings.DPSYNTH_DEVICE)
    trained = load_trained_model(args.run / "model", cache_dir=settings.model_cache, device=device)
    row_format = RowFormat.for_spec(spec, trained.tokenizer)
    result = sample_synthetic(spec, trained.model, row_format, mix, count=args.rows)
    write_synthetic_csv(args.out, result.rows, spec.data, escape_formulas=spec.sampling.escapeFormulas)
    summary = {
        "requested": result.requested,
        "delivered": len(result.rows),
        "candidates": result.generated,
        "empty": result.failed,
        "rejected": result.rejected,
        "seconds": result.seconds,
        "rowsPerSecond": result.rows_per_second,
    }
    print(json.dumps(summary, indent=2))
    return 0


def add_evaluate(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="evaluate a synthetic CSV against a finished run: write the report")
    parser.add_argument("--spec", type=Path, required=True, help="the run's job spec JSON")
    parser.add_argument("--run", type=Path, required=True, help="the run's directory (model/, label-mix.json, ...)")
    parser.add_argument("--synthetic", type=Path, required=True, help="synthetic CSV with the upload's columns")
    parser.add_argument("--out", type=Path, required=True, help="directory for report.json and report.html")
    parser.set_defaults(handler=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from .config import load_settings
    from .contract import TrainingSummary, label_values, load_job_spec
    from .data import read_rows, read_split
    from .label_counts import LabelMix
    from .label_set import require_declared
    from .models import load_trained_model
    from .pipeline import evaluate_and_report
    from .records import RowFormat
    from .releases import LABEL_MIX_FILE
    from .report import CURVE_FILE, read_curve, write_report
    from .sampling import SamplingResult, SyntheticRow
    from .training import select_device

    settings = load_settings()
    spec = load_job_spec(args.spec)
    require_declared(spec, "evaluate")
    needed = [args.run / name for name in ("training-summary.json", LABEL_MIX_FILE, "model")]
    missing = [str(path) for path in needed if not path.exists()]
    if missing:
        raise BadInputError(f"{', '.join(missing)} missing: evaluate against the directory of a finished `run`.")
    summary = TrainingSummary.model_validate_json((args.run / "training-summary.json").read_text(encoding="utf-8"))
    mix = LabelMix(**json.loads((args.run / LABEL_MIX_FILE).read_text(encoding="utf-8"))["mix"])
    synthetic = read_rows(
        args.synthetic,
        text_column=spec.data.textColumn,
        label_column=spec.data.labelColumn,
        labels=label_values(spec.data),
        columns=spec.data.columns,
    )
    rows = [SyntheticRow(row.label, row.text, row.extras) for row in synthetic.rows]
    device = select_device(settings.DPSYNTH_DEVICE)
    trained = load_trained_model(args.run / "model", cache_dir=settings.model_cache, device=device)
    report = evaluate_and_report(
        spec,
        model=trained.model,
        row_format=RowFormat.for_spec(spec, trained.tokenizer),
        summary=summary,
        mix=mix,
        train_rows=read_split(spec.data.trainUri, spec),
        sampled=SamplingResult(rows=rows, requested=len(rows), generated=len(rows), kept=len(rows)),
        baseline=None,
        curve=read_curve(args.run / CURVE_FILE),
        notes=[
            "The synthetic rows were read from a CSV file: how many candidates it took to make them is not known, "
            "and the prior-only baseline was not run."
        ],
        device=device,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    write_report(report, args.out)
    print(json.dumps({"report": str(args.out / "report.json"), "utility": report["utility"]}, indent=2))
    return 0
