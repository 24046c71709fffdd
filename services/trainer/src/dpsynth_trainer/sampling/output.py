"""Writing `synthetic.csv`: the upload's own header and column order, one row per synthetic row, formulas defused
by default."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from ..contract import DataSpec, synthetic_header
from .generate import SyntheticRow

#: What makes a spreadsheet run a cell as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(cell: str) -> str:
    """A cell a spreadsheet shows as text: an apostrophe before a leading formula character."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def write_synthetic_csv(
    path: Path, rows: Sequence[SyntheticRow], data: DataSpec, *, escape_formulas: bool = True
) -> None:
    """The synthetic rows under the upload's header names, in `synthetic_header`'s order."""
    cell = defuse if escape_formulas else str
    header = synthetic_header(data)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([cell(name) for name in header])
        for row in rows:
            values = {data.textColumn: row.text, data.labelColumn: row.label, **row.extras}
            writer.writerow([cell(values[name]) for name in header])
