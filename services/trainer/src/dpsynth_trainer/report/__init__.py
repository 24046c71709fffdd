"""The evaluation report: `report.json` (the contract) and `report.html` (rendered from it)."""

from dpsynth_trainer.report.build import CurvePoint, build_report, headline_metrics
from dpsynth_trainer.report.curve import CURVE_FILE, CurveRecorder, read_curve
from dpsynth_trainer.report.html import render_html
from dpsynth_trainer.report.output import write_report

__all__ = [
    "CURVE_FILE",
    "CurvePoint",
    "CurveRecorder",
    "build_report",
    "headline_metrics",
    "read_curve",
    "render_html",
    "write_report",
]
