"""MNIST-1D (Greydanus 2020), generated locally by the ``mnist1d`` package's ``make_dataset``.

5000 one-channel sequences of 40 steps, 10 classes, made from ten 1-D digit templates by
seeded padding, translation, shear, scaling and noise; ``shuffle_seq`` reorders the 40 steps
of every sequence by one fixed permutation (the package's permuted test). Only
``make_dataset`` is called: the package's ``get_dataset`` would download a pickle and is
never used. The package's own test set (its last 1000) is kept as it is, so the measured
accuracy stands beside the published one; validation is carved from its train set.
"""

import random
from importlib import metadata

import numpy as np
from datasets import Dataset, DatasetDict

from seqbench.data import splits
from seqbench.data.sources import Built
from seqbench.data.sources.carving import check_carving
from seqbench.data.sources.watch import sensor_features
from seqbench.errors import DataError


def generate(shuffle_seq: bool) -> dict:
    """The package's dataset at its published defaults (seed 42). It seeds numpy's and
    Python's global generators, so both are restored afterwards: building a dataset must not
    change the randomness of what runs next in the process."""
    import mnist1d.data  # heavy import (scipy, matplotlib), needed only when building

    args = mnist1d.data.get_dataset_args()
    args.shuffle_seq = shuffle_seq
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        return mnist1d.data.make_dataset(args)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


def _check(shuffle_seq: object, validation: object, seed: object) -> None:
    if not isinstance(shuffle_seq, bool):
        raise DataError(f"source.shuffle_seq must be true or false, got {shuffle_seq!r}")
    check_carving(validation, seed, of="the train set", example=0.1)


def validation_rows(count: int, fraction: float, seed: int) -> np.ndarray:
    """Which of the package's train rows go to validation: a seeded hash of the row index
    below ``fraction`` (:func:`seqbench.data.splits.unit`)."""
    return np.array([splits.unit(str(i), seed) < fraction for i in range(count)], dtype=bool)


def build(shuffle_seq: bool = False, validation: float = 0.1, seed: int = 0) -> Built:
    _check(shuffle_seq, validation, seed)
    data = generate(shuffle_seq)
    train_x, train_y = np.asarray(data["x"], np.float32), np.asarray(data["y"])
    held = validation_rows(len(train_y), validation, seed)
    parts = {
        "train": (train_x[~held], train_y[~held]),
        "validation": (train_x[held], train_y[held]),
        "test": (np.asarray(data["x_test"], np.float32), np.asarray(data["y_test"])),
    }
    features = sensor_features(1, [str(d) for d in range(10)])
    built = {
        split: Dataset.from_dict(
            {
                "signal": [row[:, None] for row in x],
                "label": [int(label) for label in y],
                "subject": [-1] * len(y),
            },
            features=features,
        )
        for split, (x, y) in parts.items()
    }
    return Built(
        splits=DatasetDict(built),
        source={
            "type": "package",
            "package": "mnist1d",
            "version": metadata.version("mnist1d"),
            "generator": "mnist1d.data.make_dataset, the package's default arguments (seed 42)",
            "shuffle_seq": shuffle_seq,
        },
        split_rule=(
            "test: the package's own test set (the last 20% of make_dataset's shuffled "
            "examples); validation: the package's train rows whose index hashes (blake2b, "
            f"seed {seed}) below {validation:g}; train: the other train rows"
        ),
        licence="Apache-2.0 (mnist1d package)",
        extra={"channels": ["signal"], "sequence_length": int(train_x.shape[1])},
    )
