"""Synthetic rows from the fine-tuned model: guided field-by-field decoding, re-scoring, the CSV."""

from dpsynth_trainer.sampling.generate import SamplingConfig, SamplingResult, SyntheticRow, generate_rows
from dpsynth_trainer.sampling.output import write_synthetic_csv

__all__ = ["SamplingConfig", "SamplingResult", "SyntheticRow", "generate_rows", "write_synthetic_csv"]
