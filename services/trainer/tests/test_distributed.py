"""One job trained by two processes under `torchrun` (gloo, CPU) is one DP-SGD run.

The same spec on one process and on two spends exactly the same epsilon (the same noise multiplier, sampling
rate and number of steps), the noise is drawn once per logical step (by rank 0), every row's gradient is clipped
before noise on both ranks, a run stopped after a few steps resumes from its checkpoint, and only rank 0 writes:
events (each step and each privacy charge once), checkpoints and the model. `ddp_driver.py` runs the trainer's
real command line in each process and records what it clipped, noised and tried to write.

Slow: two `torchrun` launches of two processes each (a minute or two of CPU), sharing one module fixture.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

from dpsynth_trainer.contract import TrainingSummary
from dpsynth_trainer.errors import BadInputError
from dpsynth_trainer.events import EventEmitter
from dpsynth_trainer.training import train
from dpsynth_trainer.training.batches import ShardedPoissonBatches
from training_support import (
    csv_bytes,
    fixture_rows,
    raw_spec,
    read_events,
    settings,
    spec,
    subprocess_env,
    training_rows,
    wait_for_step,
)

DRIVER = Path(__file__).with_name("ddp_driver.py")
N_ROWS = 120
MAX_GRAD_NORM = 0.01  # the reference clipping norm: every row's gradient of the tiny model is larger
STEPS = 8  # two epochs at sampling rate 30/120
STOP_AFTER = 2


def overrides(devices: int) -> dict[str, Any]:
    return {
        "privacy": {"maxGradNorm": MAX_GRAD_NORM},
        "training": {"epochs": 2, "logicalBatchSize": 30, "physicalBatchSize": 15, "devices": devices},
    }


@dataclass(frozen=True)
class Runs:
    reference: TrainingSummary
    out: Path
    first: subprocess.CompletedProcess
    resumed: subprocess.CompletedProcess
    #: Per run (first, resumed), per rank: what ddp_driver.py recorded.
    probes: list[list[dict[str, Any]]]

    def events(self) -> list[dict[str, Any]]:
        return read_events(self.out / "events.jsonl")


def torchrun(tmp: Path, out: Path, probe: Path, *extra: str) -> list[str]:
    """The docstring's `torchrun` command (two CPU processes), each process under `ddp_driver.py`'s probes."""
    probe.mkdir()
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", str(DRIVER)]
    files = ["--spec", str(tmp / "spec.json"), "--data", str(tmp / "train.csv"), "--out", str(out)]
    return [*launch, "train", *files, *extra]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    tmp = tmp_path_factory.mktemp("ddp")
    (tmp / "train.csv").write_bytes(csv_bytes(fixture_rows(N_ROWS)))
    (tmp / "spec.json").write_text(json.dumps(raw_spec(N_ROWS, **overrides(2))), encoding="utf-8")
    reference_out = tmp / "one-process"
    reference = train(
        spec(N_ROWS, **overrides(1)),
        training_rows(N_ROWS),
        reference_out,
        EventEmitter.to_jsonl(reference_out / "events.jsonl", job_id="job_test"),
        settings=settings(),
    ).summary

    out = tmp / "two-processes"
    probes = [tmp / "probe-first", tmp / "probe-resumed"]
    env = {**subprocess_env(dict(os.environ)), "OMP_NUM_THREADS": "1"}
    # Stopped after a few steps (between steps, checkpointed), as a cancel stops it.
    process = subprocess.Popen(
        torchrun(tmp, out, probes[0]),
        env={**env, "DPSYNTH_TEST_PROBE_DIR": str(probes[0])},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_step(out / "events.jsonl", STOP_AFTER, process)
        (out / "CANCEL").touch()
        stdout, stderr = process.communicate(timeout=300)
    finally:
        process.kill()
    first = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    (out / "CANCEL").unlink()
    resumed = subprocess.run(
        torchrun(tmp, out, probes[1], "--resume", "--attempt", "2"),
        env={**env, "DPSYNTH_TEST_PROBE_DIR": str(probes[1])},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    read = [[json.loads((p / f"rank-{rank}.json").read_text()) for rank in (0, 1)] for p in probes]
    return Runs(reference, out, first, resumed, read)


@pytest.mark.slow
def test_two_processes_spend_exactly_the_epsilon_of_one(runs: Runs) -> None:
    summary = TrainingSummary.model_validate_json((runs.out / "training-summary.json").read_text())
    assert summary.steps == runs.reference.steps == STEPS
    assert summary.sampleRate == runs.reference.sampleRate
    assert summary.noiseMultiplier == runs.reference.noiseMultiplier
    assert abs(summary.epsilon - runs.reference.epsilon) <= 1e-9
    charged = max(e["epsilon"] for e in runs.events() if e["type"] == "privacy")
    assert abs(charged - runs.reference.epsilon) <= 1e-9


@pytest.mark.slow
def test_the_noise_is_drawn_once_per_logical_step_by_rank_zero_alone(runs: Runs) -> None:
    metric_steps = [
        [e for e in runs.events() if e["type"] == "metric" and e["attempt"] == attempt] for attempt in (1, 2)
    ]
    for run, steps in zip(runs.probes, metric_steps, strict=True):
        assert [rank["noisedSteps"] for rank in run] == [len(steps), 0]


@pytest.mark.slow
def test_every_rows_gradient_is_clipped_before_noise_on_both_ranks(runs: Runs) -> None:
    for run in runs.probes:
        for rank in run:
            clipped = rank["clipped"]
            assert clipped["rows"] > 0  # each rank trained on rows of its own
            assert clipped["maxRawNorm"] > MAX_GRAD_NORM  # so clipping had work to do
            assert clipped["maxClippedNorm"] <= MAX_GRAD_NORM * (1 + 1e-5)


@pytest.mark.slow
def test_a_stopped_run_resumes_from_its_checkpoint_on_both_ranks(runs: Runs) -> None:
    assert runs.first.returncode != 0
    events = runs.events()
    [error] = [e for e in events if e["type"] == "error"]
    assert (error["attempt"], error["code"]) == (1, "cancelled")
    stopped = max(e["step"] for e in events if e["type"] == "metric" and e["attempt"] == 1)
    assert STOP_AFTER <= stopped < STEPS
    [resumed] = [e["message"] for e in events if e["type"] == "log" and e["message"].startswith("Resumed at step")]
    assert resumed.startswith(f"Resumed at step {stopped} of {STEPS}: checkpoint at step {stopped}, 0 step(s)")
    assert min(e["step"] for e in events if e["type"] == "metric" and e["attempt"] == 2) == stopped + 1
    assert {e["runId"] for e in events if e["type"] == "privacy"} == {
        json.loads(runs.resumed.stdout)["training"]["runId"]
    }


@pytest.mark.slow
def test_rank_zero_alone_writes_and_every_step_and_charge_comes_out_once(runs: Runs) -> None:
    assert [rank1["writes"] for _, rank1 in runs.probes] == [[], []]
    events = runs.events()
    assert len({e["seq"] for e in events}) == len(events)
    assert sorted(e["step"] for e in events if e["type"] == "metric") == list(range(1, STEPS + 1))
    charges = Counter((e["attempt"], e["steps"]) for e in events if e["type"] == "privacy")
    assert max(charges.values()) == 1
    assert Counter(e["attempt"] for e in events if e["type"] == "stage" and e["stage"] == "training") == {1: 1, 2: 1}
    checkpoint = torch.load(runs.out / "checkpoints" / "latest.pt", weights_only=False)
    assert len(checkpoint["rankRng"]) == 2  # each rank's sampler continues its own stream on resume


def test_the_shares_of_a_logical_batch_are_disjoint_and_every_step_comes_out_even_when_empty() -> None:
    shares = [
        list(
            ShardedPoissonBatches(
                num_samples=11,
                sample_rate=0.3,
                rank=rank,
                world=2,
                steps=50,
                generator=torch.Generator().manual_seed(rank),
            )
        )
        for rank in (0, 1)
    ]
    assert [len(batches) for batches in shares] == [50, 50]
    assert any(not batch for batches in shares for batch in batches)  # an empty share is still a step
    seen = [set().union(*batches) for batches in shares]
    assert seen[0].isdisjoint(seen[1])
    assert seen[0] | seen[1] == set(range(11))


def test_one_process_refuses_a_spec_for_two_devices_before_it_loads_anything(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"torchrun --standalone --nproc-per-node 2"):
        train(
            spec(N_ROWS, **overrides(2)),
            training_rows(N_ROWS),
            tmp_path / "out",
            EventEmitter.to_jsonl(tmp_path / "events.jsonl", job_id="job_test"),
            settings=settings(),
        )
    assert not (tmp_path / "out").exists()
