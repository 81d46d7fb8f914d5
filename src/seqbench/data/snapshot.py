"""The on-disk raw snapshot: ``data/raw/<name>/`` = a DatasetDict + vocab + provenance.json.

Every file's md5 is recorded in provenance.json when the snapshot is written and checked when
it is read, so a tampered or half-written snapshot is named and refused instead of trained on.
"""

import hashlib
import json
import shutil
from pathlib import Path

from datasets import DatasetDict, load_from_disk

from seqbench.data.sources import Built
from seqbench.errors import DataError

PROVENANCE = "provenance.json"
VOCAB = "vocab.json"


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """md5 of every file under ``folder`` except provenance.json, by relative path."""
    return {
        path.relative_to(folder).as_posix(): file_md5(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != PROVENANCE
    }


def content_hash(files: dict[str, str]) -> str:
    return hashlib.md5(json.dumps(files, sort_keys=True).encode()).hexdigest()


def text_vocab(splits: DatasetDict) -> list[str]:
    """Characters of the train split, sorted: the vocabulary every text model shares."""
    return sorted(set().union(*(set(text) for text in splits["train"]["text"])))


def write(name: str, kind: str, summary: str, built: Built, raw_dir: Path) -> dict:
    """Write the snapshot to a temporary folder, then swap it in: an interrupted fetch
    leaves the previous snapshot intact."""
    final, staging = raw_dir / name, raw_dir / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    built.splits.save_to_disk(str(staging))
    if kind == "text":
        (staging / VOCAB).write_text(json.dumps(text_vocab(built.splits), ensure_ascii=False))
    files = file_hashes(staging)
    provenance = {
        "name": name,
        "kind": kind,
        "summary": summary,
        "source": built.source,
        "split_rule": built.split_rule,
        "licence": built.licence,
        "rows": {split: len(rows) for split, rows in built.splits.items()},
        **built.extra,
        "content_hash": content_hash(files),
        "files": files,
    }
    (staging / PROVENANCE).write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    return provenance


def missing_message(name: str, raw_dir: Path) -> str:
    return (
        f"no data at {raw_dir / name}; run `seqbench fetch {name}` "
        "(or `dvc pull` where a DVC remote is configured)"
    )


def verify(name: str, raw_dir: Path) -> dict:
    """The snapshot's provenance, after checking every file against it."""
    folder = raw_dir / name
    if not (folder / PROVENANCE).is_file():
        raise DataError(missing_message(name, raw_dir))
    try:
        provenance = json.loads((folder / PROVENANCE).read_text())
        recorded = provenance["files"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise DataError(
            f"{folder / PROVENANCE} is corrupt ({error}); rebuild it with `seqbench fetch {name}`"
        ) from error
    actual = file_hashes(folder)
    changed = sorted(p for p in recorded.keys() | actual.keys() if recorded.get(p) != actual.get(p))
    if changed:
        raise DataError(
            f"snapshot {folder} was modified since it was built ({', '.join(changed[:3])}"
            f"{' ...' if len(changed) > 3 else ''} differ from provenance.json); not using it. "
            f"Restore it with `seqbench fetch {name}` or `dvc checkout data.dvc`"
        )
    return provenance


def load(name: str, raw_dir: Path) -> tuple[DatasetDict, dict]:
    """The verified DatasetDict (memory-mapped Arrow) and its provenance."""
    provenance = verify(name, raw_dir)
    return load_from_disk(str(raw_dir / name)), provenance


def load_vocab(name: str, raw_dir: Path) -> list[str]:
    return json.loads((raw_dir / name / VOCAB).read_text())


def describe(raw_dir: Path) -> dict[str, dict]:
    """Size, splits, source and hash of every verified snapshot under ``raw_dir``."""
    summary = {}
    for folder in sorted(p for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        provenance = verify(folder.name, raw_dir)
        summary[folder.name] = {
            key: provenance[key]
            for key in ("kind", "source", "split_rule", "licence", "rows", "content_hash")
        } | {"bytes": sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())}
    return summary
