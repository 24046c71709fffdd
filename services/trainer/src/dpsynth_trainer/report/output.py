"""The report's files in the job's work directory: `report.json` (atomically: readers never see half of it) and
`report.html`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dpsynth_trainer.files import write_atomically
from dpsynth_trainer.report.html import render_html


def write_report(report: dict[str, Any], directory: Path) -> None:
    write_atomically(directory / "report.json", json.dumps(report, indent=2).encode())
    (directory / "report.html").write_text(render_html(report), encoding="utf-8")
