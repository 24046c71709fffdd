"""The owner's CSV: reading, validating, serialising rows for a causal LM, and parsing generations back.

A row becomes one training sequence: `label + separator + [name: value + separator ...] + text + EOS`, where
`name: value` pairs are the file's other columns. The loss covers everything after the prompt
(`label + separator`), so the model learns to write a row given its label: the sampler starts generation
from `encode_prompt(...)` and reads rows back with `parse_generated(...)`.

Errors name a column, a row number or a setting and never quote a value: a record's content must not reach
logs, events or messages.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from .errors import BadInputError

IGNORE_INDEX = -100  # what torch's cross-entropy skips: prompt tokens and padding carry no loss
# A byte-level token covers at least one character, and practically never more than this many, so cutting the
# text here before tokenising loses nothing that truncation to `max_seq_len` tokens would keep.
_MAX_CHARS_PER_TOKEN = 64

csv.field_size_limit(sys.maxsize)  # long rows are truncated after tokenising, not refused by the csv module


@dataclass(frozen=True)
class Row:
    label: str
    text: str
    extras: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingRows:
    """The rows of a training split and the column layout they came from."""

    rows: list[Row]
    text_column: str
    label_column: str
    extra_columns: list[str]

    @property
    def labels(self) -> list[str]:
        return sorted({row.label for row in self.rows})


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadInputError(
            f"The file is not valid UTF-8 (first bad byte on line {line}). Save it as UTF-8 and upload it again."
        ) from None


def parse_rows(raw: bytes, *, text_column: str, label_column: str) -> TrainingRows:
    """Parse and validate CSV bytes: a header naming both columns, at least one row, two label classes or more."""
    if not raw.strip():
        raise BadInputError("The file is empty; it needs a header line and at least one row.")
    reader = csv.reader(io.StringIO(_decode(raw), newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise BadInputError(f"The header line is not valid CSV ({exc.__class__.__name__}).") from None
    header = [name.strip() for name in header]
    for role, column in (("text", text_column), ("label", label_column)):
        if column not in header:
            raise BadInputError(
                f"The {role} column '{column}' is not in the file's header (columns: {', '.join(header)})."
            )
    if len(set(header)) != len(header):
        raise BadInputError("The header names a column twice; column names must be unique.")
    text_at, label_at = header.index(text_column), header.index(label_column)
    extra = [(i, name) for i, name in enumerate(header) if i not in (text_at, label_at)]

    rows: list[Row] = []
    try:
        for values in reader:
            number = len(rows) + 1  # 1-based data row, the header not counted
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise BadInputError(
                    f"Row {number} has {len(values)} fields but the header has {len(header)}; check its quoting."
                )
            label = values[label_at].strip()
            if not label:
                raise BadInputError(f"Row {number} has an empty value in the label column '{label_column}'.")
            rows.append(Row(label, values[text_at], {name: values[i] for i, name in extra}))
    except csv.Error as exc:
        raise BadInputError(
            f"Row {len(rows) + 1} is not valid CSV ({exc.__class__.__name__}); check its quoting."
        ) from None

    if not rows:
        raise BadInputError("The file has a header but no rows.")
    if len({r.label for r in rows}) < 2:
        raise BadInputError(
            f"The label column '{label_column}' has one class only; conditional generation and the "
            "evaluation classifiers need at least two."
        )
    return TrainingRows(rows, text_column, label_column, [name for _, name in extra])


def read_rows(path: Path, *, text_column: str, label_column: str) -> TrainingRows:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BadInputError(f"The data file {path} could not be read ({exc.strerror}).") from None
    return parse_rows(raw, text_column=text_column, label_column=label_column)


def serialize_prompt(label: str, separator: str) -> str:
    """The text generation starts from for a row of class `label`."""
    return f"{label}{separator}"


def serialize_continuation(row: Row, separator: str) -> str:
    """What the model learns to write after the prompt: `name: value` pairs, then the text."""
    pairs = [f"{name}: {value}" for name, value in row.extras.items()]
    return separator.join([*pairs, row.text])


def serialize_row(row: Row, separator: str) -> str:
    return serialize_prompt(row.label, separator) + serialize_continuation(row, separator)


@dataclass(frozen=True)
class ParsedRow:
    label: str
    text: str
    extras: dict[str, str]


def parse_generated(
    text: str, separator: str, labels: Sequence[str], extra_columns: Sequence[str] = ()
) -> ParsedRow | None:
    """Read a generated sequence (prompt included, special tokens removed) back into a row.

    Returns None when the sequence does not have the trained shape: an unknown label, a missing or misnamed
    `name: value` pair, or an empty text. The caller counts those; they are never silently dropped.
    """
    parts = text.split(separator)
    if len(parts) < 2 + len(extra_columns) or parts[0].strip() not in labels:
        return None
    extras: dict[str, str] = {}
    for name, part in zip(extra_columns, parts[1:], strict=False):
        prefix = f"{name}: "
        if not part.startswith(prefix):
            return None
        extras[name] = part[len(prefix) :]
    body = separator.join(parts[1 + len(extra_columns) :]).strip()
    if not body:
        return None
    return ParsedRow(parts[0].strip(), body, extras)


def encode_prompt(tokenizer: Any, label: str, separator: str) -> list[int]:
    """Token ids of the prompt, exactly as training encodes it (with the tokenizer's BOS if it uses one)."""
    return tokenizer(serialize_prompt(label, separator), add_special_tokens=True)["input_ids"]


@dataclass(frozen=True)
class EncodedRows:
    """Token ids with loss labels (prompt masked) for every row, and how many rows were cut short."""

    input_ids: list[list[int]]
    labels: list[list[int]]
    truncated: int
    max_seq_len: int

    @property
    def tokens(self) -> int:
        return sum(len(ids) for ids in self.input_ids)


def encode_rows(rows: Sequence[Row], tokenizer: Any, *, separator: str, max_seq_len: int) -> EncodedRows:
    """Tokenise every row as prompt + continuation + EOS, truncated to `max_seq_len` tokens."""
    if tokenizer.eos_token_id is None:
        raise BadInputError("The model's tokenizer has no end-of-sequence token; it cannot learn where rows end.")
    all_ids, all_labels, truncated = [], [], 0
    char_cap = max_seq_len * _MAX_CHARS_PER_TOKEN
    for row in rows:
        prompt = encode_prompt(tokenizer, row.label, separator)
        body = tokenizer(serialize_continuation(row, separator)[:char_cap], add_special_tokens=False)["input_ids"]
        ids = prompt + body + [tokenizer.eos_token_id]
        labels = [IGNORE_INDEX] * len(prompt) + body + [tokenizer.eos_token_id]
        if len(ids) > max_seq_len:
            truncated += 1
            ids, labels = ids[:max_seq_len], labels[:max_seq_len]
        all_ids.append(ids)
        all_labels.append(labels)
    return EncodedRows(all_ids, all_labels, truncated, max_seq_len)


class SequenceDataset(Dataset):
    """Encoded rows as (input_ids, attention_mask, labels) of varying length; `collate` pads a batch.

    Items have the batch's three-tensor shape so that Opacus can build an empty batch of the same structure
    when Poisson sampling draws no row.
    """

    def __init__(self, encoded: EncodedRows) -> None:
        self.encoded = encoded

    def __len__(self) -> int:
        return len(self.encoded.input_ids)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        ids = torch.tensor(self.encoded.input_ids[index], dtype=torch.long)
        return ids, torch.ones_like(ids), torch.tensor(self.encoded.labels[index], dtype=torch.long)


def make_collate(pad_token_id: int):
    """Right-pad a batch to its longest row: (input_ids, attention_mask, labels), padding masked from the loss."""

    def collate(batch: list[tuple[torch.Tensor, ...]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        width = max(len(ids) for ids, _, _ in batch)
        input_ids = torch.full((len(batch), width), pad_token_id, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
        for i, (ids, _, lab) in enumerate(batch):
            input_ids[i, : len(ids)] = ids
            attention[i, : len(ids)] = 1
            labels[i, : len(lab)] = lab
        return input_ids, attention, labels

    return collate
