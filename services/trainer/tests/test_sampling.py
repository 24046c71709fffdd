"""Sampling: rows of the table's shape by construction, quotas met or a shortfall said, guidance and re-scoring."""

from __future__ import annotations

import csv
import math
from dataclasses import replace

import pytest
import torch

from dpsynth_trainer.errors import BadInputError, CancelledError
from dpsynth_trainer.models.registry import create_model
from dpsynth_trainer.records import RowFormat
from dpsynth_trainer.sampling import SamplingConfig, SyntheticRow, generate_rows, write_synthetic_csv
from dpsynth_trainer.sampling.decode import (
    DecodeOptions,
    decode_field,
    next_distribution,
    next_scores,
    shared_prefill,
)
from dpsynth_trainer.sampling.rescore import label_posteriors
from training_support import settings, spec

LABELS = ["fresh", "rotten"]
UNIFORM = {"fresh": 0.5, "rotten": 0.5}


@pytest.fixture(scope="module")
def tiny():
    job = spec(10, model={"id": "tiny-llama", "finetune": "lora"})
    return create_model(job.model, cache_dir=settings().model_cache, device=torch.device("cpu"))


def fmt_for(tiny, columns=()):
    return RowFormat.for_spec(spec(10, data={"columns": list(columns)}), tiny.tokenizer)


def config(**overrides) -> SamplingConfig:
    return SamplingConfig(**{"max_new_tokens": 8, "batch_size": 6, "seed": 1, **overrides})


def test_an_untrained_model_still_writes_every_column_of_a_wider_table(tiny) -> None:
    """The sampler writes the structure, so even a model that never saw the table yields parseable rows."""
    fmt = fmt_for(tiny, columns=["product_id", "year"])
    result = generate_rows(tiny.model, fmt, {"fresh": 4, "rotten": 3}, prior=UNIFORM, config=config())
    assert len(result.rows) == 7 and result.shortfall == 0
    assert sorted(row.label for row in result.rows) == ["fresh"] * 4 + ["rotten"] * 3
    assert all(set(row.extras) == {"product_id", "year"} and row.text for row in result.rows)
    assert all("\n" not in value for row in result.rows for value in row.extras.values())


def test_every_candidate_is_delivered_dropped_or_rejected_and_counted(tiny) -> None:
    progress = []
    result = generate_rows(
        tiny.model,
        fmt_for(tiny),
        {"fresh": 5, "rotten": 5},
        prior=UNIFORM,
        config=config(guidance=1.5, rescoring=True),
        progress=lambda *p: progress.append(p),
    )
    assert result.generated == result.failed + result.rejected + result.kept
    assert len(result.rows) <= result.kept
    assert progress[-1][:2] == (result.generated, len(result.rows))
    assert 0 <= result.acceptance_rate <= 1


def test_a_candidate_budget_too_small_ends_in_a_stated_shortfall(tiny) -> None:
    result = generate_rows(
        tiny.model,
        fmt_for(tiny),
        {"fresh": 6, "rotten": 6},
        prior=UNIFORM,
        config=config(rescoring=True, max_candidates_per_row=1),
    )
    assert result.generated == 12
    assert result.shortfall == 12 - len(result.rows)
    assert result.shortfall > 0  # a random model's own posterior rejects some of its rows


def test_rows_below_the_threshold_fill_a_shortfall_and_are_counted(tiny) -> None:
    """No candidate can reach a posterior of 1: the clearest own-label winners are delivered instead of nothing."""
    result = generate_rows(
        tiny.model,
        fmt_for(tiny),
        {"fresh": 4, "rotten": 4},
        prior=UNIFORM,
        config=config(rescoring=True, min_posterior=1.0, max_candidates_per_row=3),
    )
    assert result.kept == 0 and result.generated == 24
    assert len(result.rows) == result.below_threshold > 0


def test_a_seed_repeats_the_same_rows(tiny) -> None:
    runs = [
        generate_rows(tiny.model, fmt_for(tiny), {"fresh": 3, "rotten": 3}, prior=UNIFORM, config=config(guidance=1))
        for _ in range(2)
    ]
    assert [r.text for r in runs[0].rows] == [r.text for r in runs[1].rows]


def test_cancellation_is_checked_between_batches(tiny) -> None:
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(CancelledError):
        generate_rows(tiny.model, fmt_for(tiny), {"fresh": 20}, prior=UNIFORM, config=config(), cancel_check=cancel)


def test_guidance_favours_what_the_own_label_makes_likelier_within_what_it_finds_plausible() -> None:
    # One row, two streams (own prompt, one contrast), a vocabulary of four tokens.
    own = torch.log(torch.tensor([0.40, 0.40, 0.19, 0.01]))
    other = torch.log(torch.tensor([0.70, 0.10, 0.10, 0.10]))
    logits = torch.stack([own, other])
    plain = next_scores(logits, 2, DecodeOptions(guidance=0)).softmax(-1)[0]
    guided = next_scores(logits, 2, DecodeOptions(guidance=2, plausibility=0.1)).softmax(-1)[0]
    assert guided[1] > plain[1] and guided[0] < plain[0]  # token 1 is what sets this label apart
    assert guided[3] == 0  # 0.01 < 0.1 * 0.40: implausible under the own prompt, whatever the contrast says
    assert math.isclose(float(plain.sum()), 1.0, rel_tol=1e-6)


def reference_distribution(logits: torch.Tensor, streams: int, options: DecodeOptions) -> torch.Tensor:
    """The decoding rule written out row by row over the whole vocabulary, as the module docstring states it."""
    out = []
    for row in logits.double().view(-1, streams, logits.shape[-1]):
        p = row.softmax(dim=-1)
        own = p[0].log()
        if options.guidance and streams > 1:
            contrast = p[1:].mean(dim=0).log()
            scores = own + options.guidance * (own - contrast)
            scores[p[0] < options.plausibility * p[0].max()] = float("-inf")
        else:
            scores = own.clone()
        q = (scores / options.temperature).softmax(dim=-1)
        if options.top_p < 1:
            order = q.argsort(descending=True)
            before = q[order].cumsum(dim=0) - q[order]  # mass of the likelier tokens
            q[order[before > options.top_p]] = 0
            q = q / q.sum()
        out.append(q)
    return torch.stack(out).float()


@pytest.mark.parametrize(
    ("streams", "options"),
    [
        (1, DecodeOptions(temperature=0.7, top_p=0.9)),
        (1, DecodeOptions(temperature=1.0, top_p=1.0)),
        (3, DecodeOptions(temperature=1.0, top_p=0.95, guidance=1.5)),
        (2, DecodeOptions(temperature=0.5, top_p=0.8, guidance=3.0, plausibility=0.01)),
    ],
)
@pytest.mark.parametrize("spread", [8.0, 0.05])  # peaked rows, then rows so flat that the candidates cannot hold them
def test_drawing_from_the_likeliest_tokens_gives_the_whole_vocabularys_distribution(streams, options, spread) -> None:
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn((6 * streams, 500), generator=generator) * spread
    ids, probs = next_distribution(logits, streams, replace(options, candidates=32))
    expected = reference_distribution(logits, streams, options)
    got = torch.zeros_like(expected).scatter(-1, ids, probs)
    assert torch.allclose(got, expected, atol=1e-6)
    assert ids.shape[-1] == (32 if spread == 8.0 and options.top_p < 1 else 500)


def test_decoding_stops_at_a_stop_token_and_leaves_it_out(tiny) -> None:
    fmt = fmt_for(tiny)
    prompts = [fmt.prompt_ids("fresh"), fmt.prompt_ids("rotten")]
    everything = list(range(tiny.model.get_output_embeddings().weight.shape[0]))
    out = decode_field(
        tiny.model,
        prompts,
        [[(0, [])], [(1, [])]],
        stop_ids=everything,
        pad_id=0,
        options=DecodeOptions(max_new_tokens=5),
        generator=torch.Generator().manual_seed(0),
    )
    assert [(o.ids, o.stopped) for o in out] == [([], True), ([], True)]


def test_rows_that_finish_early_leave_the_batch_without_changing_the_others(tiny) -> None:
    """Greedy decoding of a batch, whose finished rows are dropped from the cache as it goes, matches decoding
    each row alone."""
    fmt = fmt_for(tiny)
    prompts = [fmt.prompt_ids("fresh"), fmt.prompt_ids("rotten")]
    vocab = tiny.model.get_output_embeddings().weight.shape[0]
    stops = list(range(0, vocab, 3))  # a third of the vocabulary ends a row: rows stop at different steps
    rows = [[(i % 2, list(range(1, 2 + i)))] for i in range(8)]
    greedy = DecodeOptions(temperature=1e-6, max_new_tokens=12)

    def decode(batch):
        generator = torch.Generator().manual_seed(0)
        return decode_field(tiny.model, prompts, batch, stop_ids=stops, pad_id=0, options=greedy, generator=generator)

    together = decode(rows)
    assert len({len(out.ids) for out in together}) > 1  # the rows did finish at different steps
    assert [out.ids for out in together] == [decode([row])[0].ids for row in rows]


def test_shared_prompts_and_tails_give_the_logits_of_the_whole_sequence(tiny) -> None:
    """Copying a prompt's cache to each stream and padding tails in the middle must change nothing."""
    fmt = fmt_for(tiny, columns=["year"])
    prompts = [fmt.prompt_ids("fresh"), fmt.prompt_ids("rotten")]
    tails = [fmt.field_prefix_ids(0), [*fmt.field_prefix_ids(0), *fmt.value_ids(0, "1999"), *fmt.field_prefix_ids(1)]]
    streams = [(0, tails[0]), (1, tails[1]), (1, [])]
    with torch.inference_mode():
        state = shared_prefill(tiny.model, prompts, streams, pad_id=0)
        scored = shared_prefill(tiny.model, prompts, streams, pad_id=0, tail_padding="right")
        for row, (k, tail) in enumerate(streams):
            whole = torch.tensor([[*prompts[k], *tail]])
            logits = tiny.model(input_ids=whole).logits[0]
            assert torch.allclose(state.next_logits[row], logits[-1], atol=1e-4)
            assert torch.allclose(state.prompt_logits[row], logits[len(prompts[k]) - 1], atol=1e-4)
            if tail:
                assert torch.allclose(scored.tail_logits[row, : len(tail)], logits[len(prompts[k]) :], atol=1e-4)


def test_the_posterior_weighs_the_likelihoods_by_the_label_mix() -> None:
    likelihoods = torch.tensor([[-10.0, -12.0], [-10.0, -11.0]], dtype=torch.float64)
    posterior = label_posteriors(likelihoods, LABELS, {"fresh": 0.2, "rotten": 0.8})
    assert posterior[0].argmax() == 0  # e^2 times likelier under fresh outweighs a 1:4 prior
    assert posterior[1].argmax() == 1  # e^1 does not
    assert torch.allclose(posterior.sum(-1), torch.ones(2, dtype=torch.float64))


def test_the_synthetic_csv_has_the_uploads_header_and_defuses_formulas(tmp_path) -> None:
    rows = [
        SyntheticRow("rotten", '=HYPERLINK("x")', {"year": "+1999"}),
        SyntheticRow("fresh", 'says "hi", twice', {"year": "2001"}),
    ]
    path = tmp_path / "synthetic.csv"
    # The upload had its columns as year, label, review: the synthetic file keeps that order.
    data = spec(10, data={"columns": ["year"], "outputColumns": ["year", "label", "review"]}).data
    write_synthetic_csv(path, rows, data)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "year,label,review"
    assert list(csv.DictReader(path.open(encoding="utf-8"))) == [
        {"review": '\'=HYPERLINK("x")', "label": "rotten", "year": "'+1999"},
        {"review": 'says "hi", twice', "label": "fresh", "year": "2001"},
    ]
    write_synthetic_csv(path, rows[:1], spec(10, data={"columns": ["year"]}).data, escape_formulas=False)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "review,label,year"  # no order given
    assert next(csv.DictReader(path.open(encoding="utf-8")))["review"] == '=HYPERLINK("x")'


def test_a_synthetic_csv_order_that_is_not_the_synthesised_columns_is_refused_before_training(tiny) -> None:
    for order in (["review", "label"], ["review", "label", "year", "year"], ["review", "label", "price"]):
        with pytest.raises(BadInputError, match="outputColumns"):
            RowFormat.for_spec(spec(10, data={"columns": ["year"], "outputColumns": order}), tiny.tokenizer)
