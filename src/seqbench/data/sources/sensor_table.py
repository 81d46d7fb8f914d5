"""Sensor data in long format (one row per sample, one column per channel), from the Hub or
from local files, cut into seqbench's sensor schema: one row per recording, split by a rule.

A recording is a run of consecutive rows with one recording key (the recording column, else
the subject column; always within one file) and one label, and a whole split group (a
recording or a subject) goes to one split, so no window ever crosses a split.
"""

import itertools

import numpy as np
import pyarrow as pa
from datasets import Dataset, DatasetDict

from seqbench.data import splits
from seqbench.data.sources import Built
from seqbench.data.sources.watch import sensor_features
from seqbench.errors import DataError

RULES = ("subject", "recording", "column")
FILE = "__file__"  # the column a multi-file source adds: the file each row came from


def columns_of(rule: dict, label: str, subject: str | None, recording: str | None) -> dict:
    """The non-channel columns a source reads, by their role."""
    roles = {"label": label, "subject": subject, "recording": recording}
    if rule["by"] == "column":
        roles["split column"] = rule["column"]
    if rule["by"] == "subject" and not subject:
        raise DataError("split.by=subject needs source.subject, the column naming each person")
    return {role: column for role, column in roles.items() if column}


def normalise(table: pa.Table, where: str, channels: list[str], roles: dict) -> pa.Table:
    """The columns a source reads, channels as float32 and the rest as text; a column that
    does not exist, a channel that is not numeric and a missing value are refused."""
    if not channels or not all(isinstance(c, str) for c in channels):
        raise DataError(f"{where}: source.channels must list the channel columns by name")
    wanted = [*((f"channel {c!r}", c) for c in channels), *roles.items()]
    for role, column in wanted:
        if column not in table.column_names:
            raise DataError(
                f"{where} has no column {column!r} ({role}); its columns: "
                f"{', '.join(table.column_names)}"
            )
    for channel in channels:
        kind = table.schema.field(channel).type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            raise DataError(
                f"channel {channel!r} in {where} is not numeric ({kind}); fix its values or "
                "leave it out of source.channels"
            )
    for role, column in wanted:
        if nulls := table.column(column).null_count:
            raise DataError(f"{where}: column {column!r} ({role}) has {nulls} missing values")
    out = {c: table.column(c).cast(pa.float32()) for c in channels}
    out |= {c: table.column(c).cast(pa.string()) for c in roles.values()}
    return pa.table(out)


def _text(table: pa.Table, column: str | None) -> np.ndarray:
    if column is None:
        return np.zeros(table.num_rows, dtype=object)
    return np.asarray(table.column(column).to_pylist(), dtype=object)


def build(
    table: pa.Table,
    rule: dict,
    source: dict,
    channels: list[str],
    label: str,
    subject: str | None,
    recording: str | None,
    sample_rate_hz: float | None,
    licence: str,
) -> Built:
    """``table`` from :func:`normalise` (plus a FILE column for several files) as a Built."""
    signal = np.stack([table.column(c).to_numpy() for c in channels], axis=1)
    labels, people = _text(table, label), _text(table, subject)
    files = _text(table, FILE if FILE in table.column_names else None)
    owner = _text(table, recording or subject)
    column = _text(table, rule.get("column"))
    keys = [files, owner, labels, column]
    change = np.zeros(max(len(labels) - 1, 0), dtype=bool)
    for key in keys:
        change |= key[1:] != key[:-1]
    bounds = [0, *(np.flatnonzero(change) + 1).tolist(), len(labels)]
    runs = [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]
    if rule["by"] == "column":
        split_of = splits.by_column([column[r.start] for r in runs], rule["column"])
    else:
        by_subject = rule["by"] == "subject"
        group = people if by_subject else [f"{f}\x1f{o}" for f, o in zip(files, owner, strict=True)]
        keys = [str(group[r.start]) for r in runs]
        assigned = splits.assign(keys, rule["fractions"], rule["seed"], rule["by"])
        split_of = [assigned[key] for key in keys]
    names = sorted(set(labels.tolist()))
    subjects = sorted(set(people.tolist())) if subject else []
    rows: dict[str, dict[str, list]] = {
        s: {"signal": [], "label": [], "subject": []} for s in splits.SPLITS
    }
    for run, split in zip(runs, split_of, strict=True):
        rows[split]["signal"].append(signal[run])
        rows[split]["label"].append(names.index(labels[run.start]))
        rows[split]["subject"].append(subjects.index(people[run.start]) if subject else -1)
    trained = {names[i] for i in rows["train"]["label"]}
    for split in ("validation", "test"):
        if unseen := sorted({names[i] for i in rows[split]["label"]} - trained):
            raise DataError(
                f"label {unseen[0]!r} is in the {split} split but not in train, so no model "
                "can learn it; give it training recordings or change the split rule"
            )
    features = sensor_features(len(channels), names)
    unit = recording or subject or "file"
    extra: dict = {"channels": list(channels)}
    if sample_rate_hz is not None:
        extra["sample_rate_hz"] = sample_rate_hz
    return Built(
        splits=DatasetDict({s: Dataset.from_dict(r, features=features) for s, r in rows.items()}),
        source=source,
        split_rule=(
            f"{splits.rule_words(rule)}; a recording is a run of rows with one {unit} and one label"
        ),
        licence=licence,
        extra=extra,
    )
