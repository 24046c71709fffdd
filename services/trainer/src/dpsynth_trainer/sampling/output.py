"""Parsing generations back into rows of the uploaded file's columns, and writing `synthetic.csv`."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from dpsynth_trainer.data import ParsedRow, parse_generated


def csv_safe(fields: Sequence[str]) -> bool:
    """Whether the fields survive a CSV round trip and UTF-8 (NUL is refused: many CSV readers choke on it)."""
    if any("\x00" in field for field in fields):
        return False
    try:
        for field in fields:
            field.encode("utf-8")
    except UnicodeEncodeError:
        return False
    buffer = io.StringIO()
    csv.writer(buffer).writerow(fields)
    return list(csv.reader(io.StringIO(buffer.getvalue()))) == [list(fields)]


def parse_row(
    prompt: str,
    continuation: str,
    *,
    separator: str,
    labels: Sequence[str],
    extra_columns: Sequence[str],
) -> ParsedRow | None:
    """A generated row, or None when it failed to parse (empty text, wrong shape, or not CSV-safe)."""
    parsed = parse_generated(prompt + continuation, separator, labels, extra_columns)
    if parsed is None or not csv_safe([parsed.label, parsed.text, *parsed.extras.values()]):
        return None
    return parsed


def write_synthetic_csv(
    path: Path,
    rows: Sequence[ParsedRow],
    *,
    text_column: str,
    label_column: str,
    extra_columns: Sequence[str] = (),
) -> None:
    """The synthetic rows under the upload's own header: text column, label column, then any other columns."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([text_column, label_column, *extra_columns])
        for row in rows:
            writer.writerow([row.text, row.label, *(row.extras[name] for name in extra_columns)])
