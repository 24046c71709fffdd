"""Real Opacus DP-SGD on the CPU with tiny models: calibration, the guard, clipping, the shared code path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from opacus.accountants.utils import get_noise_multiplier

from dpsynth_trainer.errors import BadInputError, BudgetExceededError, CancelledError
from dpsynth_trainer.events import EventEmitter
from dpsynth_trainer.models import apply_finetune, create_model, load_trained_model, register_grad_samplers
from dpsynth_trainer.records import RowFormat
from dpsynth_trainer.sampling import SamplingConfig, generate_rows
from dpsynth_trainer.training import CancelWatch, train, training_budget
from dpsynth_trainer.training.batches import SequenceDataset, make_collate
from dpsynth_trainer.training.forward import next_token_logits
from dpsynth_trainer.training.loss import SequenceCrossEntropy
from dpsynth_trainer.training.precision import compute_dtype, training_dtype
from dpsynth_trainer.training.privacy import make_trainable
from dpsynth_trainer.training.step import physical_pass
from training_support import read_events, settings, spec, training_rows

N_ROWS = 160


def run(tmp_path: Path, name: str, job, **kwargs):
    out = tmp_path / name
    emitter = EventEmitter.to_jsonl(out / "events.jsonl", job_id=job.jobId)
    result = train(job, training_rows(N_ROWS), out, emitter, settings=settings(), **kwargs)
    return result, read_events(out / "events.jsonl")


def test_calibrated_run_ends_at_most_at_the_target_and_within_5_percent(tmp_path: Path) -> None:
    job = spec(N_ROWS, privacy={"epsilon": 3, "accountant": "prv", "clipping": "ghost"}, training={"epochs": 1})
    result, events = run(tmp_path, "calibrated", job)
    s = result.summary
    assert s.epsilon <= 3 and s.epsilon >= 0.95 * 3
    assert s.accountant == "prv" and s.clipping == "ghost"  # LoRA layers all have ghost norm samplers
    assert s.steps == int(1 / s.sampleRate) == 4 and s.sampleRate == pytest.approx(1 / 4)
    metrics = [e for e in events if e["type"] == "metric"]
    privacy = [e for e in events if e["type"] == "privacy"]
    assert [m["step"] for m in metrics] == list(range(1, s.steps + 1))
    assert {"train/loss", "privacy/epsilon", "perf/samples_per_s", "perf/tokens_per_s"} <= set(metrics[0]["values"])
    assert {m["values"]["train/total_steps"] for m in metrics} == {s.steps}  # the plan, in every step's metric
    assert [p["steps"] for p in privacy] == list(range(1, s.steps + 1))
    assert privacy[-1]["epsilon"] == pytest.approx(s.epsilon) and privacy[-1]["mechanism"] == "dp-sgd"
    epsilons = [p["epsilon"] for p in privacy]
    assert epsilons == sorted(epsilons)
    assert [e["stage"] for e in events if e["type"] == "stage"] == ["loading", "training"]
    assert (result.model_dir / "adapter_model.safetensors").exists()


def test_a_run_configured_to_overspend_stops_before_the_step_that_would(tmp_path: Path) -> None:
    # The noise that epsilon 3 allows for 4 steps, in a run that plans 8: the guard must stop it before step 5.
    sigma = get_noise_multiplier(target_epsilon=3, target_delta=1e-4, sample_rate=0.25, steps=4, accountant="rdp")
    with pytest.raises(BudgetExceededError) as caught:
        run(tmp_path, "overspend", spec(N_ROWS, privacy={"epsilon": 3}), noise_multiplier=sigma)
    assert caught.value.code == "budget_exceeded"
    assert "Training stopped before step 5" in caught.value.message
    assert "above the approved 3 for training" in caught.value.message
    privacy = [e for e in read_events(tmp_path / "overspend" / "events.jsonl") if e["type"] == "privacy"]
    assert [p["steps"] for p in privacy] == [1, 2, 3, 4]
    assert all(p["epsilon"] <= 3 for p in privacy)


def test_private_and_non_private_runs_share_the_path_and_differ_in_the_engine_only(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("secrets.randbits", lambda bits: 1234)  # same Poisson batches in both runs
    one_epoch = {"epochs": 1}
    private, private_events = run(tmp_path, "private", spec(N_ROWS, privacy={"epsilon": 8}, training=one_epoch))
    baseline, baseline_events = run(
        tmp_path, "baseline", spec(N_ROWS, privacy={"epsilon": "inf", "delta": 0}, training=one_epoch)
    )
    first = [next(e for e in evs if e["type"] == "metric")["values"] for evs in (private_events, baseline_events)]
    assert first[0]["train/loss"] == pytest.approx(first[1]["train/loss"], rel=1e-6)  # same model, batch, loss
    assert baseline.summary.steps == private.summary.steps
    assert baseline.summary.epsilon == "inf" and baseline.summary.accountant == "none"
    assert baseline.summary.clipping == "none" and baseline.summary.noiseMultiplier == 0
    assert not [e for e in baseline_events if e["type"] == "privacy"]
    assert "privacy/epsilon" not in first[1]


@pytest.mark.parametrize(
    ("model", "finetune", "clipping"), [("tiny-gpt2", "full", "hooks"), ("tiny-llama", "lora", "ghost")]
)
def test_with_no_noise_and_no_clipping_both_branches_take_the_same_step(model, finetune, clipping) -> None:
    register_grad_samplers()
    updates = []
    for epsilon in (8, "inf"):
        privacy = {"epsilon": epsilon, "maxGradNorm": 1000, "clipping": clipping}  # above any row's norm
        job = spec(N_ROWS, model={"id": model, "finetune": finetune}, privacy=privacy)
        torch.manual_seed(0)
        loaded = create_model(job.model, cache_dir=settings().model_cache, device=torch.device("cpu"))
        net = apply_finetune(loaded.model, job.model)
        encoded = RowFormat.for_spec(job, loaded.tokenizer).encode_rows(training_rows(N_ROWS).rows, max_seq_len=32)
        loader = torch.utils.data.DataLoader(
            SequenceDataset(encoded), batch_size=40, collate_fn=make_collate(loaded.tokenizer.pad_token_id)
        )
        before = {n: p.detach().clone() for n, p in net.named_parameters() if p.requires_grad}
        trainable = make_trainable(
            model=net,
            optimizer=torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=1.0),
            data_loader=loader,
            budget=training_budget(job.privacy, N_ROWS),
            privacy=job.privacy,
            epochs=1,
            noise_generator=torch.Generator(),
            noise_multiplier=0.0 if epsilon != "inf" else None,
        )
        assert trainable.clipping == (clipping if epsilon != "inf" else "none")
        input_ids, attention, labels = next(iter(loader))
        logits, targets = next_token_logits(net, input_ids, attention, labels)
        loss = trainable.criterion(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), shape=logits.shape)
        loss.backward()
        trainable.optimizer.step()
        trainable.cleanup()
        updates.append({n: p.detach() - before[n] for n, p in net.named_parameters() if p.requires_grad})
    for name, update in updates[0].items():
        assert torch.allclose(update, updates[1][name], rtol=1e-4, atol=1e-7), name
    assert any(u.abs().sum() > 0 for u in updates[0].values())


@pytest.mark.parametrize(
    ("model", "finetune", "clipping", "precision"),
    [
        ("tiny-gpt2", "full", "hooks", "fp32"),
        ("tiny-gpt2", "lora", "ghost", "fp32"),
        ("tiny-gpt2", "lora", "hooks", "bf16"),
        ("tiny-gpt2", "full", "hooks", "bf16"),
        ("tiny-gpt2", "full", "ghost", "fp32"),
        ("tiny-llama", "full", "ghost", "fp32"),
        ("tiny-llama", "lora", "ghost", "bf16"),
    ],
)
def test_per_sample_gradients_are_clipped_to_the_clip_norm(
    model: str, finetune: str, clipping: str, precision: str
) -> None:
    """Also under bf16 autocast: per-sample gradients and their norms stay float32, so the bound holds exactly.
    Ghost clipping's second pass would realise the clipped gradient in bf16 (up to 0.3% over the bound), so a
    ghost run asked for in bf16 trains in float32.
    Full fine-tuning under ghost clipping covers the norm layers and leaves a tied embedding frozen."""
    clip = 1e-3
    register_grad_samplers()
    job = spec(
        N_ROWS,
        model={"id": model, "finetune": finetune},
        privacy={"epsilon": 8, "maxGradNorm": clip, "clipping": clipping},
        training={"precision": precision},
    )
    dtype = training_dtype(precision, torch.device("cpu"), clipping)
    assert dtype == (torch.float32 if clipping == "ghost" else compute_dtype(precision, torch.device("cpu")))
    loaded = create_model(job.model, cache_dir=settings().model_cache, device=torch.device("cpu"))
    net = apply_finetune(loaded.model, job.model)
    for module in net.modules():  # the same rows must give the same gradients alone and in a batch
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    encoded = RowFormat.for_spec(job, loaded.tokenizer).encode_rows(training_rows(8).rows, max_seq_len=32)
    collate = make_collate(loaded.tokenizer.pad_token_id)
    dataset = SequenceDataset(encoded)
    trainable = make_trainable(
        model=net,
        optimizer=torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1),
        data_loader=torch.utils.data.DataLoader(dataset, batch_size=8, collate_fn=collate),
        budget=training_budget(job.privacy, N_ROWS),
        privacy=job.privacy,
        epochs=1,
        noise_generator=torch.Generator(),
        noise_multiplier=0.0,
    )
    assert trainable.clipping == clipping
    params = [p for p in net.parameters() if p.requires_grad]

    def clipped_sum(indices: list[int]) -> torch.Tensor:
        """The optimizer's clipped, summed (not yet noised) gradient of these rows, flattened."""
        physical_pass(trainable, collate([dataset[i] for i in indices]), dtype=dtype)
        if clipping == "hooks":
            assert all(p.grad_sample.dtype == torch.float32 for p in params)
        trainable.optimizer.signal_skip_step(do_skip=True)  # clip and accumulate only: no noise, no update
        trainable.optimizer.step()
        flat = torch.cat([p.summed_grad.reshape(-1) for p in params])
        for p in params:
            p.summed_grad = None
            p.grad = None
        trainable.optimizer.zero_grad()
        return flat

    singles = [clipped_sum([i]) for i in range(8)]
    norms = torch.stack([s.norm() for s in singles])
    assert torch.all(norms <= clip * (1 + 1e-4)), norms
    assert torch.all(norms >= clip * 0.99), "raw gradients must exceed the clip norm for the check to mean anything"
    # A batch's rows are clipped one by one: the batch's sum is the sum of the rows' (bf16 rounds the activations
    # of a batch and of a single row differently, hence its looser tolerance).
    tolerance = 1e-3 if precision == "fp32" else 5e-2
    assert torch.allclose(clipped_sum(list(range(8))), torch.stack(singles).sum(dim=0), rtol=tolerance, atol=1e-9)
    trainable.cleanup()


@pytest.mark.parametrize("model", ["tiny-gpt2", "tiny-llama"])
def test_ghost_clipping_of_full_fine_tuning_measures_each_rows_whole_gradient(model: str) -> None:
    """The norms ghost clipping clips by (its first backward pass computes no weight gradient, training/ghost.py)
    are the norms of each row's gradient over every trainable weight, computed directly one row at a time."""
    register_grad_samplers()
    job = spec(8, model={"id": model, "finetune": "full"}, privacy={"epsilon": 8, "clipping": "ghost"})
    loaded = create_model(job.model, cache_dir=settings().model_cache, device=torch.device("cpu"))
    net = apply_finetune(loaded.model, job.model)
    for module in net.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    encoded = RowFormat.for_spec(job, loaded.tokenizer).encode_rows(training_rows(8).rows, max_seq_len=32)
    collate, dataset = make_collate(loaded.tokenizer.pad_token_id), SequenceDataset(encoded)
    params = [p for p in net.parameters() if p.requires_grad]
    direct = []
    for i in range(8):
        logits, targets = next_token_logits(net, *collate([dataset[i]]))
        loss = SequenceCrossEntropy(reduction="mean")(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        direct.append(torch.cat([g.flatten() for g in torch.autograd.grad(loss, params)]).norm())
    trainable = make_trainable(
        model=net,
        optimizer=torch.optim.SGD(params, lr=0.1),
        data_loader=torch.utils.data.DataLoader(dataset, batch_size=8, collate_fn=collate),
        budget=training_budget(job.privacy, 8),
        privacy=job.privacy,
        epochs=1,
        noise_generator=torch.Generator(),
        noise_multiplier=0.0,
    )
    assert trainable.clipping == "ghost"
    physical_pass(trainable, collate([dataset[i] for i in range(8)]), dtype=torch.float32)
    assert torch.allclose(trainable.hooks.per_sample_gradient_norms, torch.stack(direct), rtol=1e-4)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in params)  # the second pass's clipped sum
    trainable.cleanup()


@pytest.mark.parametrize("model", ["tiny-gpt2", "tiny-llama"])
def test_dp_full_fine_tuning_under_ghost_clipping_trains_saves_reloads_and_samples(model: str, tmp_path: Path):
    job = spec(
        16,
        model={"id": model, "finetune": "full"},
        privacy={"epsilon": 8, "delta": 1e-3, "clipping": "ghost"},
        training={"epochs": 1, "logicalBatchSize": 8, "physicalBatchSize": 4, "precision": "fp32"},
    )
    emitter = EventEmitter.to_jsonl(tmp_path / "events.jsonl", job_id=job.jobId)
    result = train(job, training_rows(16), tmp_path, emitter, settings=settings())
    assert result.summary.clipping == "ghost" and result.summary.steps == 2
    base = create_model(job.model, cache_dir=settings().model_cache, device=torch.device("cpu")).model
    before = dict(base.named_parameters())
    for name, p in result.model.named_parameters():
        tied = p is result.model.get_input_embeddings().weight and model == "tiny-gpt2"
        assert torch.equal(p, before[name]) is tied, name  # every trainable weight moved; the tied one did not
    trained = load_trained_model(tmp_path / "model", cache_dir=settings().model_cache, device=torch.device("cpu"))
    assert (trained.model.get_output_embeddings().weight is trained.model.get_input_embeddings().weight) is (
        model == "tiny-gpt2"
    )
    row_format = RowFormat.for_spec(job, trained.tokenizer)
    ids = torch.tensor([row_format.prompt_ids("fresh")])
    with torch.no_grad():
        assert torch.allclose(result.model(input_ids=ids).logits, trained.model(input_ids=ids).logits, atol=1e-5)
    sampled = generate_rows(
        trained.model,
        row_format,
        {"fresh": 2, "rotten": 2},
        prior={"fresh": 0.5, "rotten": 0.5},
        config=SamplingConfig(max_new_tokens=8, batch_size=4, seed=1),
    )
    assert sorted(row.label for row in sampled.rows) == ["fresh", "fresh", "rotten", "rotten"]


@pytest.mark.parametrize("model", ["tiny-llama", "tiny-gpt2"])
def test_one_dp_step_really_changes_the_lora_weights_and_the_saved_adapter(model: str, tmp_path: Path) -> None:
    """Opacus #820: with peft >= 0.14 LoRA updates can be silently lost. peft starts every lora_B at zero, so
    after one DP step each must have moved, and the saved adapter must change what the model predicts."""
    job = spec(8, model={"id": model, "finetune": "lora"}, training={"epochs": 1, "logicalBatchSize": 8})
    emitter = EventEmitter.to_jsonl(tmp_path / "events.jsonl", job_id=job.jobId)
    result = train(job, training_rows(8), tmp_path, emitter, settings=settings())
    assert result.summary.steps == 1
    lora_b = {n: p for n, p in result.model.named_parameters() if "lora_B" in n}
    assert lora_b and all(p.abs().sum() > 0 for p in lora_b.values()), "a LoRA update was lost"
    trained = load_trained_model(tmp_path / "model", cache_dir=settings().model_cache, device=torch.device("cpu"))
    base = create_model(job.model, cache_dir=settings().model_cache, device=torch.device("cpu")).model
    ids = torch.tensor([RowFormat.for_spec(job, trained.tokenizer).prompt_ids("fresh")])
    with torch.no_grad():
        assert not torch.allclose(trained.model(input_ids=ids).logits, base(input_ids=ids).logits)


def test_cancel_stops_between_steps_after_saving_a_checkpoint_and_resume_finishes(tmp_path: Path) -> None:
    class CancelBeforeStep3(CancelWatch):
        calls = 0

        def requested(self) -> bool:
            self.calls += 1
            return self.calls == 3

    job = spec(N_ROWS, training={"epochs": 1})
    out = tmp_path / "cancel"
    with pytest.raises(CancelledError, match="after 2 training steps"):
        run(tmp_path, "cancel", job, cancel=CancelBeforeStep3(out))
    with pytest.raises(BadInputError, match="already holds a started training run") as refused:
        run(tmp_path, "cancel", job)
    assert str(tmp_path) not in str(refused.value)  # owners read it: no path of the server's
    result, events = run(tmp_path, "cancel", job, resume=True)
    assert result.summary.steps == 4
    assert [e["step"] for e in events if e["type"] == "metric"] == list(range(1, 5))


def test_qlora_on_the_cpu_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"QLoRA .* needs a CUDA GPU"):
        run(tmp_path, "qlora", spec(N_ROWS, model={"finetune": "qlora"}))


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))


@pytest.mark.parametrize("finetune", ["lora", "full"])
def test_logical_batches_with_no_row_still_take_a_noised_step(tmp_path: Path, monkeypatch, finetune: str) -> None:
    # 10 rows at sampling rate 1/10: a third of the Poisson batches are empty; with these fixed generator seeds
    # the first six steps draw at least one (the sampler is seeded from OS entropy outside tests).
    monkeypatch.setattr("secrets.randbits", lambda bits: 7)
    job = spec(
        10,
        model={"finetune": finetune},
        privacy={"epsilon": 50, "delta": 1e-3},
        training={"epochs": 0.65, "logicalBatchSize": 1, "physicalBatchSize": 1},  # 6 steps
    )
    out = tmp_path / finetune
    emitter = EventEmitter.to_jsonl(out / "events.jsonl", job_id=job.jobId)
    result = train(job, training_rows(10), out, emitter, settings=settings())
    metrics = [e["values"] for e in read_events(out / "events.jsonl") if e["type"] == "metric"]
    assert result.summary.steps == len(metrics) == 6
    assert any(m["perf/samples_per_s"] == 0 for m in metrics), "expected at least one empty Poisson batch"
