import csv
from pathlib import Path

import pytest
import torch

from dpsynth_trainer.data import Row
from dpsynth_trainer.evaluation.membership import membership_attack_auc, row_losses
from dpsynth_trainer.models.registry import create_model
from dpsynth_trainer.records import RowFormat
from dpsynth_trainer.training.batches import SequenceDataset, make_collate
from training_support import spec

FIXTURE = Path(__file__).parent / "fixtures" / "rotten_tomatoes_600.csv"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    model = spec(10, model={"id": "tiny-gpt2", "finetune": "full"}).model
    return create_model(model, cache_dir=tmp_path_factory.mktemp("models"), device=torch.device("cpu"))


@pytest.fixture(scope="module")
def fmt(tiny):
    return RowFormat.for_spec(spec(10), tiny.tokenizer)


def memorise(loaded, fmt, rows, steps=15):
    """Non-private training to the point of memorisation: what the attack must detect."""
    torch.manual_seed(0)
    encoded = fmt.encode_rows(rows, max_seq_len=48)
    input_ids, attention, labels = make_collate(loaded.tokenizer.pad_token_id)(
        [SequenceDataset(encoded)[i] for i in range(len(rows))]
    )
    optimizer = torch.optim.AdamW(loaded.model.parameters(), lr=3e-3)
    loaded.model.train()
    for _ in range(steps):
        loaded.model(input_ids=input_ids, attention_mask=attention, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def test_the_attack_finds_memorised_rows_and_not_fresh_ones(tiny, fmt):
    rows = [Row(r["label"], r["review"]) for r in csv.DictReader(FIXTURE.open(encoding="utf-8"))][:48]
    members, non_members = rows[:16], rows[16:32]
    before = membership_attack_auc(tiny.model, fmt, members, non_members, max_seq_len=48)
    memorise(tiny, fmt, members)
    after = membership_attack_auc(tiny.model, fmt, members, non_members, max_seq_len=48)
    # Before training the two sets are alike to the model; after memorising, members have clearly lower loss.
    assert 0.2 < before < 0.8
    assert after > 0.95
    fresh = membership_attack_auc(tiny.model, fmt, rows[32:40], rows[40:48], max_seq_len=48)
    assert 0.1 < fresh < 0.9


def test_row_losses_are_one_per_row_and_positive(tiny, fmt):
    losses = row_losses(tiny.model, fmt, [Row("fresh", "a b c"), Row("rotten", "d")], max_seq_len=32)
    assert len(losses) == 2 and all(loss > 0 for loss in losses)
    assert membership_attack_auc(tiny.model, fmt, [], [Row("fresh", "b")], max_seq_len=8) is None
