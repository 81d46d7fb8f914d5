"""The on-disk raw snapshot: ``data/raw/<name>/`` = a DatasetDict + vocab + provenance.json,
and for text the token ids (see :mod:`seqbench.data.tokens`).

Every file's md5 is recorded in provenance.json when the snapshot is written and checked when
it is read, so a tampered or half-written snapshot is named and refused instead of trained on
(an unchanged file's md5 is remembered between checks, see :mod:`seqbench.data.stamps`).
"""

import json
import os
import shutil
from pathlib import Path

import pyarrow.compute as pc
from datasets import DatasetDict, load_from_disk

from seqbench.data import hashing, pins, stamps, tokens
from seqbench.data.hashing import content_hash, file_md5
from seqbench.data.sources import Built
from seqbench.errors import DataError
from seqbench.safety import atomic, storage

__all__ = ["content_hash", "file_md5"]
PROVENANCE = "provenance.json"
VOCAB = "vocab.json"


def _raise(error: OSError) -> None:
    raise error


def file_hashes(folder: Path, remembered: bool = False) -> dict[str, str]:
    """md5 of every file under ``folder`` except provenance.json, by relative path
    (``remembered``: from the stamps where a file is unchanged, see :mod:`stamps` for what
    that trusts). A folder that cannot be listed raises (PermissionError) instead of reading
    as missing files."""
    found = []
    for parent, _, names in os.walk(folder, onerror=_raise):
        found += [Path(parent) / name for name in names]
    paths = [path for path in sorted(found) if path.is_file() and path.name != PROVENANCE]
    if remembered:
        return stamps.hashes(folder, paths, file_md5)
    return {path.relative_to(folder).as_posix(): file_md5(path) for path in paths}


def write(name: str, kind: str, summary: str, built: Built, raw_dir: Path) -> dict:
    """Write the snapshot to a temporary folder, then swap it in: an interrupted or failed
    fetch (a full disk) leaves the previous snapshot intact and no temporary folder. A full disk
    is said naming ``raw_dir`` and its free space (the libraries' errors name no file)."""
    final, staging = raw_dir / name, raw_dir / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        provenance = _stage(name, kind, summary, built, staging)
        _swap(staging, final)
        stamps.record(final, provenance["files"])
    except Exception as error:
        found = storage.find_os_error(error)
        if found is None or found.errno not in storage.DISK_FULL:
            raise
        named = OSError(found.errno, found.strerror, str(final))
        raise storage.explain(named, where=raw_dir) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return provenance


def _stage(name: str, kind: str, summary: str, built: Built, staging: Path) -> dict:
    built.splits.save_to_disk(str(staging))
    if kind == "text":
        vocab = json.dumps(tokens.write(built.splits, staging), ensure_ascii=False)
        atomic.write_text(staging / VOCAB, vocab)
    files = file_hashes(staging)
    provenance = {
        "name": name,
        "kind": kind,
        "summary": summary,
        "source": built.source,
        "split_rule": built.split_rule,
        "licence": built.licence,
        "rows": {split: len(rows) for split, rows in built.splits.items()},
        **_recordings(kind, built.splits),
        **built.extra,
        "files": files,
    }
    provenance[hashing.CONTENT_HASH] = content_hash(provenance)
    text = json.dumps(provenance, indent=2, sort_keys=True) + "\n"
    atomic.write_text(staging / PROVENANCE, text)
    return provenance


def _recordings(kind: str, splits: DatasetDict) -> dict:
    """A sensor snapshot's shortest recording per split: the longest window it allows,
    known to the pre-run checks without loading the data."""
    if kind != "sensor":
        return {}
    shortest = {}
    for split, rows in splits.items():
        chunks = rows.data.column("signal").chunks  # Array2D: its storage is a list per sample
        lengths = [pc.list_value_length(getattr(c, "storage", c)) for c in chunks if len(c)]
        shortest[split] = min((int(pc.min(n).as_py()) for n in lengths), default=0)
    return {"shortest_recording": shortest}


def _swap(staging: Path, final: Path) -> None:
    """Put the new snapshot in place; the old one is set aside first and only removed once
    the new one is there, so a failure between the two renames loses neither."""
    old = final.with_name(f".{final.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.is_dir():
        final.rename(old)
    try:
        staging.rename(final)
    except OSError:
        if old.is_dir() and not final.exists():
            old.rename(final)
        raise
    shutil.rmtree(old, ignore_errors=True)


REQUIRED = ("name", "kind", "source", "split_rule", "licence", "rows", "content_hash", "files")
KIND_REQUIRED = {  # what their DataModule reads
    "adding": ("length",),
    "copy": ("length",),
    "ability": ("task", "length", "train_length", "vocab_size", "group_by", "groups", "chance"),
}


def missing_message(name: str, raw_dir: Path) -> str:
    return (
        f"no data at {raw_dir / name}; run `seqbench fetch {name}` "
        "(or `dvc pull` where a DVC remote is configured)"
    )


def read_provenance(name: str, raw_dir: Path) -> dict:
    """provenance.json as written by :func:`write`, every key present, else one line."""
    folder = raw_dir / name
    if folder.exists() and not folder.is_dir():
        raise DataError(
            f"{folder} is a file, not a dataset folder; move it away, then run "
            f"`seqbench fetch {name}`"
        )
    if not (folder / PROVENANCE).is_file():
        raise DataError(missing_message(name, raw_dir))
    rebuild = f"rebuild it with `seqbench fetch {name}`"
    try:
        provenance = json.loads((folder / PROVENANCE).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"{folder / PROVENANCE} is corrupt ({error}); {rebuild}") from error
    if not isinstance(provenance, dict) or not isinstance(provenance.get("files", {}), dict):
        raise DataError(f"{folder / PROVENANCE} is corrupt (not a snapshot record); {rebuild}")
    required = REQUIRED + KIND_REQUIRED.get(provenance.get("kind"), ())
    if missing := [key for key in required if key not in provenance]:
        raise DataError(f"{folder / PROVENANCE} lacks {', '.join(missing)}; {rebuild}")
    return provenance


def verify(
    name: str, raw_dir: Path, pinned: bool = True, remember: bool = True, rehash: bool = False
) -> dict:
    """The snapshot's provenance, after checking every file against it and the content hash,
    recomputed from the files and every other fact of provenance.json, against the one it
    records and (``pinned``) against the pin in the data.dvc that pins ``raw_dir``: a file
    or fact changed together with provenance.json's md5s and hash is still caught. The
    returned content_hash is the recomputed one. ``remember``: stamp the md5s once it passed
    (a caller checking several snapshots stamps them only when all passed, so a refusal
    writes nothing); ``rehash``: read every file through, trusting no stamp."""
    folder = raw_dir / name
    pin_file, pinned_hashes = pins.pins_for(raw_dir) if pinned else (None, {})
    provenance = read_provenance(name, raw_dir)
    recorded = provenance["files"]
    actual = file_hashes(folder, remembered=not rehash)
    changed = sorted(p for p in recorded.keys() | actual.keys() if recorded.get(p) != actual.get(p))
    restore = f"Restore it with `seqbench fetch {name}` or `dvc checkout data.dvc`"
    if changed:
        raise DataError(
            f"snapshot {folder} was modified since it was built ({', '.join(changed[:3])}"
            f"{' ...' if len(changed) > 3 else ''} differ from provenance.json); not using it. "
            f"{restore}"
        )
    computed = content_hash(provenance | {"files": actual})
    if computed != provenance["content_hash"]:
        raise DataError(
            f"snapshot {folder}: its files and provenance.json's facts hash to {computed} but "
            f"provenance.json says {provenance['content_hash']}; not using it. {restore}"
        )
    if name in pinned_hashes and pinned_hashes[name] != computed:
        raise DataError(
            f"dataset {name!r} in {folder} hashes to {computed} but {pin_file} pins "
            f"{pinned_hashes[name]}; not using it. Restore the pinned data with `dvc pull` or "
            f"`seqbench fetch {name}`, or adopt it with `seqbench fetch --pin` and commit data.dvc"
        )
    if remember:
        stamps.remember(folder, actual)
    return provenance | {"content_hash": computed}


def load(name: str, raw_dir: Path) -> tuple[DatasetDict, dict]:
    """The verified DatasetDict (memory-mapped Arrow) and its provenance; a split recorded
    as empty, or files the loader cannot read, are refused in one line."""
    provenance = verify(name, raw_dir)
    fix = f"rebuild it with `seqbench fetch {name}` or choose another dataset"
    rows = provenance["rows"] if isinstance(provenance["rows"], dict) else {}
    if empty := [split for split, count in rows.items() if count == 0]:
        raise DataError(f"dataset {name!r} ({raw_dir / name}) has an empty {empty[0]} split; {fix}")
    try:
        return load_from_disk(str(raw_dir / name)), provenance
    except Exception as error:  # the loader's own errors say nothing a user can act on
        raise DataError(
            f"dataset {name!r} ({raw_dir / name}) cannot be loaded ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}); {fix}"
        ) from error


def load_vocab(name: str, raw_dir: Path) -> list[str]:
    return json.loads((raw_dir / name / VOCAB).read_text())


def describe(raw_dir: Path, rehash: bool = False) -> dict[str, dict]:
    """Size, splits, source and hash of every verified snapshot under ``raw_dir``
    (``rehash``: every file read through, no remembered md5 trusted)."""
    if not raw_dir.is_dir():
        state = "is a file" if raw_dir.exists() else "does not exist"
        raise DataError(
            f"{raw_dir} {state}; give the raw data folder (default data/raw, filled by "
            "`seqbench fetch`)"
        )
    summary, checked = {}, {}
    for folder in sorted(p for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        provenance = verify(folder.name, raw_dir, remember=False, rehash=rehash)
        summary[folder.name] = {
            key: provenance[key]
            for key in ("kind", "source", "split_rule", "licence", "rows", "content_hash")
        } | {"bytes": sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())}
        checked[folder] = provenance["files"]
    for folder, files in checked.items():
        stamps.remember(folder, files)
    return summary
