"""How a row is written for the model: prompts from public inputs, fields the sampler writes, the loss mask."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from dpsynth_trainer.data import Row
from dpsynth_trainer.errors import BadInputError
from dpsynth_trainer.models.registry import materialized_path
from dpsynth_trainer.models.tokenizer import train_public_tokenizer
from dpsynth_trainer.records import IGNORE_INDEX, RowFormat, render_instruction
from training_support import settings, spec

MARKER = "ZQXJ-PRIVATE-MARKER"
LABELS = [{"value": "pos", "description": "a glowing review"}, {"value": "neg", "description": "a scathing review"}]


@pytest.fixture(scope="module")
def plain_tokenizer():
    return train_public_tokenizer(512)


@pytest.fixture(scope="module")
def chat_tokenizer():
    return AutoTokenizer.from_pretrained(materialized_path("smollm2-135m", settings().model_cache))


def row_format(tokenizer, *, style: str = "plain", columns: list[str] | None = None) -> RowFormat:
    job = spec(
        10,
        prompt={"style": style},
        data={"labels": LABELS, "subject": "film review", "columns": columns or []},
    )
    return RowFormat.for_spec(job, tokenizer)


def test_the_prompt_is_built_from_public_inputs_only(plain_tokenizer) -> None:
    fmt = row_format(plain_tokenizer)
    assert fmt.prompt_text("pos") == "Write one film review (label: a glowing review).\n"
    assert fmt.prompt_text("neg") == "Write one film review (label: a scathing review).\n"
    assert row_format(plain_tokenizer, style="raw").prompt_text("neg") == "neg\n"


def test_a_chat_model_gets_its_chat_template_and_ends_rows_with_its_end_of_turn(chat_tokenizer) -> None:
    fmt = row_format(chat_tokenizer, style="auto")
    assert fmt.style == "chat"
    prompt = fmt.prompt_text("pos")
    assert prompt.startswith("<|im_start|>system\n") and prompt.endswith("<|im_start|>assistant\n")
    assert "Write one film review (label: a glowing review)." in prompt
    assert chat_tokenizer.convert_ids_to_tokens(fmt.end_ids) == ["<|im_end|>"]


def test_chat_style_needs_a_chat_template(plain_tokenizer) -> None:
    with pytest.raises(BadInputError, match="no chat template"):
        row_format(plain_tokenizer, style="chat")


def test_placeholders_it_does_not_know_are_left_as_written() -> None:
    rendered = render_instruction(
        "{subject} about {topic} ({labelColumn}={value}: {label}) {",
        subject="s",
        label_column="c",
        description="d",
        value="v",
    )
    assert rendered == "s about {topic} (c=v: d) {"


def test_the_loss_covers_values_and_the_end_but_not_the_prompt_or_field_names(plain_tokenizer) -> None:
    fmt = row_format(plain_tokenizer, columns=["year"])
    ids, labels, truncated = fmt.encode_row(Row("pos", "A fine film", {"year": "2001"}), 64)
    prompt = fmt.prompt_ids("pos")
    assert not truncated
    assert labels[: len(prompt)] == [IGNORE_INDEX] * len(prompt)
    body = list(zip(ids[len(prompt) :], labels[len(prompt) :], strict=True))
    written = plain_tokenizer.decode([token for token, label in body if label != IGNORE_INDEX])
    names = plain_tokenizer.decode([token for token, label in body if label == IGNORE_INDEX])
    assert written == " A fine film\n 2001<|endoftext|>"
    assert names == "review:year:"
    assert ids[-1] == plain_tokenizer.eos_token_id


def test_a_sampled_row_is_the_same_token_sequence_as_a_trained_one(plain_tokenizer) -> None:
    """The sampler appends prompt, field names and values piece by piece; training must see exactly that."""
    fmt = row_format(plain_tokenizer, columns=["year", "title"])
    row = Row("neg", "Dull, and long.", {"year": "1999", "title": "Nope"})
    ids, _, _ = fmt.encode_row(row, 256)
    values = [fmt.value_ids(i, v) for i, v in enumerate(["Dull, and long.", "1999", "Nope"])]
    body, _ = fmt.continuation_ids(values)
    assert ids == fmt.prompt_ids("neg") + body
    assert [fmt.decode_value(v) for v in values] == ["Dull, and long.", "1999", "Nope"]


def test_a_lone_text_follows_the_prompt_without_a_field_name(plain_tokenizer) -> None:
    fmt = row_format(plain_tokenizer)
    assert fmt.field_prefix_ids(0) == []
    ids, _, _ = fmt.encode_row(Row("pos", "Great"), 64)
    assert plain_tokenizer.decode(ids[len(fmt.prompt_ids("pos")) :]) == "Great<|endoftext|>"


def test_the_text_comes_first_and_only_a_lone_text_keeps_its_newlines(plain_tokenizer) -> None:
    fmt = row_format(plain_tokenizer, columns=["note"])
    assert fmt.fields == ("review", "note")
    assert plain_tokenizer.decode(fmt.value_ids(0, "two\nlines")) == " two lines\n"
    assert plain_tokenizer.decode(fmt.value_ids(1, "two\nlines")) == " two lines"
    assert all("\n" in plain_tokenizer.decode([i]) for i in fmt.stop_ids(0))
    assert fmt.stop_ids(1) == [plain_tokenizer.eos_token_id]
    lone = row_format(plain_tokenizer)
    assert plain_tokenizer.decode(lone.value_ids(0, "two\nlines")) == "two\nlines"


def test_rows_longer_than_the_limit_are_truncated_and_counted(plain_tokenizer) -> None:
    fmt = row_format(plain_tokenizer)
    rows = [Row("pos", "short"), Row("neg", "very long " * 200), Row("pos", "also long " * 50)]
    encoded = fmt.encode_rows(rows, max_seq_len=64)
    assert encoded.truncated == 2
    assert max(len(ids) for ids in encoded.input_ids) == 64
    assert encoded.input_ids[0][-1] == plain_tokenizer.eos_token_id


def test_a_long_text_is_cut_so_the_columns_after_it_are_still_learned(plain_tokenizer) -> None:
    fmt = row_format(plain_tokenizer, columns=["year", "title"])
    row = Row("pos", "very long " * 200, {"year": "2001", "title": "Epic"})
    ids, labels, truncated = fmt.encode_row(row, 64)
    assert truncated
    assert len(ids) <= 64
    tail = plain_tokenizer.decode(ids[len(fmt.prompt_ids("pos")) :])
    assert tail.startswith("review: very long very")
    assert tail.endswith("\nyear: 2001\ntitle: Epic<|endoftext|>")
    assert labels[-1] == plain_tokenizer.eos_token_id


def test_synthesising_the_text_or_label_column_again_is_refused(plain_tokenizer) -> None:
    with pytest.raises(BadInputError, match="always synthesised"):
        row_format(plain_tokenizer, columns=["label"])


def test_no_row_content_reaches_a_prompt(plain_tokenizer) -> None:
    fmt = row_format(plain_tokenizer)
    fmt.encode_rows([Row("pos", MARKER)], max_seq_len=64)
    assert all(MARKER not in fmt.prompt_text(label) for label in fmt.labels)


def test_a_sequence_limit_that_leaves_no_room_after_the_prompt_is_refused(plain_tokenizer) -> None:
    with pytest.raises(BadInputError, match=r"^The max sequence length \(\d+ tokens\) leaves no room for a row after"):
        row_format(plain_tokenizer).encode_rows([Row("pos", "text")], max_seq_len=12)
