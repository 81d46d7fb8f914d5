"""Labelled anomaly series that ship inside an installed package, split by time.

A file is one series: a ``data`` column (the signal) and a ``label`` column (1 where the
sample is anomalous, else 0), as sktime bundles ``mitdb/mitdb.csv`` (an ECG stretch from the
MIT-BIH arrhythmia database) and ``yahoo/yahoo.csv``. The file is found through the installed
distribution's file list (nothing imported from the package, nothing downloaded) and its
sha256 is pinned in the data config, so a changed package file is refused, not silently used.

Split by time, never shuffled: train ``[0, validation_start)``, validation
``[validation_start, test_start)``, test ``[test_start, end)``. A detector is trained on normal
data and its threshold is chosen on validation, so validation and test must each hold
anomalies; a split rule that leaves either without one is refused.
"""

import csv
import hashlib
import io
from importlib import metadata

import numpy as np
from datasets import Array2D, Dataset, DatasetDict, Features, Sequence, Value

from seqbench.data.sources import Built
from seqbench.errors import DataError

SPLIT_NAMES = ("train", "validation", "test")


def anomaly_features() -> Features:
    """The schema of every anomaly dataset: one row per split, a step-wise label."""
    return Features(
        {
            "signal": Array2D(shape=(None, 1), dtype="float32"),
            "label": Sequence(Value("int8")),
            "start": Value("int64"),
        }
    )


def read_bytes(package: str, file: str) -> bytes:
    """A file of an installed distribution, located through its metadata."""
    try:
        return metadata.distribution(package).locate_file(file).read_bytes()
    except (metadata.PackageNotFoundError, OSError):
        raise DataError(
            f"{file} of package {package} is not installed; install seqbench's dependencies "
            "(pip install -e .)"
        ) from None


def parse(data: bytes, where: str, column: str = "data", label: str = "label"):
    """The signal and 0/1 labels of a ``data,label`` CSV; anything else is refused in one line."""
    rows = csv.DictReader(io.StringIO(data.decode("utf-8")))
    header = rows.fieldnames or []
    for wanted, key in ((column, "source.column"), (label, "source.label")):
        if wanted not in header:
            raise DataError(
                f"{where} has no column {wanted!r} (it has {', '.join(header) or 'none'}); "
                f"set {key} to one of them"
            )
    signal, labels = [], []
    for number, row in enumerate(rows, start=2):
        try:
            signal.append(float(row[column]))
            value = float(row[label])
        except (TypeError, ValueError):
            raise DataError(
                f"{where} line {number}: {row[column]!r}, {row[label]!r} is not a number; "
                "the file must hold a numeric signal and 0/1 labels"
            ) from None
        if value not in (0.0, 1.0):
            raise DataError(
                f"{where} line {number}: label {row[label]!r} is not 0 or 1; an anomaly label "
                "column marks each sample normal (0) or anomalous (1)"
            )
        labels.append(int(value))
    return np.asarray(signal, dtype=np.float32), np.asarray(labels, dtype=np.int8)


def split_series(
    signal: np.ndarray, labels: np.ndarray, validation_start: int, test_start: int, where: str
) -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """(signal, labels, first index) of each split; refuses bounds out of order and a
    validation or test split without an anomaly (no threshold could be chosen or checked)."""
    if not 0 < validation_start < test_start < len(signal):
        raise DataError(
            f"{where}: split bounds validation_start={validation_start}, "
            f"test_start={test_start} must satisfy 0 < validation_start < test_start < "
            f"{len(signal)} (the series' length)"
        )
    bounds = {
        "train": (0, validation_start),
        "validation": (validation_start, test_start),
        "test": (test_start, len(signal)),
    }
    parts = {s: (signal[a:b], labels[a:b], a) for s, (a, b) in bounds.items()}
    for split in ("validation", "test"):
        if not parts[split][1].any():
            a, b = bounds[split]
            raise DataError(
                f"{where}: the {split} split (samples {a}..{b - 1}) holds no anomaly, so "
                "no threshold can be chosen or tested; move source.validation_start or "
                "source.test_start so that both splits hold labelled anomalies"
            )
    return parts


def build(
    package: str,
    file: str,
    sha256: str,
    validation_start: int,
    test_start: int,
    labels: str,
    licence: str,
    column: str = "data",
    label: str = "label",
) -> Built:
    """``labels``: what a 1 in the label column means (written into the provenance)."""
    raw = read_bytes(package, file)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        raise DataError(
            f"{file} of {package} {metadata.version(package)} has sha256 {digest[:12]}..., "
            f"not the pinned {sha256[:12]}...; install the pinned package version or "
            "update source.sha256 after checking the file"
        )
    signal, marks = parse(raw, file, column, label)
    parts = split_series(signal, marks, validation_start, test_start, file)
    features = anomaly_features()
    splits = DatasetDict(
        {
            s: Dataset.from_dict(
                {"signal": [x[:, None]], "label": [y.tolist()], "start": [a]}, features=features
            )
            for s, (x, y, a) in parts.items()
        }
    )
    counts = {s: {"steps": len(y), "anomalous": int(y.sum())} for s, (_, y, _) in parts.items()}
    return Built(
        splits=splits,
        source={
            "type": "package",
            "package": package,
            "version": metadata.version(package),
            "files": {file: digest},
        },
        split_rule=(
            f"by time, never shuffled: train samples 0..{validation_start - 1}, validation "
            f"{validation_start}..{test_start - 1}, test {test_start}..{len(signal) - 1}; "
            f"anomalous samples per split: {counts['train']['anomalous']} / "
            f"{counts['validation']['anomalous']} / {counts['test']['anomalous']} (validation "
            "and test both hold anomalies); training uses normal samples only"
        ),
        licence=licence,
        extra={"labels": labels, "channels": [column], "split_counts": counts},
    )
