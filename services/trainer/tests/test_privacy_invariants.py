"""Training never opens the holdout, and no record's text reaches events, logs, output or the vocabulary."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from dpsynth_trainer.cli import main
from training_support import csv_bytes, fixture_rows, raw_spec, subprocess_env

MARKER = "ZQXJMARKER"
N_ROWS = 120
_opened: list[str] = []
_recording = [False]


def _audit(event: str, args: tuple) -> None:
    if _recording[0] and event == "open" and isinstance(args[0], str | bytes | Path):
        _opened.append(str(Path(args[0] if not isinstance(args[0], bytes) else args[0].decode()).resolve()))


sys.addaudithook(_audit)


def test_training_never_opens_the_holdout_and_never_echoes_a_record(tmp_path: Path, caplog, capfd, monkeypatch):
    records = [{**r, "review": f"{r['review']} {MARKER}"} for r in fixture_rows(N_ROWS + 40)]
    train_csv, holdout_csv = tmp_path / "train.csv", tmp_path / "holdout.csv"
    train_csv.write_bytes(csv_bytes(records[:N_ROWS]))
    holdout_csv.write_bytes(csv_bytes(records[N_ROWS:]))
    spec = raw_spec(
        N_ROWS,
        training={"epochs": 1},
        data={"trainUri": train_csv.as_uri(), "holdoutUri": holdout_csv.as_uri()},
    )
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    for name, value in subprocess_env({}).items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "out"

    _recording[0] = True
    try:
        code = main(["train", "--spec", str(spec_file), "--data", str(train_csv), "--out", str(out)])
    finally:
        _recording[0] = False

    assert code == 0
    assert str(train_csv.resolve()) in _opened
    assert str(holdout_csv.resolve()) not in _opened
    printed = capfd.readouterr()
    assert MARKER not in printed.out + printed.err
    assert MARKER not in caplog.text
    events = (out / "events.jsonl").read_text()
    assert '"type":"metric"' in events and MARKER not in events
    for written in [*(out / "model").iterdir(), out / "checkpoints" / "progress.json", out / "training-summary.json"]:
        assert MARKER.encode() not in written.read_bytes(), written.name  # incl. the tokenizer's vocabulary
