"""The evaluation report: `report.json` (the contract) and `report.html` (rendered from it)."""

from dpsynth_trainer.report.build import CurvePoint, build_report, headline_metrics
from dpsynth_trainer.report.html import render_html

__all__ = ["CurvePoint", "build_report", "headline_metrics", "render_html"]
