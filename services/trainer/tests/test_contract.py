"""The contract files drive Python: shared fixtures pass or fail as in vitest; defaults come from the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contract_fixtures import FIXTURES, fixture_paths, load_fixture
from dpsynth_trainer.contract import (
    ContractViolation,
    catalog,
    constants,
    is_private,
    load_json,
    parse_job_spec,
    queue_for,
    validate_instance,
)
from dpsynth_trainer.errors import BadInputError


@pytest.mark.parametrize("path", fixture_paths("valid"), ids=lambda p: p.name)
def test_accepts_every_valid_fixture(path: Path) -> None:
    contract = path.name.split(".")[0]
    validate_instance(contract, load_fixture(path))
    if contract == "job-spec":
        assert parse_job_spec(load_fixture(path)).jobId


@pytest.mark.parametrize("path", fixture_paths("invalid"), ids=lambda p: p.name)
def test_rejects_every_invalid_fixture(path: Path) -> None:
    with pytest.raises(ContractViolation):
        validate_instance(path.name.split(".")[0], load_fixture(path))


def test_defaults_are_the_schemas_own() -> None:
    spec = parse_job_spec(json.loads((FIXTURES / "valid" / "job-spec.minimal.json").read_text()))
    props = load_json("job-spec.schema.json")["properties"]
    training = props["training"]["properties"]
    assert spec.training.epochs == training["epochs"]["default"]
    assert spec.training.logicalBatchSize == training["logicalBatchSize"]["default"]
    assert spec.privacy.accountant == props["privacy"]["properties"]["accountant"]["default"]
    assert spec.model.lora.r == props["model"]["properties"]["lora"]["properties"]["r"]["default"]
    assert spec.sampling.labelMix.kind == "dp-counts"
    assert spec.data.subject == props["data"]["properties"]["subject"]["default"]
    assert spec.prompt.style == props["prompt"]["properties"]["style"]["default"]
    assert spec.sampling.guidance == props["sampling"]["properties"]["guidance"]["default"]


def test_non_private_epsilon_stays_the_string_inf() -> None:
    spec = parse_job_spec(json.loads((FIXTURES / "valid" / "job-spec.non-private.json").read_text()))
    assert spec.privacy.epsilon == "inf"
    assert not is_private(spec.privacy)


def test_violation_names_the_path_and_rule_not_the_value() -> None:
    data = json.loads((FIXTURES / "valid" / "job-spec.minimal.json").read_text())
    data["data"]["textColumn"] = ""
    data["privacy"]["delta"] = "SECRET-VALUE"
    with pytest.raises(ContractViolation) as caught:
        parse_job_spec(data)
    assert "privacy.delta" in caught.value.message
    assert "SECRET-VALUE" not in caught.value.message
    assert caught.value.code == "bad_input"


def test_constants_and_catalog_come_from_the_generated_files() -> None:
    assert constants().events_stream_prefix == load_json("constants.json")["redisKeys"]["eventsStreamPrefix"]
    assert constants().queue_name == "train"


def test_each_device_count_has_the_queue_the_contracts_queue_for_names() -> None:
    assert [queue_for(n) for n in (1, 2, 8, 64)] == ["train", "train-2gpu", "train-8gpu", "train-64gpu"]
    assert queue_for(1) == constants().queue_name
    with pytest.raises(BadInputError, match="there is no queue for 65"):
        queue_for(65)
    assert {"tiny-gpt2", "tiny-llama", "smollm2-135m"} <= set(catalog())
