"""What a data owner sees when the CSV is wrong, and which rows and columns a split yields."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dpsynth_trainer.cli import main
from dpsynth_trainer.data import parse_rows
from dpsynth_trainer.errors import BadInputError
from training_support import LABELS, csv_bytes, fixture_rows, raw_spec, subprocess_env

MARKER = "ZQXJ-PRIVATE-MARKER"


def parse(raw: bytes, **options):
    return parse_rows(raw, text_column="review", label_column="label", labels=LABELS, **options)


BAD_FILES = {
    "empty": (b"", "The file is empty"),
    "header only": (b"review,label\n", "has a header but no rows"),
    "missing label column": (f"review,sentiment\n{MARKER},fresh\n".encode(), "label column 'label' is not in"),
    "no declared label": (
        f"review,label\n{MARKER} a,good\n{MARKER} b,bad\n".encode(),
        "None of the 2 rows has one of the declared labels",
    ),
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


def test_only_the_chosen_columns_are_kept_in_their_order() -> None:
    rows = parse(b"id,review,label,year\n1,Great fun,fresh,2001\n2,Dull,rotten,1999\n", columns=["year"])
    assert rows.extra_columns == ["year"]
    assert rows.rows[0].extras == {"year": "2001"}
    assert (rows.rows[1].label, rows.rows[1].text) == ("rotten", "Dull")


def test_a_chosen_column_missing_from_the_header_is_named() -> None:
    with pytest.raises(BadInputError, match="synthesised column 'year' is not in"):
        parse(b"review,label\nGreat fun,fresh\n", columns=["year"])


def test_rows_of_undeclared_labels_are_left_out_and_counted() -> None:
    rows = parse(f"review,label\nGreat,fresh\n{MARKER},meh\nDull,rotten\n".encode())
    assert [row.label for row in rows.rows] == ["fresh", "rotten"]
    assert rows.outside_label_set == 1
    assert all(MARKER not in row.text for row in rows.rows)


def test_row_numbers_in_errors_count_the_rows_left_out() -> None:
    with pytest.raises(BadInputError, match="Row 3 has 1 fields"):
        parse(b"review,label\nGreat,meh\nOk,fresh\nonly-one-field\n")


def _write(tmp_path: Path, raw: bytes) -> tuple[Path, Path]:
    data = tmp_path / "train.csv"
    data.write_bytes(raw)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(raw_spec(10)))
    return spec, data


@pytest.mark.parametrize("case", ["empty", "missing label column", "no declared label", "non-UTF-8 bytes"])
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
    spec, data = _write(tmp_path, BAD_FILES["no declared label"][0])
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
    assert "bad_input: None of the 2 rows has one of the declared labels" in done.stderr
    assert "Traceback" not in done.stderr and MARKER not in done.stderr + done.stdout


def test_fixture_rows_parse() -> None:
    rows = parse(csv_bytes(fixture_rows(50)))
    assert len(rows.rows) == 50 and {row.label for row in rows.rows} == set(LABELS)
