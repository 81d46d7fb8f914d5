"""Smartwatch exercise recordings from the ``seglearn`` package, split by subject.

140 recordings of 6 channels (accelerometer + gyroscope) at 50 Hz, 7 shoulder exercises,
10 subjects. Splitting by subject means the test set measures generalisation to new people.
"""

from importlib import metadata, resources

import numpy as np
from datasets import Array2D, ClassLabel, Dataset, DatasetDict, Features, Value

from seqbench.data.sources import Built

VALIDATION_SUBJECTS = (7, 8)
TEST_SUBJECTS = (9, 10)


def sensor_features(channels: int, labels: list[str]) -> Features:
    """The canonical schema of every sensor dataset: one row per recording."""
    return Features(
        {
            "signal": Array2D(shape=(None, channels), dtype="float32"),
            "label": ClassLabel(names=labels),
            "subject": Value("int32"),
        }
    )


def split_of(subject: int) -> str:
    if subject in TEST_SUBJECTS:
        return "test"
    return "validation" if subject in VALIDATION_SUBJECTS else "train"


def build() -> Built:
    path = resources.files("seglearn") / "data" / "watch_dataset.npy"
    with resources.as_file(path) as file:
        raw = np.load(file, allow_pickle=True).item()  # a packaged file, not user input
    labels = [str(name) for name in raw["y_labels"]]
    rows: dict[str, dict[str, list]] = {
        s: {"signal": [], "label": [], "subject": []} for s in ("train", "validation", "test")
    }
    for signal, label, subject in zip(raw["X"], raw["y"], raw["subject"], strict=True):
        split = rows[split_of(int(subject))]
        split["signal"].append(np.asarray(signal, dtype=np.float32))
        split["label"].append(int(label))
        split["subject"].append(int(subject))
    features = sensor_features(len(raw["X_labels"]), labels)
    return Built(
        splits=DatasetDict({s: Dataset.from_dict(r, features=features) for s, r in rows.items()}),
        source={"type": "package", "package": "seglearn", "version": metadata.version("seglearn")},
        split_rule=(
            f"by subject: validation {list(VALIDATION_SUBJECTS)}, test {list(TEST_SUBJECTS)}, "
            "train the rest"
        ),
        licence="BSD-3-Clause (seglearn package and its bundled watch dataset)",
        extra={"channels": [str(c) for c in raw["X_labels"]], "sample_rate_hz": 50},
    )
