"""Seeded long-memory tasks: the adding problem and the copy-memory task.

Both isolate one skill, carrying information across T steps, so they show where a vanilla
RNN forgets and gated cells remember. Each split has its own seed stream, so the same
seed and T always give byte-identical data.
"""

import numpy as np
from datasets import Array2D, Dataset, DatasetDict, Features, Sequence, Value

from seqbench.data.sources import Built

SIZES = {"train": 20_000, "validation": 2_000, "test": 2_000}
COPY_SYMBOLS = 8  # symbols 1..8; 0 is blank, 9 is the "recall now" marker
COPY_LENGTH = 10


def adding_problem(n: int, length: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Channel 0: uniform values; channel 1: two markers, one in each half. Target: their sum.

    Predicting the mean (1.0) scores MSE = Var(U1 + U2) = 1/6, the trivial baseline.
    """
    values = rng.random((n, length), dtype=np.float32)
    first = rng.integers(0, length // 2, n)
    second = rng.integers(length // 2, length, n)
    markers = np.zeros((n, length), dtype=np.float32)
    markers[np.arange(n), first] = 1.0
    markers[np.arange(n), second] = 1.0
    target = values[np.arange(n), first] + values[np.arange(n), second]
    return {"x": np.stack([values, markers], axis=-1), "y": target.astype(np.float32)}


def copy_memory(n: int, delay: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """10 symbols, ``delay`` blanks with a marker at the last one, then recall the symbols.

    A memoryless model that outputs blanks then guesses scores cross-entropy
    10 ln 8 / (delay + 20) per step, the task's trivial baseline.
    """
    total = delay + 2 * COPY_LENGTH
    symbols = rng.integers(1, COPY_SYMBOLS + 1, (n, COPY_LENGTH), dtype=np.int8)
    x = np.zeros((n, total), dtype=np.int8)
    x[:, :COPY_LENGTH] = symbols
    x[:, COPY_LENGTH + delay - 1] = COPY_SYMBOLS + 1
    y = np.zeros((n, total), dtype=np.int8)
    y[:, -COPY_LENGTH:] = symbols
    return {"x": x, "y": y}


def build(task: str, length: int, seed: int = 0) -> Built:
    if task == "adding":
        make, features = (
            adding_problem,
            Features({"x": Array2D(shape=(length, 2), dtype="float32"), "y": Value("float32")}),
        )
        rule = f"adding problem, T={length}"
    else:
        make, features = (
            copy_memory,
            Features(
                {
                    "x": Sequence(Value("int8"), length=length + 2 * COPY_LENGTH),
                    "y": Sequence(Value("int8"), length=length + 2 * COPY_LENGTH),
                }
            ),
        )
        rule = f"copy memory, delay T={length}, {COPY_LENGTH} symbols from {COPY_SYMBOLS}"
    splits = {
        split: Dataset.from_dict(make(n, length, np.random.default_rng([seed, i])), features)
        for i, (split, n) in enumerate(SIZES.items())
    }
    return Built(
        splits=DatasetDict(splits),
        source={"type": "synthetic", "task": task, "length": length, "seed": seed},
        split_rule=f"{rule}; independent draws per split from numpy default_rng([{seed}, split])",
        licence="generated (no licence needed)",
        extra={"length": length},
    )
