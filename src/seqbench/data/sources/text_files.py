"""Local text files as a dataset: ``*.txt`` files (one document each) or JSON lines (one
document per line, its text in a named column), found by a glob.

Documents are split with the shared seeded-hash rule (:mod:`seqbench.data.splits`) on their
key (the file's path, or ``path:line`` for JSON lines), so a document never crosses splits
and adding files moves no other document. Files are read one document at a time and written
to Arrow a few MB at a time, so a corpus of any size never sits in memory (a single document
does: split a huge file into several). Provenance records each file's md5.
"""

import hashlib
import json
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path

from datasets import Dataset, DatasetDict, DatasetInfo, Features, Value
from datasets.arrow_writer import ArrowWriter
from datasets.table import MemoryMappedTable

from seqbench.data import splits as split_rules
from seqbench.data.sources import Built, globbing
from seqbench.errors import DataError

FEATURES = Features({"document": Value("string"), "text": Value("string")})
FLUSH_BYTES = 4 << 20


def _files(pattern: str, root: Path) -> list[tuple[str, Path]]:
    """(key, path) of every file the glob matches, sorted so builds do not depend on order."""
    files = [(name, root / name) for name in globbing.find(pattern, root)]
    if not files:
        raise DataError(
            f"no files match {pattern!r} under {root.resolve()}; give a glob such as 'corpus/*.txt'"
        )
    return files


def _documents(
    key: str, path: Path, column: str | None, digests: dict[str, str]
) -> Iterator[tuple[str, str]]:
    """(document key, text) of one file, recording the file's md5 in ``digests``."""
    digest = hashlib.md5()
    with path.open("rb") as handle:
        if column is None:
            data = handle.read()
            digest.update(data)
            yield key, _text(data, path)
        else:
            for number, line in enumerate(handle, start=1):
                digest.update(line)
                if line.strip():
                    yield f"{key}:{number}", _json_text(line, path, number, column)
    digests[key] = digest.hexdigest()


def _text(data: bytes, path: Path, where: str = "") -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}{where} is not UTF-8 text (byte {error.start}); convert it to UTF-8 or "
            "leave it out of the glob"
        ) from error


def _json_text(line: bytes, path: Path, number: int, column: str) -> str:
    try:
        row = json.loads(_text(line, path, f" line {number}"))
    except json.JSONDecodeError as error:
        raise DataError(f"{path} line {number} is not JSON ({error.msg}); fix the line") from error
    value = row.get(column) if isinstance(row, dict) else None
    if not isinstance(value, str):
        has = ", ".join(map(str, row)) if isinstance(row, dict) else type(row).__name__
        raise DataError(
            f"{path} line {number} has no text column {column!r} (it has: {has}); "
            "set the text column to the one holding the text"
        )
    return value


class _SplitWriter:
    """Documents of one split, buffered a few MB at a time into an Arrow file."""

    def __init__(self, path: Path) -> None:
        self.path, self.rows, self.size = path, 0, 0
        self.writer = ArrowWriter(features=FEATURES, path=str(path))
        self.buffer: dict[str, list[str]] = {"document": [], "text": []}

    def add(self, key: str, text: str) -> None:
        self.buffer["document"].append(key)
        self.buffer["text"].append(text)
        self.rows, self.size = self.rows + 1, self.size + len(text)
        if self.size >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.buffer["text"]:
            self.writer.write_batch(self.buffer)
        self.buffer, self.size = {"document": [], "text": []}, 0

    def close(self, fingerprint: str) -> Dataset:
        self.flush()
        self.writer.finalize()
        self.writer.close()
        table = MemoryMappedTable.from_file(str(self.path))
        return Dataset(table, info=DatasetInfo(features=FEATURES), fingerprint=fingerprint)


def build(
    pattern: str,
    text_column: str | None = None,
    fractions: dict[str, float] | None = None,
    seed: int = 0,
    root: str | Path = ".",
    licence: str = "as stated by the files' owner (local files)",
) -> Built:
    """The files matching ``pattern`` (relative to ``root``; ``**`` recurses) as a text
    dataset: each ``*.txt``-style file one document, or, with ``text_column``, each line of
    JSON-lines files one document. ``fractions``: train/validation/test, default 0.8/0.1/0.1."""
    fractions = fractions or {"train": 0.8, "validation": 0.1, "test": 0.1}
    checked = split_rules.check_fractions(fractions)
    root = Path(root)
    files = _files(pattern, root)
    folder = Path(tempfile.mkdtemp(prefix="seqbench-text-files-"))
    try:
        writers = {s: _SplitWriter(folder / f"{s}.arrow") for s in split_rules.SPLITS}
        digests: dict[str, str] = {}
        for key, path in files:
            for document, text in _documents(key, path, text_column, digests):
                writers[split_rules.split_of(document, checked, seed)].add(document, text)
        what = "document"
        if empty := [s for s, w in writers.items() if w.rows == 0]:
            raise DataError(
                f"the {empty[0]} split is empty: the {what}s of {pattern!r} split "
                f"{split_rules.describe(fractions, seed)} put none there; give more {what}s, "
                "larger fractions or another split seed"
            )
        tag = hashlib.md5(json.dumps([pattern, text_column, digests]).encode()).hexdigest()
        splits = DatasetDict({s: w.close(f"{tag}-{s}") for s, w in writers.items()})
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    weakref.finalize(splits, shutil.rmtree, folder, True)  # memory-mapped until then
    source = {"type": "files", "pattern": pattern, "root": str(root)}  # as given: portable
    return Built(
        splits=splits,
        source=source | {"text_column": text_column, "files": digests},
        split_rule=f"by {what} ({'path:line' if text_column else 'file path'}) "
        + split_rules.describe(fractions, seed),
        licence=licence,
    )


def text(
    files: str,
    text_column: str | None = None,
    split: dict | None = None,
    licence: str = "as stated by the files' owner (local files)",
) -> Built:
    """The data-config builder (``source: {_target_: seqbench.data.sources.text_files.text,
    files: corpus/*.txt}`` with ``split: {by: document}``): ``files`` relative to the project
    root (the working folder), split by document as the rule says."""
    rule = split_rules.check_rule(split, ("document",), f"source.files {files!r}")
    return build(files, text_column, rule["fractions"], rule["seed"], Path("."), licence)
