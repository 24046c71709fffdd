"""Command line: a thin argparse dispatcher, one `add_<command>` and one `run_<command>` per subcommand.

Every `TrainerError` ends the process with its code and message on stderr (exit status 2) and an `error`
event; no traceback reaches the user, and none carries a record (set DPSYNTH_DEBUG=1 to see tracebacks of
unexpected failures while developing).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .cli_pipeline import add_evaluate, add_run, add_sample
from .demo_data import add_demo_data
from .errors import InternalError, TrainerError

if TYPE_CHECKING:
    from .config import TrainerSettings
    from .contract import JobSpec
    from .ranks import Ranks

EXIT_TRAINER_ERROR = 2


def add_train(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="DP fine-tune a model on a CSV (no sampling, no evaluation)")
    parser.add_argument("--spec", type=Path, required=True, help="job spec JSON (packages/contracts job-spec)")
    parser.add_argument("--data", type=Path, required=True, help="training split CSV (never the holdout)")
    parser.add_argument("--out", type=Path, required=True, help="output directory: model, checkpoints, events")
    parser.add_argument("--resume", action="store_true", help="continue the run found in --out")
    parser.add_argument("--attempt", type=int, default=1, help="attempt number written into events")
    parser.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace) -> int:
    # Imported here so that `--help` and other subcommands do not pay for torch.
    from .config import load_settings
    from .contract import load_job_spec
    from .ranks import join_ranks, leave_ranks

    settings = load_settings()
    spec = load_job_spec(args.spec)
    ranks = join_ranks(settings.DPSYNTH_DEVICE)  # under torchrun: this process's place in the run
    try:
        return _train_on_rank(args, spec, settings, ranks)
    finally:
        leave_ranks()


def _train_on_rank(args: argparse.Namespace, spec: JobSpec, settings: TrainerSettings, ranks: Ranks) -> int:
    from .contract import label_values
    from .data import read_rows
    from .label_set import require_declared
    from .ranks import rank_emitter

    emitter = rank_emitter(ranks, args.out / "events.jsonl", job_id=spec.jobId, attempt=args.attempt)
    try:
        require_declared(spec, "train")
        rows = read_rows(
            args.data,
            text_column=spec.data.textColumn,
            label_column=spec.data.labelColumn,
            labels=label_values(spec.data),
            columns=spec.data.columns,
        )
        from .training import CancelWatch, train  # the slow import (transformers, peft, opacus) once data is good

        redis = _redis_client(settings.REDIS_URL)
        cancel = CancelWatch(args.out, redis=redis, job_id=spec.jobId)
        result = train(spec, rows, args.out, emitter, resume=args.resume, settings=settings, cancel=cancel)
    except TrainerError as error:
        emitter.error(error)
        raise
    except Exception as exc:
        error = InternalError(f"The trainer failed unexpectedly ({type(exc).__name__}).")
        emitter.error(error)
        raise error from exc
    if ranks.main:
        print(json.dumps({"model": str(result.model_dir), "training": result.summary.model_dump()}, indent=2))
    return 0


def _redis_client(url: str | None):
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url)


def add_worker(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "worker", help="take training.run jobs off the BullMQ queue until SIGTERM (see dpsynth_trainer.worker)"
    )
    parser.set_defaults(handler=lambda _args: _worker_main())


def _worker_main() -> int:
    from .worker import main

    return main()


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_train,
    add_run,
    add_sample,
    add_evaluate,
    add_worker,
    add_demo_data,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dpsynth_trainer", description="dpsynth trainer: DP fine-tuning, synthetic sampling, evaluation"
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except TrainerError as error:
        if os.environ.get("DPSYNTH_DEBUG") == "1" and error.__cause__ is not None:
            traceback.print_exception(error.__cause__)
        print(f"dpsynth-trainer: {error.code}: {error.message}", file=sys.stderr)
        return EXIT_TRAINER_ERROR
    except KeyboardInterrupt:
        print("dpsynth-trainer: interrupted", file=sys.stderr)
        return 130
