"""The trivial baselines of the long-memory tasks: what a model that learned nothing about
the past scores. Training records them in metrics.json and the report draws them, so both
must use these numbers (the data layer is the lowest both may import)."""

import math

from seqbench.data.sources.synthetic import COPY_LENGTH, COPY_SYMBOLS

ADDING_MSE = 1 / 6
"""Adding: predict the mean sum, 1; the sum of two U(0, 1) values has variance 2/12."""

COPY_RECALL_CHANCE = 1 / COPY_SYMBOLS
"""Copy: recall accuracy of guessing one of the symbols at every recall step."""


def copy_loss(delay: int) -> float:
    """Copy: cross-entropy per step of a memoryless model that emits the blanks exactly and
    guesses the 10 recalled symbols, 10 ln 8 / (T + 20)."""
    return COPY_LENGTH * math.log(COPY_SYMBOLS) / (delay + 2 * COPY_LENGTH)


def for_task(task: str, length: int) -> tuple[float, str]:
    """The baseline of a synthetic task at sequence length T and the metric it is in."""
    if task == "adding":
        return ADDING_MSE, "mse"
    return copy_loss(length), "loss"
