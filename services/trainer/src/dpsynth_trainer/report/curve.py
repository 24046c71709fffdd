"""The training curve the report draws: (step, epsilon, loss) of every training step, kept across attempts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dpsynth_trainer.events import EventEmitter
from dpsynth_trainer.report.build import CurvePoint

CURVE_FILE = "curve.jsonl"


class CurveRecorder:
    """Passes every event on, and keeps (step, epsilon, loss) of each training step for the report.

    The points are appended to a file in the work directory, so a resumed run's report still has the steps
    an earlier attempt took.
    """

    def __init__(self, emitter: EventEmitter, path: Path) -> None:
        self._emitter = emitter
        self._path = path

    def __getattr__(self, name: str) -> Any:
        return getattr(self._emitter, name)

    def metric(self, *, step: int, epoch: float, values: dict[str, float]) -> None:
        self._emitter.metric(step=step, epoch=epoch, values=values)
        if "train/loss" in values:
            point = {
                "step": step,
                "epsilon": values.get("privacy/epsilon"),
                "loss": values["train/loss"],
            }
            with open(self._path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(point) + "\n")

    def points(self) -> list[CurvePoint]:
        return read_curve(self._path)


def read_curve(path: Path) -> list[CurvePoint]:
    """The recorded training curve, one point per step (a step re-run after a crash replaces the lost one)."""
    if not path.exists():
        return []
    by_step: dict[int, CurvePoint] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            point = CurvePoint(**json.loads(line))
        except (ValueError, TypeError):
            continue  # a line cut short by a kill
        by_step[point.step] = point
    return [by_step[step] for step in sorted(by_step)]
