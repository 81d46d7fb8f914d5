"""Local sensor tables: CSV, Parquet or JSON lines files, found by a glob relative to the
folder seqbench runs in (the project root), each file's md5 recorded as its provenance."""

from pathlib import Path

import pyarrow as pa
import pyarrow.csv
import pyarrow.json
import pyarrow.parquet

from seqbench.data import snapshot, splits
from seqbench.data.sources import Built, globbing, sensor_table
from seqbench.errors import DataError

READERS = {
    ".csv": pyarrow.csv.read_csv,
    ".parquet": pyarrow.parquet.read_table,
    ".jsonl": pyarrow.json.read_json,
    ".json": pyarrow.json.read_json,  # JSON lines: one object per line
}
UNSTATED = "not stated in the data config (local files)"


def find(files: str) -> tuple[Path, list[Path]]:
    """The project root and the files ``files`` matches under it, sorted; none is refused."""
    root = Path.cwd()
    if not isinstance(files, str) or not files:
        raise DataError("source.files must be a glob such as recordings/*.csv")
    found = [root / name for name in globbing.find(files, root)]
    if not found:
        raise DataError(
            f"source.files {files!r} matches no file under {root}; run seqbench from the "
            "project root or fix the glob"
        )
    if odd := [p.name for p in found if p.suffix.lower() not in READERS]:
        raise DataError(
            f"source.files {files!r} matches {odd[0]}, which is not {', '.join(READERS)}; "
            "narrow the glob"
        )
    return root, found


def read(path: Path, shown: str) -> pa.Table:
    try:
        return READERS[path.suffix.lower()](str(path))
    except (pa.ArrowException, OSError) as error:
        why = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"cannot read {shown} ({why}); fix the file or leave it out") from error


def sensor(
    files: str,
    channels: list[str],
    label: str,
    subject: str | None = None,
    recording: str | None = None,
    sample_rate_hz: float | None = None,
    split: dict | None = None,
    licence: str = UNSTATED,
) -> Built:
    """Long-format sensor files (one row per sample) cut into recordings, a recording never
    spanning two files, split by a rule (:mod:`seqbench.data.sources.sensor_table`)."""
    rule = splits.check_rule(split, sensor_table.RULES, f"source.files {files!r}")
    roles = sensor_table.columns_of(rule, label, subject, recording)
    root, found = find(files)
    tables, checksums = [], {}
    for path in found:
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        table = sensor_table.normalise(read(path, shown), shown, channels, roles)
        name = pa.array([shown] * table.num_rows, pa.string())
        tables.append(table.append_column(sensor_table.FILE, name))
        checksums[shown] = snapshot.file_md5(path)
    source = {"type": "files", "glob": files, "md5": checksums}
    return sensor_table.build(
        pa.concat_tables(tables),
        rule,
        source,
        channels,
        label,
        subject,
        recording,
        sample_rate_hz,
        licence,
    )


def labelled_text(
    files: str,
    labels: list[str],
    text_column: str = "text",
    label_column: str = "label",
    split: dict | None = None,
    licence: str = UNSTATED,
) -> Built:
    """Local labelled texts (one row per text, any of the files' formats) split by a seeded
    hash of the text (``split: {by: document}``, so a repeated text never spans two splits)
    or by a column naming each row's split; ``labels`` names the classes in id order."""
    from seqbench.data.sources import labelled_text as rows_of

    where = f"source.files {files!r}"
    rule = splits.check_rule(split or {"by": "document"}, ("document", "column"), where)
    rows_of.check_labels(labels, where)
    root, found = find(files)
    texts, classes, named, checksums = [], [], [], {}
    for path in found:
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        table = read(path, shown)
        needed = [(text_column, "text_column"), (label_column, "label_column")]
        if rule["by"] == "column":
            needed.append((rule["column"], "split column"))
        for column, role in needed:
            if column not in table.column_names:
                raise DataError(
                    f"{shown} has no column {column!r} ({role}); its columns: "
                    f"{', '.join(table.column_names)}"
                )
        part = table.column(text_column).to_pylist()
        rows_of.check_texts(part, shown)
        classes += rows_of.label_ids(table.column(label_column).to_pylist(), labels, shown)
        texts += part
        if rule["by"] == "column":
            named += splits.by_column(table.column(rule["column"]).to_pylist(), rule["column"])
        checksums[shown] = snapshot.file_md5(path)
    if rule["by"] == "document":
        assigned = splits.assign(texts, rule["fractions"], rule["seed"], "text")
        named = [assigned[text] for text in texts]
    parts = {s: ([], []) for s in rows_of.SPLITS}
    for text, label, split_name in zip(texts, classes, named, strict=True):
        parts[split_name][0].append(text)
        parts[split_name][1].append(label)
    seed = rule.get("seed", 0)
    parts = {s: rows_of.shuffled(*rows, seed=seed) for s, rows in parts.items()}
    return Built(
        splits=rows_of.build_splits(parts, labels, where),
        source={"type": "files", "glob": files, "md5": checksums},
        split_rule=splits.rule_words(rule)
        + f"; rows within a split in numpy default_rng({seed}) order",
        licence=licence,
        extra={"classes": list(labels)},
    )
