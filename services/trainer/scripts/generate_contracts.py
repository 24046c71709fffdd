"""Generate the trainer's pydantic models from the contracts' JSON Schema (never typed by hand).

    services/trainer/.venv/bin/python services/trainer/scripts/generate_contracts.py [--out DIR]

`npm run contracts:generate` runs it after writing the JSON Schema; `tests/test_generated_contracts.py` fails when
the committed modules differ from what this writes. Models are frozen (`ContractModel`), ignore unknown fields
(the JSON Schema validation before parsing is the strict one) and take their class names from the schemas' titles.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

TRAINER = Path(__file__).resolve().parents[1]
SCHEMA = TRAINER.parents[1] / "packages" / "contracts" / "schema"
PACKAGE = TRAINER / "src" / "dpsynth_trainer" / "generated"
#: generated module -> (schema file, root class name)
MODULES = {
    "job_spec.py": ("job-spec.parsed.schema.json", "JobSpec"),
    "trainer_event.py": ("trainer-event.schema.json", "TrainerEvent"),
    "catalog_model.py": ("catalog-model.schema.json", "CatalogModel"),
    "trainer_heartbeat.py": ("trainer-heartbeat.schema.json", "TrainerHeartbeat"),
}
OPTIONS = [
    "--input-file-type=jsonschema",
    "--output-model-type=pydantic_v2.BaseModel",
    "--base-class=dpsynth_trainer.contract_base.ContractModel",
    "--extra-fields=ignore",
    "--use-title-as-name",
    "--use-annotated",
    "--field-constraints",
    "--use-standard-collections",
    "--use-union-operator",
    "--collapse-root-models",
    "--use-type-alias-type",
    "--enum-field-as-literal=all",
    "--target-python-version=3.11",
    "--disable-timestamp",
    "--formatters=ruff-format",
]


RUFF_LAYOUT = ["--isolated", "--line-length=120", "--config=format.skip-magic-trailing-comma=true", "--quiet"]


def generate(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    codegen = Path(sys.executable).with_name("datamodel-codegen")
    ruff = Path(sys.executable).with_name("ruff")
    written = []
    for module, (schema, root) in MODULES.items():
        target = out / module
        subprocess.run(
            [str(codegen), f"--input={SCHEMA / schema}", f"--output={target}", f"--class-name={root}", *OPTIONS],
            check=True,
            cwd=SCHEMA,  # the header names the schema file relative to here: the same on every machine
        )
        # The same layout wherever it is written (ruff would otherwise read the nearest pyproject's settings).
        subprocess.run([str(ruff), "format", *RUFF_LAYOUT, str(target)], check=True)
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PACKAGE)
    args = parser.parse_args()
    for path in generate(args.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
