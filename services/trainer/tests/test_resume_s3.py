"""A job whose output is in S3 resumes on another machine: the checkpoint one trainer process wrote is the one the
next process, with an empty work directory of its own, continues from (same run, same accountant)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from dpsynth_trainer.blobs import join_uri, list_names, read_bytes
from training_support import read_events, subprocess_env

S3_URL = os.environ.get("BLOB_STORE_URL", "")
TESTS = Path(__file__).parent

#: One trainer process: trains the job with its output at `output` and its own work directory, resuming whatever
#: the store holds; with `die_at` > 0 it dies without any clean-up (as SIGKILL would) once that step reported.
TRAINER = """
import os, sys
from pathlib import Path
from dpsynth_trainer.events import EventEmitter
from dpsynth_trainer.releases import ReleaseLog
from dpsynth_trainer.training import train
from training_support import settings, spec, training_rows

work, events, output, attempt, die_at = sys.argv[1:]
job = spec(160, training={"epochs": 1, "checkpointEvery": 2})
emitter = EventEmitter.to_jsonl(Path(events), job_id=job.jobId, attempt=int(attempt))


class Dies:
    def write(self, event):
        if event["type"] == "metric" and event["step"] == int(die_at):
            os._exit(137)


if int(die_at):
    emitter.sinks.append(Dies())
releases = ReleaseLog(output)
result = train(job, training_rows(160), Path(work), emitter, resume=True, settings=settings(), releases=releases)
print(result.summary.model_dump_json())
"""


def run_trainer(work: Path, events: Path, output: str, attempt: int, die_at: int) -> subprocess.CompletedProcess:
    env = subprocess_env(dict(os.environ))
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-c", TRAINER, str(work), str(events), output, str(attempt), str(die_at)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
@pytest.mark.skipif(not S3_URL.startswith("s3://"), reason="needs an s3:// BLOB_STORE_URL (the test stack's SeaweedFS)")
def test_a_checkpoint_in_s3_resumes_in_another_process_with_another_work_directory(tmp_path: Path) -> None:
    output = join_uri(S3_URL, f"pytest-{secrets.token_hex(6)}/jobs/job_test")
    events = tmp_path / "events.jsonl"
    # 4 logical steps, a checkpoint every 2; the first trainer dies in step 3, after its update.
    first = run_trainer(tmp_path / "machine-a", events, output, attempt=1, die_at=3)
    assert first.returncode == 137, first.stderr[-2000:]
    assert list_names(join_uri(output, "checkpoints")) == ["latest.pt", "progress.json"]
    assert json.loads(read_bytes(join_uri(output, "checkpoints/progress.json")))["startedStep"] == 3

    second = run_trainer(tmp_path / "machine-b", events, output, attempt=2, die_at=0)
    assert second.returncode == 0, second.stderr[-2000:]
    summary = json.loads(second.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 4

    recorded = read_events(events)
    privacy = [e for e in recorded if e["type"] == "privacy"]
    assert {e["runId"] for e in privacy} == {summary["runId"]}  # one run, continued: not a new one charged again
    resumed = [e for e in recorded if e["attempt"] == 2]
    assert any(
        e["type"] == "log" and "Resumed at step 3 of 4: checkpoint at step 2, 1 step(s) after it lost" in e["message"]
        for e in resumed
    )
    charged = [e["steps"] for e in resumed if e["type"] == "privacy"]
    assert (charged[0], charged[-1]) == (3, 4)  # the lost step 3 is charged at once, then step 4
    assert not any(e["type"] == "metric" and e["step"] < 4 for e in resumed)  # nothing before the checkpoint re-ran
    local = tmp_path / "machine-b" / "checkpoints" / "latest.pt"
    assert local.stat().st_mode & 0o777 == 0o600
