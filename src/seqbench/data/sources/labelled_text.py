"""The schema every text-classification source writes: a ``text`` string and a ``label``
(ClassLabel) per row, with the checks a labelled table needs before anything is written.

A source hands over its rows and the split of each; these checks refuse what would otherwise
train silently on garbage: a label outside the named classes (an SST-2 test row's -1), an empty
text (nothing to read the label from) and a split without rows.
"""

from collections.abc import Sequence

import numpy as np
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from seqbench.errors import DataError

SPLITS = ("train", "validation", "test")


def features(names: Sequence[str]) -> Features:
    return Features({"text": Value("string"), "label": ClassLabel(names=list(names))})


def check_labels(labels: object, where: str) -> None:
    """The class names a config gives, in id order: a list of two or more strings."""
    if not (
        isinstance(labels, list) and len(labels) >= 2 and all(isinstance(n, str) for n in labels)
    ):
        raise DataError(f"{where}: source.labels must list the class names in id order (2 or more)")


def label_ids(values: Sequence[object], names: Sequence[str], where: str) -> list[int]:
    """Each row's class id: an integer id below ``len(names)`` or one of the ``names``
    themselves; anything else is refused naming the value and the classes."""
    index = {name: i for i, name in enumerate(names)}
    ids = []
    for row, value in enumerate(values):
        if isinstance(value, str) and value in index:
            ids.append(index[value])
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
            ids.append(value)
        else:
            raise DataError(
                f"{where}: row {row} has the label {value!r}, which is not one of the classes "
                f"{', '.join(names)} (nor their ids 0..{len(names) - 1}); drop such rows (an "
                "unlabelled test split) or name every class in the data config's labels"
            )
    return ids


def check_texts(texts: Sequence[object], where: str) -> None:
    """Refuse a row whose text is not a string or is blank: a model would read only padding."""
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            raise DataError(
                f"{where}: row {row} holds {type(text).__name__}, not text; name the text column"
            )
        if not text.strip():
            raise DataError(
                f"{where}: row {row} has an empty text; drop empty rows before building the dataset"
            )


def shuffled(texts: list[str], labels: list[int], seed: int) -> tuple[list[str], list[int]]:
    """The rows in a seeded order: sources often come sorted by label, and an evaluation
    limited to its first batches must not read one class only."""
    order = np.random.default_rng(seed).permutation(len(texts))
    return [texts[i] for i in order], [labels[i] for i in order]


def build_splits(
    rows: dict[str, tuple[list[str], list[int]]], names: Sequence[str], where: str
) -> DatasetDict:
    """The three splits in the shared schema; an empty split is refused in one line."""
    if empty := [s for s in SPLITS if not rows.get(s, ([], []))[0]]:
        raise DataError(f"{where}: the {empty[0]} split has no rows; give it rows")
    schema = features(names)
    return DatasetDict(
        {
            split: Dataset.from_dict({"text": texts, "label": labels}, features=schema)
            for split, (texts, labels) in ((s, rows[s]) for s in SPLITS)
        }
    )
