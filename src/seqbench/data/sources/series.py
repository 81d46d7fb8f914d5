"""Real-valued series for forecasting, each cut by time into train/validation/test parts.

One row per part: ``values`` (steps x channels), the ``series`` it came from and the
``start`` step of the part inside that series, so anyone can check a window against the raw
series. Sources: a CSV a package ships (sktime's Airline, Lynx...: read as a file, sktime is
never imported), the smartwatch recordings seglearn ships (every recording cut by time), and
a Hub repo with a table of named columns (ETTh1), pinned to a revision.
"""

import csv
import hashlib
import io
from collections.abc import Sequence
from importlib import metadata, resources

import numpy as np
from datasets import Array2D, Dataset, DatasetDict, Features, Value

from seqbench.data.sources import Built
from seqbench.data.sources import hub as hub_source
from seqbench.data.timeseries import SPLITS, time_split
from seqbench.errors import DataError

PACKAGES = ("sktime",)  # whose bundled CSV files a config may read
DEFAULT_SPLIT = {"by": "time", "sizes": [0.7, 0.15, 0.15]}


def series_features(channels: int) -> Features:
    """The canonical schema of a forecasting snapshot: one row per part of a series."""
    return Features(
        {
            "values": Array2D(shape=(None, channels), dtype="float32"),
            "series": Value("string"),
            "start": Value("int64"),
        }
    )


def check_split(split: dict | None, where: str) -> list:
    """The rule's three sizes; only ``by: time`` exists (a series is never shuffled)."""
    rule = DEFAULT_SPLIT if split is None else split
    if not isinstance(rule, dict) or rule.get("by") != "time":
        raise DataError(
            f"{where}: a series is split by time only; write split: {{by: time, sizes: "
            "[0.7, 0.15, 0.15]}} (fractions) or sizes as row counts"
        )
    sizes = rule.get("sizes")
    if not isinstance(sizes, list) or len(sizes) != 3:
        raise DataError(f"{where}: split.sizes must list three sizes, got {sizes!r}")
    return sizes


def split_series(
    named: Sequence[tuple[str, np.ndarray]], sizes: list, channels: int
) -> DatasetDict:
    """Every series cut by time into its three contiguous parts, in the canonical schema."""
    rows = {s: {"values": [], "series": [], "start": []} for s in SPLITS}
    for name, values in named:
        for split, part in zip(SPLITS, time_split(len(values), sizes, name), strict=True):
            rows[split]["values"].append(np.asarray(values[part], dtype=np.float32))
            rows[split]["series"].append(name)
            rows[split]["start"].append(part.start)
    features = series_features(channels)
    return DatasetDict({s: Dataset.from_dict(rows[s], features=features) for s in SPLITS})


def _rule_words(sizes: list) -> str:
    parts = ", ".join(f"{s} {n:g}" for s, n in zip(SPLITS, sizes, strict=True))
    unit = "rows" if all(isinstance(n, int) for n in sizes) else "of each series"
    return (
        f"by time: each series cut into contiguous parts in time order ({parts} {unit}); "
        "never shuffled"
    )


def _columns(header: list[str], rows: list[list[str]], columns: list[str], where: str):
    if missing := [c for c in columns if c not in header]:
        raise DataError(f"{where} has no column {missing[0]!r}; its columns: {', '.join(header)}")
    index = [header.index(c) for c in columns]
    try:
        return np.array([[float(row[i]) for i in index] for row in rows], dtype=np.float64)
    except ValueError as error:
        raise DataError(f"{where}: a value in {columns} is not a number ({error})") from None


def package_csv(
    package: str,
    file: str,
    columns: list[str],
    split: dict | None = None,
    licence: str = "see the package",
) -> Built:
    """A CSV file shipped inside an installed package, its ``columns`` as the channels."""
    sizes = check_split(split, f"{package}:{file}")
    if package not in PACKAGES:
        raise DataError(f"source.package must be one of {', '.join(PACKAGES)}, got {package!r}")
    try:
        data = metadata.distribution(package).locate_file(file).read_bytes()
    except (metadata.PackageNotFoundError, OSError):
        raise DataError(
            f"{file} is not installed; install seqbench's dependencies (pip install -e .)"
        ) from None
    table = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    values = _columns(table[0], table[1:], list(columns), file)
    return Built(
        splits=split_series([(file.rsplit("/", 1)[-1], values)], sizes, len(columns)),
        source={
            "type": "package",
            "package": package,
            "version": metadata.version(package),
            "files": {file: hashlib.sha256(data).hexdigest()},
        },
        split_rule=_rule_words(sizes),
        licence=licence,
        extra={"channels": list(columns), "steps": len(values)},
    )


def watch(split: dict | None = None) -> Built:
    """The 140 smartwatch recordings seglearn ships (6 channels, 50 Hz), each cut by time."""
    sizes = check_split(split, "watch")
    path = resources.files("seglearn") / "data" / "watch_dataset.npy"
    with resources.as_file(path) as file:
        data = file.read_bytes()
        raw = np.load(file, allow_pickle=True).item()  # a packaged file, not user input
    named = [
        (f"recording-{i:03d}-subject-{int(s)}", np.asarray(x))
        for i, (x, s) in enumerate(zip(raw["X"], raw["subject"], strict=True))
    ]
    channels = [str(c) for c in raw["X_labels"]]
    return Built(
        splits=split_series(named, sizes, len(channels)),
        source={
            "type": "package",
            "package": "seglearn",
            "version": metadata.version("seglearn"),
            "files": {"seglearn/data/watch_dataset.npy": hashlib.sha256(data).hexdigest()},
        },
        split_rule=_rule_words(sizes),
        licence="BSD-3-Clause (seglearn package and its bundled watch dataset)",
        extra={"channels": channels, "sample_rate_hz": 50, "series": len(named)},
    )


def hub(
    repo: str,
    revision: str,
    columns: list[str],
    time_column: str | None = None,
    split: dict | None = None,
    licence: str = hub_source.UNSTATED,
) -> Built:
    """One table of a Hub repo (its train split, rows in time order) as one series."""
    sizes = check_split(split, repo)
    loaded, sha = hub_source.load(repo, revision, ("train",))
    table = loaded["train"]
    wanted = list(columns) + ([time_column] if time_column else [])
    if missing := [c for c in wanted if c not in table.column_names]:
        raise DataError(
            f"{repo} has no column {missing[0]!r}; its columns: {', '.join(table.column_names)}"
        )
    try:
        values = np.stack([np.asarray(table[c], dtype=np.float64) for c in columns], axis=1)
    except (TypeError, ValueError):
        raise DataError(f"{repo}: columns {columns} must hold numbers") from None
    extra = {"channels": list(columns), "steps": len(values)}
    if time_column:
        times = [str(t) for t in table[time_column]]
        if times != sorted(times):
            raise DataError(f"{repo}: column {time_column!r} is not in time order")
        extra["time_span"] = [times[0], times[-1]] if times else []
    return Built(
        splits=split_series([(repo, values)], sizes, len(columns)),
        source={"type": "hub", "repo": repo, "revision": revision, "sha": sha},
        split_rule=_rule_words(sizes),
        licence=licence,
        extra=extra,
    )
