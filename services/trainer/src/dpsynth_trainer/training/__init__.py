"""DP-SGD fine-tuning: budget split, accounting and guard, the private/non-private branch, the step loop."""

from .budget import TrainingBudget, default_delta, training_budget
from .cancel import CancelWatch
from .loop import TrainingResult, load_for_training, select_device, train

__all__ = [
    "CancelWatch",
    "TrainingBudget",
    "TrainingResult",
    "default_delta",
    "load_for_training",
    "select_device",
    "train",
    "training_budget",
]
