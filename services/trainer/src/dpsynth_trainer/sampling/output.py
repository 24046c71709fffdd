"""Writing `synthetic.csv`: the upload's own header, one row per synthetic row, formulas defused by default."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from .generate import SyntheticRow

#: What makes a spreadsheet run a cell as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(cell: str) -> str:
    """A cell a spreadsheet shows as text: an apostrophe before a leading formula character."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def write_synthetic_csv(
    path: Path,
    rows: Sequence[SyntheticRow],
    *,
    text_column: str,
    label_column: str,
    extra_columns: Sequence[str] = (),
    escape_formulas: bool = True,
) -> None:
    """The synthetic rows under the upload's header names: text column, label column, then the other columns."""
    cell = defuse if escape_formulas else str
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([cell(name) for name in (text_column, label_column, *extra_columns)])
        for row in rows:
            writer.writerow([cell(v) for v in (row.text, row.label, *(row.extras[n] for n in extra_columns))])
