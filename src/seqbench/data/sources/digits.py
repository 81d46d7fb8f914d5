"""Sequential digits: scikit-learn's bundled 8x8 handwritten digits read pixel by pixel.

1797 images become 64-step, 1-channel recordings, 10 classes. Read row by row the task needs
memory across rows; with ``permutation_seed`` every image's pixels are reordered by one fixed
permutation (the permuted-pixel test), which destroys locality, so a model must remember the
whole sequence instead of following strokes. Nothing is downloaded: the images ship inside
scikit-learn.
"""

from importlib import metadata

import numpy as np
from datasets import Dataset, DatasetDict

from seqbench.data import splits
from seqbench.data.sources import Built
from seqbench.data.sources.watch import sensor_features
from seqbench.errors import DataError

PIXELS = 64
RULES = ("image",)


def permutation(seed: int) -> np.ndarray:
    """The fixed pixel order for ``seed``: position t of a permuted sequence is pixel
    ``permutation(seed)[t]`` of the row-major image."""
    return np.random.default_rng(seed).permutation(PIXELS)


def _check_seed(seed: object) -> int | None:
    if seed is None:
        return None
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise DataError(
            f"source.permutation_seed must be an integer >= 0 (or null: pixels in reading "
            f"order), got {seed!r}"
        )
    return seed


def build(permutation_seed: int | None = None, split: dict | None = None) -> Built:
    """Every image as one recording of 64 steps (row-major, or permuted), split by a seeded
    hash of its index in ``load_digits()`` (:mod:`seqbench.data.splits`)."""
    from sklearn.datasets import load_digits  # heavy import, needed only when building

    seed = _check_seed(permutation_seed)
    rule = splits.check_rule(split, RULES, "the digits source")
    digits = load_digits()
    sequences = digits.images.reshape(len(digits.images), PIXELS).astype(np.float32)
    order = np.arange(PIXELS) if seed is None else permutation(seed)
    sequences = sequences[:, order]
    keys = [str(i) for i in range(len(sequences))]
    assigned = splits.assign(keys, rule["fractions"], rule["seed"], "image")
    rows: dict[str, dict[str, list]] = {
        s: {"signal": [], "label": [], "subject": []} for s in splits.SPLITS
    }
    for key, sequence, label in zip(keys, sequences, digits.target, strict=True):
        split = rows[assigned[key]]
        split["signal"].append(sequence[:, None])
        split["label"].append(int(label))
        split["subject"].append(-1)
    features = sensor_features(1, [str(d) for d in range(10)])
    reading = "row-major" if seed is None else f"permuted by numpy default_rng({seed})"
    extra: dict = {"channels": ["pixel"], "pixel_order": reading}
    if seed is not None:
        extra["permutation"] = order.tolist()
    return Built(
        splits=DatasetDict({s: Dataset.from_dict(r, features=features) for s, r in rows.items()}),
        source={
            "type": "package",
            "package": "scikit-learn",
            "version": metadata.version("scikit-learn"),
            "loader": "sklearn.datasets.load_digits",
        },
        split_rule=(
            f"{splits.rule_words(rule)}; the key is the image's index in load_digits(), rows "
            "in index order within a split"
        ),
        licence=(
            "BSD-3-Clause (scikit-learn); the images: UCI Optical Recognition of Handwritten "
            "Digits, CC BY 4.0"
        ),
        extra=extra,
    )
