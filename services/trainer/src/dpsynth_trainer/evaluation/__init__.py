"""Evaluation of synthetic rows: utility (TSTR vs TRTR), faithfulness, fidelity and privacy diagnostics."""

from dpsynth_trainer.evaluation.evaluate import Evaluation, evaluate
from dpsynth_trainer.evaluation.utility import Rows

__all__ = ["Evaluation", "Rows", "evaluate"]
