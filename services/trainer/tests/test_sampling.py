import csv

import pytest
import torch

from dpsynth_trainer.contract import LoraSpec, ModelSpec
from dpsynth_trainer.errors import CancelledError
from dpsynth_trainer.models.registry import create_model
from dpsynth_trainer.sampling import (
    GenerationConfig,
    generate_rows,
    plan_labels,
    write_synthetic_csv,
)
from dpsynth_trainer.sampling.output import csv_safe, parse_row

LABELS = ["fresh", "rotten"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    spec = ModelSpec(
        id="tiny-gpt2",
        finetune="full",
        lora=LoraSpec(r=8, alpha=16, dropout=0, targetModules=[]),
    )
    return create_model(spec, cache_dir=tmp_path_factory.mktemp("models"), device=torch.device("cpu"))


def test_every_generated_row_is_parsed_or_counted_as_failed(tiny):
    labels = plan_labels({"fresh": 7, "rotten": 5}, seed=0)
    progress = []
    result = generate_rows(
        tiny.model,
        tiny.tokenizer,
        labels,
        separator="\t",
        label_set=LABELS,
        config=GenerationConfig(max_new_tokens=12, batch_size=5, seed=1),
        progress=lambda *p: progress.append(p),
    )
    assert (result.requested, result.generated) == (12, 12)
    assert len(result.rows) + result.failed == 12
    assert len(result.rows) > 0
    assert [p[:2] for p in progress] == [(1, 5), (2, 10), (3, 12)]
    assert all(row.label in LABELS and row.text.strip() for row in result.rows)


def test_rows_that_miss_the_trained_shape_are_all_counted(tiny):
    # The untrained model never writes the "year: " field, so every row must fail and be counted.
    result = generate_rows(
        tiny.model,
        tiny.tokenizer,
        ["fresh"] * 6,
        separator="\t",
        label_set=LABELS,
        extra_columns=["year"],
        config=GenerationConfig(max_new_tokens=6, batch_size=4),
    )
    assert (result.generated, result.failed, result.rows) == (6, 6, [])


def test_one_row_at_a_time_runs_the_same_code_and_a_seed_repeats(tiny):
    labels = plan_labels({"fresh": 3, "rotten": 3}, seed=2)
    one = generate_rows(
        tiny.model,
        tiny.tokenizer,
        labels,
        separator="\t",
        label_set=LABELS,
        config=GenerationConfig(max_new_tokens=8, batch_size=1, seed=3),
    )
    again = generate_rows(
        tiny.model,
        tiny.tokenizer,
        labels,
        separator="\t",
        label_set=LABELS,
        config=GenerationConfig(max_new_tokens=8, batch_size=1, seed=3),
    )
    assert one.generated == 6 and len(one.rows) + one.failed == 6
    assert [r.text for r in one.rows] == [r.text for r in again.rows]


def test_cancellation_is_checked_between_batches(tiny):
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(CancelledError):
        generate_rows(
            tiny.model,
            tiny.tokenizer,
            ["fresh"] * 4,
            separator="\t",
            label_set=LABELS,
            config=GenerationConfig(max_new_tokens=4, batch_size=2),
            cancel_check=cancel,
        )


def test_parsing_refuses_empty_and_csv_breaking_rows():
    parse = {"separator": "\t", "labels": LABELS, "extra_columns": ()}
    assert parse_row("fresh\t", "  a fine film", **parse).text == "a fine film"
    assert parse_row("fresh\t", "   ", **parse) is None
    assert parse_row("fresh\t", "nul\x00inside", **parse) is None
    assert csv_safe(['multi\nline, "quoted"'])


def test_the_synthetic_csv_has_the_uploads_header(tmp_path):
    rows = [
        parse_row(
            "rotten\t",
            'says "hi", twice',
            separator="\t",
            labels=LABELS,
            extra_columns=(),
        )
    ]
    path = tmp_path / "synthetic.csv"
    write_synthetic_csv(path, rows, text_column="review", label_column="label")
    assert list(csv.DictReader(path.open(encoding="utf-8"))) == [{"review": 'says "hi", twice', "label": "rotten"}]


def test_the_plan_follows_the_allocation():
    plan = plan_labels({"a": 3, "b": 1, "c": 0}, seed=5)
    assert sorted(plan) == ["a", "a", "a", "b"]
    assert plan == plan_labels({"a": 3, "b": 1, "c": 0}, seed=5)
