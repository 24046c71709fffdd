"""Which label each synthetic row is conditioned on."""

from __future__ import annotations

import random
from collections.abc import Mapping


def plan_labels(allocation: Mapping[str, int], seed: int) -> list[str]:
    """One conditioning label per row, shuffled with `seed`.

    Shuffled rather than grouped so that every batch mixes labels and a run cut short still has the mix.
    """
    labels = [label for label, count in allocation.items() for _ in range(count)]
    random.Random(seed).shuffle(labels)
    return labels
