"""A small byte-level BPE tokenizer for the config-built test models, trained on public text.

The text is the dataset descriptions that scikit-learn ships (a fixed, public corpus installed with the
trainer). It is never trained on an owner's data: a vocabulary learned from private rows would itself leak
which words occur in them. Byte-level BPE still encodes any input, word pieces it has not seen included.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

EOS_TOKEN = "<|endoftext|>"


def public_corpus() -> list[str]:
    """The training text: scikit-learn's dataset descriptions, in a fixed order."""
    descr = resources.files("sklearn.datasets") / "descr"
    names = sorted(entry.name for entry in descr.iterdir() if entry.name.endswith(".rst"))
    return [(descr / name).read_text(encoding="utf-8") for name in names]


def train_public_tokenizer(vocab_size: int) -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(public_corpus(), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token=EOS_TOKEN, pad_token=EOS_TOKEN)


def save_public_tokenizer(directory: Path, vocab_size: int) -> None:
    train_public_tokenizer(vocab_size).save_pretrained(directory)
