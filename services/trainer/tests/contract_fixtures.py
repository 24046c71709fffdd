"""The contract fixtures that vitest checks too (packages/contracts/fixtures/README.md), patches applied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[3] / "packages" / "contracts" / "fixtures"


def fixture_paths(kind: str, contract: str = "") -> list[Path]:
    return sorted((FIXTURES / kind).glob(f"{contract}*.json"))


def load_fixture(path: Path) -> Any:
    """A fixture's document; a patch fixture is applied to the valid document it names."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "base" not in data:
        return data
    doc = json.loads((FIXTURES / "valid" / data["base"]).read_text(encoding="utf-8"))
    for dotted, value in data.get("set", {}).items():
        *parents, last = dotted.split(".")
        node = doc
        for key in parents:
            node = node[key]
        node[last] = value
    for dotted in data.get("delete", []):
        *parents, last = dotted.split(".")
        node = doc
        for key in parents:
            node = node[key]
        del node[last]
    return doc
