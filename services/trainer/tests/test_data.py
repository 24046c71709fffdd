"""What a data owner sees when the CSV is wrong, and how rows become training sequences."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dpsynth_trainer.cli import main
from dpsynth_trainer.data import (
    IGNORE_INDEX,
    Row,
    encode_prompt,
    encode_rows,
    parse_generated,
    parse_rows,
    serialize_prompt,
    serialize_row,
)
from dpsynth_trainer.errors import BadInputError
from dpsynth_trainer.models.tokenizer import train_public_tokenizer
from training_support import csv_bytes, fixture_rows, raw_spec, subprocess_env

MARKER = "ZQXJ-PRIVATE-MARKER"


def parse(raw: bytes):
    return parse_rows(raw, text_column="review", label_column="label")


BAD_FILES = {
    "empty": (b"", "The file is empty"),
    "header only": (b"review,label\n", "has a header but no rows"),
    "missing label column": (f"review,sentiment\n{MARKER},fresh\n".encode(), "label column 'label' is not in"),
    "one class": (f"review,label\n{MARKER} a,fresh\n{MARKER} b,fresh\n".encode(), "has one class only"),
    "non-UTF-8 bytes": (b"review,label\ngood,fresh\n" + MARKER.encode() + b"\xff\xfe,rotten\n", "not valid UTF-8"),
    "short row": (f"review,label\n{MARKER},fresh\nonly-one-field\n".encode(), "Row 2 has 1 fields"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_get_a_clear_message_without_their_content(case: str) -> None:
    raw, expected = BAD_FILES[case]
    with pytest.raises(BadInputError) as caught:
        parse(raw)
    assert expected in caught.value.message
    assert MARKER not in caught.value.message
    assert caught.value.code == "bad_input"


def test_non_utf8_error_names_the_line() -> None:
    with pytest.raises(BadInputError, match="line 3"):
        parse(BAD_FILES["non-UTF-8 bytes"][0])


def test_other_columns_become_name_value_pairs_after_the_label() -> None:
    rows = parse_rows(
        b"id,review,label,year\n1,Great fun,fresh,2001\n2,Dull,rotten,1999\n",
        text_column="review",
        label_column="label",
    )
    assert rows.extra_columns == ["id", "year"]
    assert serialize_row(rows.rows[0], " | ") == "fresh | id: 1 | year: 2001 | Great fun"
    assert rows.labels == ["fresh", "rotten"]


def test_generated_rows_parse_back_or_are_counted_as_failures() -> None:
    sep, labels = "\t", ["fresh", "rotten"]
    assert parse_generated("fresh\tyear: 2001\tA fine film", sep, labels, ["year"]).text == "A fine film"
    assert parse_generated("fresh\tyear: 2001\tA\tfilm", sep, labels, ["year"]).text == "A\tfilm"
    assert parse_generated("meh\tyear: 2001\tA fine film", sep, labels, ["year"]) is None  # unknown label
    assert parse_generated("fresh\tA fine film", sep, labels, ["year"]) is None  # missing pair
    assert parse_generated("rotten\t   ", sep, labels) is None  # empty text
    row = Row("rotten", "Slow and long", {"year": "1999"})
    assert parse_generated(serialize_row(row, sep), sep, labels, ["year"]).extras == {"year": "1999"}


def test_loss_covers_the_text_and_eos_but_not_the_label_prompt() -> None:
    tokenizer = train_public_tokenizer(512)
    row = Row("fresh", "A fine film")
    encoded = encode_rows([row], tokenizer, separator="\t", max_seq_len=64)
    prompt = encode_prompt(tokenizer, "fresh", "\t")
    ids, labels = encoded.input_ids[0], encoded.labels[0]
    assert ids[: len(prompt)] == prompt
    assert labels[: len(prompt)] == [IGNORE_INDEX] * len(prompt)
    assert labels[len(prompt) :] == ids[len(prompt) :]
    assert ids[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(prompt) == serialize_prompt("fresh", "\t")


def test_rows_longer_than_the_limit_are_truncated_and_counted_not_refused() -> None:
    tokenizer = train_public_tokenizer(512)
    rows = [Row("fresh", "short"), Row("rotten", "very long " * 200), Row("fresh", "also long " * 50)]
    encoded = encode_rows(rows, tokenizer, separator="\t", max_seq_len=32)
    assert encoded.truncated == 2
    assert max(len(ids) for ids in encoded.input_ids) == 32
    assert encoded.input_ids[0][-1] == tokenizer.eos_token_id


def _write(tmp_path: Path, raw: bytes) -> tuple[Path, Path]:
    data = tmp_path / "train.csv"
    data.write_bytes(raw)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(raw_spec(10)))
    return spec, data


@pytest.mark.parametrize("case", ["empty", "missing label column", "one class", "non-UTF-8 bytes"])
def test_cli_reports_bad_input_on_stderr_with_no_traceback(case: str, tmp_path: Path, capsys) -> None:
    spec, data = _write(tmp_path, BAD_FILES[case][0])
    code = main(["train", "--spec", str(spec), "--data", str(data), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"bad_input: {BAD_FILES[case][1]}" in err or BAD_FILES[case][1] in err
    assert "Traceback" not in err and MARKER not in err
    events = [json.loads(line) for line in (tmp_path / "out" / "events.jsonl").read_text().splitlines()]
    assert events[-1]["type"] == "error" and events[-1]["code"] == "bad_input"


def test_cli_process_exits_non_zero_with_the_message(tmp_path: Path) -> None:
    spec, data = _write(tmp_path, BAD_FILES["one class"][0])
    out = tmp_path / "out"
    command = [sys.executable, "-m", "dpsynth_trainer", "train", "--spec", str(spec), "--data", str(data)]
    done = subprocess.run(
        [*command, "--out", str(out)],
        capture_output=True,
        text=True,
        env=subprocess_env(dict(os.environ)),
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    assert "bad_input: The label column 'label' has one class only" in done.stderr
    assert "Traceback" not in done.stderr and MARKER not in done.stderr + done.stdout


def test_fixture_rows_parse() -> None:
    rows = parse(csv_bytes(fixture_rows(50)))
    assert len(rows.rows) == 50 and rows.labels == ["fresh", "rotten"]
