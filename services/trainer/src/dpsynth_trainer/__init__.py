"""dpsynth trainer: DP fine-tuning of causal language models, synthetic sampling and evaluation.

Library entry points: `dpsynth_trainer.training.train` (fine-tuning), `dpsynth_trainer.contract` (job specs and
events), `dpsynth_trainer.models` (model registry). Command line: `python -m dpsynth_trainer --help`.
"""

__version__ = "0.1.0"
