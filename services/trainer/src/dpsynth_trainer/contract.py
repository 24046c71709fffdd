"""The cross-process contracts, read from `packages/contracts/schema/*.json`.

Python never retypes a name, a default or a shape that the TypeScript contracts define: this module loads the
generated JSON Schema files, validates with `jsonschema` (Draft 2020-12), fills defaults from the schema's
`default`s, and only then parses into pydantic models whose field names are the JSON names. Queue names and
Redis prefixes come from `constants.json`, the model catalog from `catalog.json`.

The schema directory is found relative to this package in a checkout; containers set `DPSYNTH_CONTRACTS_DIR`.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args, get_origin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from pydantic import BaseModel

from .errors import BadInputError
from .generated.catalog_model import CatalogModel
from .generated.job_spec import (
    DataSpec,
    EvaluationSpec,
    JobSpec,
    LabelSpec,
    LoraSpec,
    ModelSpec,
    PrivacyShare,
    PrivacySpec,
    PromptSpec,
    SamplingSpec,
    TrainingSpec,
)
from .generated.trainer_event import TrainingSummary

__all__ = [
    "CatalogModel",
    "DataSpec",
    "EvaluationSpec",
    "JobSpec",
    "LabelSpec",
    "LoraSpec",
    "ModelSpec",
    "PrivacyShare",
    "PrivacySpec",
    "PromptSpec",
    "SamplingSpec",
    "TrainingSpec",
    "TrainingSummary",
]

ContractName = Literal["job-spec", "trainer-event", "report", "trainer-heartbeat"]


def contracts_dir() -> Path:
    """The directory holding the generated schema files."""
    override = os.environ.get("DPSYNTH_CONTRACTS_DIR")
    if override:
        return Path(override)
    # src/dpsynth_trainer/contract.py -> repository root is four levels above the package directory.
    return Path(__file__).resolve().parents[4] / "packages" / "contracts" / "schema"


@cache
def load_json(name: str) -> Any:
    """One generated file of the contracts directory, parsed."""
    path = contracts_dir() / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuntimeError(
            f"Contract file {name} not found under {contracts_dir()}; set DPSYNTH_CONTRACTS_DIR to the "
            "packages/contracts/schema directory."
        ) from exc


@cache
def validator(contract: ContractName) -> Draft202012Validator:
    schema = load_json(f"{contract}.schema.json")
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


class ContractViolation(BadInputError):
    """A payload does not match its contract. The message names paths and rules, never the values."""


def _describe(error: ValidationError) -> str:
    where = error.json_path.removeprefix("$.") if error.json_path != "$" else "(root)"
    if error.validator in ("oneOf", "anyOf") and error.context:
        return _describe(_closest_branch_error(error.context))
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        return f"{where}: missing required field(s) {', '.join(missing)}"
    if error.validator == "additionalProperties":
        return f"{where}: has fields the contract does not define"
    return f"{where}: violates {error.validator}={json.dumps(error.validator_value)[:120]}"


def _closest_branch_error(errors: list[ValidationError]) -> ValidationError:
    """In a union, the branch whose discriminator (`type`, `kind`) matched explains the failure best."""
    by_branch: dict[Any, list[ValidationError]] = {}
    for e in errors:
        by_branch.setdefault(e.relative_schema_path[0], []).append(e)
    for branch_errors in by_branch.values():
        if not any(e.validator == "const" and len(e.relative_path) == 1 for e in branch_errors):
            return branch_errors[0]
    return max(errors, key=lambda e: len(e.absolute_path))


def validate_instance(contract: ContractName, data: Any) -> None:
    """Raise `ContractViolation` when `data` does not match the named contract."""
    errors = sorted(validator(contract).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        details = "; ".join(_describe(e) for e in errors[:5])
        raise ContractViolation(f"The {contract} does not match its contract: {details}.")


def fill_defaults(schema: dict[str, Any], instance: Any) -> Any:
    """A copy of `instance` with every absent property that has a schema `default` filled in, recursively.

    For `oneOf`/`anyOf` the first branch the (already valid) instance matches supplies the defaults.
    """
    instance = copy.deepcopy(instance)
    for keyword in ("oneOf", "anyOf"):
        for branch in schema.get(keyword, []):
            if Draft202012Validator(branch).is_valid(instance):
                return fill_defaults(branch, instance)
    if isinstance(instance, dict):
        for name, sub in schema.get("properties", {}).items():
            if name not in instance and "default" in sub:
                instance[name] = copy.deepcopy(sub["default"])
            if name in instance:
                instance[name] = fill_defaults(sub, instance[name])
    return instance


def is_private(privacy: PrivacySpec) -> bool:
    """Whether a job runs DP-SGD at all (epsilon "inf" is the non-private baseline)."""
    return privacy.epsilon != "inf"


def synthetic_header(data: DataSpec) -> list[str]:
    """synthetic.csv's columns: `data.outputColumns` (the upload's order) when given, else text, label, the others.
    An order that is not exactly the synthesised columns is refused before anything is trained."""
    synthesised = [data.textColumn, data.labelColumn, *data.columns]
    if not data.outputColumns:
        return synthesised
    if sorted(data.outputColumns) != sorted(synthesised):
        raise BadInputError(
            "data.outputColumns must name the text column, the label column and data.columns, each once "
            f"(it names {len(data.outputColumns)} column(s) for {len(synthesised)} synthesised)."
        )
    return list(data.outputColumns)


def label_values(data: DataSpec) -> list[str]:
    """The declared label set's values, in the owner's order."""
    return [label.value for label in data.labels]


def literal_values(model: type[BaseModel], field: str) -> tuple[str, ...]:
    """The values a generated model's Literal field allows: an enumeration as the contract defines it."""
    annotation = model.model_fields[field].annotation
    while get_origin(annotation) is not Literal:
        annotation = get_args(annotation)[0]  # through Annotated[...] and Optional[...]
    return get_args(annotation)


def parse_job_spec(data: Any) -> JobSpec:
    """Validate a raw job spec against `job-spec.schema.json`, fill its defaults and parse it."""
    validate_instance("job-spec", data)
    return JobSpec.model_validate(fill_defaults(load_json("job-spec.schema.json"), data))


def load_job_spec(path: Path) -> JobSpec:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(f"The job spec file {path} could not be read as JSON ({type(exc).__name__}).") from exc
    return parse_job_spec(raw)


@dataclass(frozen=True)
class Constants:
    """Names and limits shared by every process that touches Redis, and the one the quote's estimate shares with
    the sampler (`constants.json`)."""

    schema_version: int
    #: The one-device queue (`queue_for(1)`).
    queue_name: str
    #: Every device count's queue, as the contract's `queueFor` names them (`constants.json` `queue.byDevices`).
    queues_by_devices: Mapping[int, str]
    queue_prefix: str
    job_name: str
    events_stream_prefix: str
    event_seq_prefix: str
    cancel_prefix: str
    event_field: str
    heartbeat_interval_s: float
    heartbeat_ttl_s: int
    trainers_index_suffix: str
    trainer_suffix: str
    max_guidance_contrasts: int


@cache
def constants() -> Constants:
    raw = load_json("constants.json")
    return Constants(
        schema_version=raw["schemaVersion"],
        queue_name=raw["queue"]["train"],
        queues_by_devices=MappingProxyType({int(n): name for n, name in raw["queue"]["byDevices"].items()}),
        queue_prefix=raw["queue"]["prefix"],
        job_name=raw["queue"]["jobName"],
        events_stream_prefix=raw["redisKeys"]["eventsStreamPrefix"],
        event_seq_prefix=raw["redisKeys"]["eventSeqPrefix"],
        cancel_prefix=raw["redisKeys"]["cancelPrefix"],
        event_field=raw["redisKeys"]["eventField"],
        heartbeat_interval_s=raw["trainers"]["heartbeat"]["intervalS"],
        heartbeat_ttl_s=raw["trainers"]["heartbeat"]["ttlS"],
        trainers_index_suffix=raw["trainers"]["keys"]["indexSuffix"],
        trainer_suffix=raw["trainers"]["keys"]["trainerSuffix"],
        max_guidance_contrasts=raw["sampling"]["maxGuidanceContrasts"],
    )


def queue_for(devices: int) -> str:
    """The BullMQ queue of jobs that train on `devices` devices: looked up in the contract, never spelled here."""
    try:
        return constants().queues_by_devices[devices]
    except KeyError:
        raise BadInputError(
            f"A job trains on 1 to {max(constants().queues_by_devices)} devices; there is no queue for {devices}."
        ) from None


def cancel_key(job_id: str) -> str:
    """The Redis key the control plane sets to cancel a job (its prefix from `constants.json`)."""
    return f"{constants().cancel_prefix}{job_id}"


def trainer_keys(queue_prefix: str, trainer_id: str) -> tuple[str, str]:
    """The trainer registry's keys under a queue prefix: (the index of trainers, this trainer's heartbeat)."""
    c = constants()
    return f"{queue_prefix}:{c.trainers_index_suffix}", f"{queue_prefix}:{c.trainer_suffix}{trainer_id}"


@cache
def catalog() -> dict[str, CatalogModel]:
    """The model catalog by key (`catalog.json`)."""
    return {m["key"]: CatalogModel.model_validate(m) for m in load_json("catalog.json")["models"]}


def presets() -> dict[str, Any]:
    return copy.deepcopy(load_json("catalog.json")["presets"])
