"""What a job may name as its model or encoder: catalog keys, hub ids, directories under the model roots."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import pytest

from dpsynth_trainer.config import TrainerSettings
from dpsynth_trainer.contract import ModelSpec
from dpsynth_trainer.errors import UnknownModelError
from dpsynth_trainer.evaluation.encoder import resolve_encoder
from dpsynth_trainer.model_references import check_reference, local_directory
from dpsynth_trainer.models.registry import resolve_source
from test_worker import Harness, needs_redis, never_called, spec_for


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, ...]:
    root = tmp_path / "models"
    (root / "my-model").mkdir(parents=True)
    (root / "my-model" / "config.json").write_text("{}")
    (tmp_path / "outside").mkdir()
    (root / "escape").symlink_to(tmp_path / "outside")
    return (root.resolve(),)


def refusal(reference: str, roots: tuple[Path, ...], what: str = "model") -> str:
    with pytest.raises(UnknownModelError) as raised:
        check_reference(reference, what=what, roots=roots)
    return raised.value.message.replace(reference, "<ref>")


def test_a_directory_under_a_root_and_hub_ids_are_accepted(roots: tuple[Path, ...]) -> None:
    directory = roots[0] / "my-model"
    assert resolve_source(ModelSpec.model_construct(id=str(directory)), roots[0], roots) == str(directory)
    hub = "HuggingFaceTB/SmolLM2-135M"
    assert resolve_source(ModelSpec.model_construct(id=hub), roots[0], roots) == hub
    assert resolve_encoder(str(directory), roots) == (str(directory), True)
    assert resolve_encoder("sentence-transformers/all-MiniLM-L6-v2", roots) == (
        "sentence-transformers/all-MiniLM-L6-v2",
        False,
    )


def test_refusals_read_the_same_whether_or_not_the_directory_exists(roots: tuple[Path, ...]) -> None:
    # /etc and /proc/self/cwd exist on every machine, /no/such/dir nowhere: the answers must not tell them apart.
    messages = {
        reference: refusal(reference, roots)
        for reference in ["/etc", "/proc/self/cwd", "/root", "/no/such/dir", str(roots[0] / "missing")]
    }
    assert len(set(messages.values())) == 1, messages
    assert "DPSYNTH_MODEL_ROOTS" in next(iter(messages.values()))


def test_paths_that_climb_or_escape_a_root_are_refused(roots: tuple[Path, ...]) -> None:
    for reference in [f"{roots[0]}/../outside", str(roots[0] / "escape"), "../../etc", "./models", "a/b/c", "//etc"]:
        assert local_directory(reference, roots) is None, reference
        with pytest.raises(UnknownModelError):
            check_reference(reference, what="evaluation encoder", roots=roots)
    with pytest.raises(UnknownModelError, match=re.escape("evaluation encoder '../../etc'")):
        resolve_encoder("../../etc", roots)


def test_the_model_cache_is_always_a_root_and_roots_must_be_absolute(tmp_path: Path) -> None:
    settings = TrainerSettings(DPSYNTH_MODEL_CACHE=tmp_path / "cache", DPSYNTH_MODEL_ROOTS=f"{tmp_path}/a:{tmp_path}/b")
    assert settings.model_roots == tuple((tmp_path / name).resolve() for name in ["cache", "a", "b"])
    with pytest.raises(ValueError, match="must be absolute directories"):
        TrainerSettings(DPSYNTH_MODEL_ROOTS="relative/models")


@needs_redis
def test_jobs_naming_directories_outside_the_roots_fail_on_arrival_before_any_data_is_read() -> None:
    harness = Harness(never_called)

    async def scenario() -> None:
        queue = harness.queue()
        worker = harness.trainer().start()
        jobs: dict[str, str] = {}
        try:
            for field, reference in [("model", "/etc"), ("encoder", "../../etc")]:
                job_id = f"job-{uuid.uuid4().hex[:12]}"
                data = spec_for(job_id)
                if field == "model":
                    data["model"]["id"] = reference
                else:
                    data.setdefault("evaluation", {})["encoder"] = reference
                await harness.add(queue, data, job_id=job_id, attempts=3)
                jobs[job_id] = reference
            for job_id in jobs:
                assert await harness.wait_for_state(queue, job_id, {"completed", "failed"}) == "failed"
                assert (await queue.getJob(job_id)).attemptsMade == 1
                [event] = harness.events(job_id)  # one error event: nothing was loaded, read or charged
                assert (event["type"], event["code"], event["retryable"]) == ("error", "unknown_model", False)
        finally:
            await worker.close()
            await harness.cleanup(queue, list(jobs))

    asyncio.run(scenario())
