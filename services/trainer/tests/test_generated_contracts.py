"""The trainer's contract models are generated from the JSON Schema, and the committed ones are up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from contract_fixtures import FIXTURES, load_fixture
from dpsynth_trainer.contract import literal_values, parse_job_spec
from dpsynth_trainer.errors import TrainerError
from dpsynth_trainer.generated.job_spec import PrivacySpec
from dpsynth_trainer.generated.trainer_event import ErrorEvent

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "generate_contracts.py"


def generator():
    spec = importlib.util.spec_from_file_location("generate_contracts", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_models_are_what_the_generator_writes(tmp_path: Path) -> None:
    module = generator()
    for path in module.generate(tmp_path):
        committed = module.PACKAGE / path.name
        assert committed.read_text() == path.read_text(), f"{committed.name} is stale: run `npm run contracts:generate`"


def test_the_spec_parses_into_frozen_generated_models_with_every_default_filled() -> None:
    spec = parse_job_spec(load_fixture(FIXTURES / "valid" / "job-spec.minimal.json"))
    assert isinstance(spec.privacy, PrivacySpec)
    assert spec.sampling.minPosterior == 0.9 and spec.training.precision == "auto"
    with pytest.raises(ValueError, match="frozen"):
        spec.sampling.rows = 1


def test_enumerations_come_from_the_contract() -> None:
    codes = literal_values(ErrorEvent, "code")
    assert {"bad_input", "no_rows", "internal"} <= set(codes)
    assert TrainerError.code in codes
    assert literal_values(PrivacySpec, "accountant") == ("prv", "pld", "rdp")
