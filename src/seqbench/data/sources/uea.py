"""Multivariate classification sets of the UEA archive, read from the copies sktime ships.

JapaneseVowels: 640 utterances of 12 LPC cepstrum coefficients, 7 to 29 steps long, the
class is which of 9 speakers said it. BasicMotions: 80 smartwatch recordings of 6 channels
(accelerometer and gyroscope), 100 steps each, 4 activities. The archive's own TRAIN and
TEST files stay as they are, so the measured test accuracy stands beside published ones;
validation is carved from TRAIN. The ``.ts`` files are found through the installed
distribution's file list and parsed by :mod:`seqbench.data.sources.ts_format`: nothing is
imported from sktime (its loaders pull in pandas) and nothing is downloaded.
"""

import hashlib
from importlib import metadata

import numpy as np
from datasets import Dataset, DatasetDict

from seqbench.data import splits
from seqbench.data.sources import Built, ts_format
from seqbench.data.sources.carving import check_carving
from seqbench.data.sources.watch import sensor_features
from seqbench.errors import DataError

PACKAGE = "sktime"
PROBLEMS = ("JapaneseVowels", "BasicMotions")
LICENCE = {
    "JapaneseVowels": "UCI Japanese Vowels (Kudo, Toyama and Shimbo 1999), CC BY 4.0",
    "BasicMotions": "as published by the UEA archive (timeseriesclassification.com)",
}


def path_of(problem: str, part: str) -> str:
    """The file's path inside the sktime distribution."""
    return f"sktime/datasets/data/{problem}/{problem}_{part}.ts"


def read_bytes(problem: str, part: str) -> bytes:
    """One of the bundled files, located through the installed distribution's metadata (no
    import of sktime, whose package import alone takes a second and loads pandas)."""
    try:
        file = metadata.distribution(PACKAGE).locate_file(path_of(problem, part))
        return file.read_bytes()
    except (metadata.PackageNotFoundError, OSError):
        raise DataError(
            f"{path_of(problem, part)} is not installed; install seqbench's dependencies "
            "(pip install -e .), which include sktime>=1.2"
        ) from None


def validation_cases(labels: list[str], fraction: float, seed: int) -> np.ndarray:
    """Which TRAIN cases go to validation: within each class, the ``round(fraction * n)`` of
    its n cases whose index in the file hashes lowest (blake2b, ``seed``), so every class
    keeps its share in both splits."""
    held = np.zeros(len(labels), dtype=bool)
    for label in dict.fromkeys(labels):
        members = [i for i, name in enumerate(labels) if name == label]
        take = round(fraction * len(members))
        if not 0 < take < len(members):
            raise DataError(
                f"source.validation={fraction:g} leaves class {label!r} ({len(members)} train "
                "cases) without a validation or a train case; choose a fraction such as 0.2"
            )
        chosen = sorted(members, key=lambda i: splits.unit(str(i), seed))[:take]
        held[chosen] = True
    return held


def _check(problem: object, validation: object, seed: object) -> None:
    if problem not in PROBLEMS:
        raise DataError(f"source.problem must be one of {', '.join(PROBLEMS)}, got {problem!r}")
    check_carving(validation, seed, of="the TRAIN file", example=0.2)


def build(problem: str, validation: float = 0.2, seed: int = 0) -> Built:
    _check(problem, validation, seed)
    raw = {part: read_bytes(problem, part) for part in ("TRAIN", "TEST")}
    files = {
        part: ts_format.parse(data.decode("utf-8"), path_of(problem, part))
        for part, data in raw.items()
    }
    train, test = files["TRAIN"], files["TEST"]
    if train.classes != test.classes:
        raise DataError(f"{problem}: TRAIN and TEST list different classes")
    held = validation_cases(train.labels, validation, seed)
    cases = list(zip(train.cases, train.labels, held, strict=True))
    parts = {
        "train": [(case, label) for case, label, h in cases if not h],
        "validation": [(case, label) for case, label, h in cases if h],
        "test": list(zip(test.cases, test.labels, strict=True)),
    }
    channels = train.cases[0].shape[1]
    features = sensor_features(channels, train.classes)
    built = {
        split: Dataset.from_dict(
            {
                "signal": [case.astype(np.float32) for case, _ in rows],
                "label": [train.classes.index(label) for _, label in rows],
                "subject": [-1] * len(rows),
            },
            features=features,
        )
        for split, rows in parts.items()
    }
    lengths = [len(case) for case in (*train.cases, *test.cases)]
    return Built(
        splits=DatasetDict(built),
        source={
            "type": "package",
            "package": PACKAGE,
            "version": metadata.version(PACKAGE),
            "files": {path_of(problem, p): hashlib.sha256(d).hexdigest() for p, d in raw.items()},
            "reader": "seqbench.data.sources.ts_format (checked against sktime.load_from_tsfile)",
        },
        split_rule=(
            f"test: the archive's {problem}_TEST file; validation: within each class, the "
            f"round({validation:g} x its count) cases of {problem}_TRAIN whose index in the "
            f"file hashes lowest (blake2b, seed {seed}); train: the other TRAIN cases; rows "
            "in file order within a split"
        ),
        licence=f"BSD-3-Clause (sktime's copy); the data: {LICENCE[problem]}",
        extra={
            "channels": [f"dim_{i}" for i in range(channels)],
            "problem": problem,
            "steps": {"min": min(lengths), "max": max(lengths)},
        },
    )
