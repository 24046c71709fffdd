"""The Rotten Tomatoes rows the trainer's tests check in: public review snippets, as benchmark input."""

from __future__ import annotations

import csv
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[2] / "services/trainer/tests/fixtures/rotten_tomatoes_600.csv"


def rotten_tomatoes_snippets() -> list[tuple[str, str]]:
    """(text, label) pairs, in the fixture's order."""
    with open(FIXTURE, encoding="utf-8", newline="") as handle:
        return [(row["review"], row["label"]) for row in csv.DictReader(handle)]
