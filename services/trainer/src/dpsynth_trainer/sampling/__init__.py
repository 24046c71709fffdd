"""Synthetic rows from the fine-tuned model: guided field-by-field decoding, re-scoring, the CSV."""

from dpsynth_trainer.sampling.generate import SamplingConfig, SamplingResult, SyntheticRow, generate_rows
from dpsynth_trainer.sampling.output import write_synthetic_csv
from dpsynth_trainer.sampling.synthetic import sample_synthetic, sampling_config, sampling_warnings

__all__ = [
    "SamplingConfig",
    "SamplingResult",
    "SyntheticRow",
    "generate_rows",
    "sample_synthetic",
    "sampling_config",
    "sampling_warnings",
    "write_synthetic_csv",
]
