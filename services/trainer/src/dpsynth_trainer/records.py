"""The shape of a row for the language model: its prompt, its fields, and the tokens that end them.

One home for how a row is written, so that training, sampling, re-scoring and the membership attack agree
token for token. A row of class `label` becomes

    prompt(label)  [text_column ":" " "] text  ["\\n" field_1 ":" " " value_1  ...]  end

- The prompt is a template over public inputs only: the dataset's subject, the label's owner-written
  description, the label column's name (`spec.prompt`). "chat" wraps the instruction in the model's chat
  template (its end-of-turn token ends the row), "plain" writes it as a line, "raw" is the bare label value.
- The fields are the text, then the other synthesised columns in the spec's order. The text comes first
  because it is what the prompt asks for: a pre-trained model asked to "write one review" writes the review
  into whichever field comes first, so a short column placed before the text (tried on a debate transcript:
  debate, speaker, word_count, then the statement) got a whole statement and the table's utility fell to
  chance. The sampler writes each field's name and separator itself and lets the model write only the values,
  so every generated row parses by construction; every value but the last ends at a newline (newlines inside
  values become spaces), the last at the end token. With no other column the text follows the prompt
  directly and keeps its newlines.
- A row longer than `max_seq_len` is cut: with other columns, inside its text, so that the columns after it
  are still learned; a lone text at the limit.
- Training puts the loss on the values and the end token only: the prompt and the field names are the
  sampler's, not the model's, to write.

Pieces are tokenised one by one, exactly as the sampler appends them, so that a trained row and a sampled
row are the same token sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from .contract import JobSpec, label_values, synthetic_header
from .data import Row
from .errors import BadInputError

IGNORE_INDEX = -100  # what torch's cross-entropy skips: prompt tokens, field names and padding carry no loss
# A byte-level token covers at least one character and practically never more than this many, so cutting a
# value here before tokenising loses nothing that truncation to `max_seq_len` tokens would keep.
_MAX_CHARS_PER_TOKEN = 64
# Chat templates that insert a long default system prompt would make every row pay for it.
SYSTEM_MESSAGE = "You write realistic example data."

Style = Literal["chat", "plain", "raw"]


def render_instruction(instruction: str, *, subject: str, label_column: str, description: str, value: str) -> str:
    """The instruction with its placeholders filled; unknown `{names}` are left as written."""
    values = {"subject": subject, "labelColumn": label_column, "label": description, "value": value}
    out, rest = [], instruction
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, closed, tail = after.partition("}")
        out.append(before)
        if closed and name in values:
            out.append(values[name])
            rest = tail
        else:
            out.append("{")
            rest = after
    out.append(rest)
    return "".join(out)


def _one_line(value: str) -> str:
    return " ".join(value.split())


@dataclass(frozen=True)
class EncodedRows:
    """Token ids with loss labels for every row, and how many rows were cut at `max_seq_len`."""

    input_ids: list[list[int]]
    labels: list[list[int]]
    truncated: int
    max_seq_len: int

    @property
    def tokens(self) -> int:
        return sum(len(ids) for ids in self.input_ids)


@dataclass(frozen=True)
class RowFormat:
    """How rows of one job are written for one tokenizer."""

    tokenizer: Any
    style: Style
    instruction: str
    subject: str
    label_column: str
    text_column: str
    descriptions: dict[str, str]
    columns: tuple[str, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def for_spec(cls, spec: JobSpec, tokenizer: Any) -> RowFormat:
        if tokenizer.eos_token_id is None:
            raise BadInputError("The model's tokenizer has no end-of-sequence token; it cannot learn where rows end.")
        values = label_values(spec.data)
        if len(set(values)) != len(values):
            raise BadInputError("data.labels names a label value twice; declared labels must be unique.")
        style = spec.prompt.style
        if style == "auto":
            style = "chat" if getattr(tokenizer, "chat_template", None) else "plain"
        if style == "chat" and not getattr(tokenizer, "chat_template", None):
            raise BadInputError(
                f"prompt.style is 'chat' but the model '{spec.model.id}' has no chat template; use 'plain'."
            )
        reserved = {spec.data.textColumn, spec.data.labelColumn}
        if reserved & set(spec.data.columns):
            raise BadInputError("data.columns lists the text or the label column; those are always synthesised.")
        synthetic_header(spec.data)  # refuses a synthetic.csv order that does not fit, before anything is trained
        return cls(
            tokenizer=tokenizer,
            style=style,
            instruction=spec.prompt.instruction,
            subject=spec.data.subject,
            label_column=spec.data.labelColumn,
            text_column=spec.data.textColumn,
            descriptions={label.value: label.description for label in spec.data.labels},
            columns=tuple(spec.data.columns),
        )

    @property
    def labels(self) -> list[str]:
        return list(self.descriptions)

    # -- prompts ---------------------------------------------------------------------------------------

    def prompt_text(self, label: str) -> str:
        """The prompt for `label` as the model sees it (chat markup included): public inputs only."""
        if self.style == "raw":
            return f"{label}\n"
        instruction = render_instruction(
            self.instruction,
            subject=self.subject,
            label_column=self.label_column,
            description=self.descriptions[label],
            value=label,
        )
        if self.style == "plain":
            return f"{instruction}\n"
        return self._chat_prompt(instruction)

    def _chat_prompt(self, instruction: str) -> str:
        for messages in (
            [{"role": "system", "content": SYSTEM_MESSAGE}, {"role": "user", "content": instruction}],
            [{"role": "user", "content": instruction}],  # templates without a system role
        ):
            try:
                return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            except Exception:
                continue
        raise BadInputError("The model's chat template could not render the prompt; use prompt.style 'plain'.")

    def prompt_ids(self, label: str) -> list[int]:
        key = f"prompt:{label}"
        if key not in self._cache:
            text = self.prompt_text(label)
            # A chat template writes its own begin-of-text markup; a plain prompt gets the tokenizer's BOS.
            self._cache[key] = self.tokenizer(text, add_special_tokens=self.style != "chat")["input_ids"]
        return self._cache[key]

    # -- fields ----------------------------------------------------------------------------------------

    @property
    def fields(self) -> tuple[str, ...]:
        """Every synthesised value in order: the text, then the other columns."""
        return (self.text_column, *self.columns)

    #: Where the text sits among `fields`.
    TEXT_INDEX = 0

    def field_prefix_ids(self, index: int) -> list[int]:
        """The tokens the sampler writes before field `index`: its name and a colon (none for a lone text)."""
        if not self.columns:
            return []
        key = f"prefix:{index}"
        if key not in self._cache:
            self._cache[key] = self._ids(f"{self.fields[index]}:")
        return self._cache[key]

    def value_ids(self, index: int, value: str, *, max_chars: int | None = None) -> list[int]:
        """The tokens of a value as training writes them: a leading space after a field name, and for all but
        the last field the newline that ends them (the last one's end token is added by `encode_row`)."""
        last = index == len(self.fields) - 1
        text = _one_line(value) if self.columns else value
        if max_chars is not None:
            text = text[:max_chars]
        if self.columns:
            text = f" {text}"
        return self._ids(text if last else f"{text}\n")

    @cached_property
    def end_ids(self) -> list[int]:
        """The token(s) that end a row: the chat template's end of turn, else the tokenizer's EOS."""
        if self.style == "chat":
            turn_end = self._chat_turn_end()
            if turn_end is not None:
                return [turn_end]
        return [self.tokenizer.eos_token_id]

    def _chat_turn_end(self) -> int | None:
        marker = "\u2063dpsynth\u2063"
        try:
            rendered = self.tokenizer.apply_chat_template(
                [{"role": "user", "content": "x"}, {"role": "assistant", "content": marker}], tokenize=False
            )
        except Exception:
            return None
        suffix = rendered.split(marker, 1)[1] if marker in rendered else ""
        ids = self._ids(suffix) if suffix else []
        special = set(getattr(self.tokenizer, "all_special_ids", []))
        return ids[0] if ids and ids[0] in special else None

    @cached_property
    def newline_ids(self) -> list[int]:
        """Every vocabulary token whose text holds a newline: each ends a value of the other columns."""
        vocab = self.tokenizer.get_vocab()
        ids = sorted(vocab.values())
        texts = self.tokenizer.batch_decode([[i] for i in ids])
        special = set(getattr(self.tokenizer, "all_special_ids", []))
        return [i for i, text in zip(ids, texts, strict=True) if "\n" in text and i not in special]

    def stop_ids(self, index: int) -> list[int]:
        """What ends field `index` when sampling."""
        if index == len(self.fields) - 1:
            return sorted({*self.end_ids, self.tokenizer.eos_token_id})
        return self.newline_ids

    def decode_value(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True).strip()

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    # -- whole rows ------------------------------------------------------------------------------------

    def continuation_ids(self, values: Sequence[Sequence[int]]) -> tuple[list[int], list[bool]]:
        """A row after its prompt, from each field's value tokens (as sampled or encoded), with the end token;
        and, per token, whether it is the model's to write (values and end) rather than the sampler's."""
        ids: list[int] = []
        learned: list[bool] = []
        for index, value in enumerate(values):
            prefix = self.field_prefix_ids(index)
            ids += prefix
            learned += [False] * len(prefix)
            ids += list(value)
            learned += [True] * len(value)
        ids += self.end_ids
        learned += [True] * len(self.end_ids)
        return ids, learned

    def row_values(self, row: Row, max_seq_len: int) -> list[list[int]]:
        cap = max_seq_len * _MAX_CHARS_PER_TOKEN
        raw = [row.text] + [row.extras.get(name, "") for name in self.columns]
        return [self.value_ids(index, value, max_chars=cap) for index, value in enumerate(raw)]

    def _cut_text(self, values: list[list[int]], row: Row, excess: int) -> list[list[int]] | None:
        """`values` with the text `excess` tokens shorter (its newline kept, so the columns after it follow as
        always); None when the text is too short to make room."""
        text = self._ids(f" {_one_line(row.text)[: len(values[self.TEXT_INDEX]) * _MAX_CHARS_PER_TOKEN]}")
        keep = len(values[self.TEXT_INDEX]) - excess - len(self.newline)
        if keep < 1:
            return None
        return [text[:keep] + self.newline, *values[self.TEXT_INDEX + 1 :]]

    @cached_property
    def newline(self) -> list[int]:
        return self._ids("\n")

    def encode_row(self, row: Row, max_seq_len: int) -> tuple[list[int], list[int], bool]:
        """(input ids, loss labels, whether it was truncated) of one training row."""
        prompt = self.prompt_ids(row.label)
        values = self.row_values(row, max_seq_len)
        body, learned = self.continuation_ids(values)
        excess = len(prompt) + len(body) - max_seq_len
        cut = self._cut_text(values, row, excess) if excess > 0 and self.columns else None
        if cut is not None:
            body, learned = self.continuation_ids(cut)
        ids = prompt + body
        labels = [IGNORE_INDEX] * len(prompt) + [
            t if keep else IGNORE_INDEX for t, keep in zip(body, learned, strict=True)
        ]
        return ids[:max_seq_len], labels[:max_seq_len], excess > 0

    def encode_rows(self, rows: Sequence[Row], *, max_seq_len: int) -> EncodedRows:
        longest_prompt = max(len(self.prompt_ids(label)) for label in self.labels)
        if longest_prompt + 8 > max_seq_len:
            raise BadInputError(
                f"The max sequence length ({max_seq_len} tokens) leaves no room for a row after its prompt of "
                f"{longest_prompt} tokens; raise it to at least {longest_prompt + 32}."
            )
        all_ids, all_labels, truncated = [], [], 0
        for row in rows:
            ids, labels, cut = self.encode_row(row, max_seq_len)
            all_ids.append(ids)
            all_labels.append(labels)
            truncated += cut
        return EncodedRows(all_ids, all_labels, truncated, max_seq_len)
