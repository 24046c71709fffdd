"""Synthetic rows from the fine-tuned model: a label plan, batched KV-cached generation, parsing to CSV."""

from dpsynth_trainer.sampling.generate import (
    GenerationConfig,
    SamplingResult,
    generate_rows,
)
from dpsynth_trainer.sampling.output import write_synthetic_csv
from dpsynth_trainer.sampling.plan import plan_labels

__all__ = [
    "GenerationConfig",
    "SamplingResult",
    "generate_rows",
    "plan_labels",
    "write_synthetic_csv",
]
