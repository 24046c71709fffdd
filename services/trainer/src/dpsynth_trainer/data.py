"""The owner's CSV: reading and validating a split into rows of the declared labels and chosen columns.

How a row is then written for the language model lives in `records.py`. Errors name a column, a row number or
a setting and never quote a value: a record's content must not reach logs, events or messages.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .blobs import read_bytes
from .contract import JobSpec, label_values
from .errors import BadInputError

csv.field_size_limit(sys.maxsize)  # long rows are truncated after tokenising, not refused by the csv module


@dataclass(frozen=True)
class Row:
    label: str
    text: str
    extras: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingRows:
    """The rows of a split whose label is declared, the columns they carry, and how many rows were left out
    because their label is not in the declared set (the label set is public schema, never read off the rows)."""

    rows: list[Row]
    text_column: str
    label_column: str
    extra_columns: list[str]
    outside_label_set: int = 0


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadInputError(
            f"The file is not valid UTF-8 (first bad byte on line {line}). Save it as UTF-8 and upload it again."
        ) from None


def parse_rows(
    raw: bytes,
    *,
    text_column: str,
    label_column: str,
    labels: Sequence[str] | None,
    columns: Sequence[str] = (),
) -> TrainingRows:
    """Parse and validate CSV bytes: a header naming every column used, and rows of the declared `labels`.

    `columns` are the other columns to keep, in order (the rest of the file is not read into rows). Rows whose
    label is not declared are counted and left out. `labels` None keeps every row: the input of a DP release of the
    label set, never of anything else.
    """
    if not raw.strip():
        raise BadInputError("The file is empty; it needs a header line and at least one row.")
    reader = csv.reader(io.StringIO(_decode(raw), newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise BadInputError(f"The header line is not valid CSV ({exc.__class__.__name__}).") from None
    header = [name.strip() for name in header]
    wanted = [("text", text_column), ("label", label_column), *(("synthesised", name) for name in columns)]
    for role, column in wanted:
        if column not in header:
            raise BadInputError(
                f"The {role} column '{column}' is not in the file's header (columns: {', '.join(header)})."
            )
    if len(set(header)) != len(header):
        raise BadInputError("The header names a column twice; column names must be unique.")
    text_at, label_at = header.index(text_column), header.index(label_column)
    extra = [(header.index(name), name) for name in columns]
    declared = None if labels is None else set(labels)
    outside = 0

    rows: list[Row] = []
    number = 0  # 1-based data row, the header not counted
    try:
        for values in reader:
            number += 1
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise BadInputError(
                    f"Row {number} has {len(values)} fields but the header has {len(header)}; check its quoting."
                )
            label = values[label_at].strip()
            if not label:
                raise BadInputError(f"Row {number} has an empty value in the label column '{label_column}'.")
            if declared is not None and label not in declared:
                outside += 1
                continue
            rows.append(Row(label, values[text_at], {name: values[i] for i, name in extra}))
    except csv.Error as exc:
        raise BadInputError(f"Row {number} is not valid CSV ({exc.__class__.__name__}); check its quoting.") from None

    if not rows and not outside:
        raise BadInputError("The file has a header but no rows.")
    if not rows:
        raise BadInputError(
            f"None of the {outside} rows has one of the declared labels in the label column '{label_column}'; "
            "check the declared label values."
        )
    return TrainingRows(rows, text_column, label_column, list(columns), outside)


def read_rows(
    path: Path, *, text_column: str, label_column: str, labels: Sequence[str], columns: Sequence[str] = ()
) -> TrainingRows:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BadInputError(f"The data file {path} could not be read ({exc.strerror}).") from None
    return parse_rows(raw, text_column=text_column, label_column=label_column, labels=labels, columns=columns)


def read_split(uri: str, spec: JobSpec) -> TrainingRows:
    """A split's rows of the spec's labels, with the columns the spec synthesises.

    A spec whose label set is still to be released with DP has no labels yet: then every row is read, as the
    release's input only (`label_set.resolve_label_set`).
    """
    return parse_rows(
        read_bytes(uri),
        text_column=spec.data.textColumn,
        label_column=spec.data.labelColumn,
        labels=label_values(spec.data) or None,
        columns=spec.data.columns,
    )
