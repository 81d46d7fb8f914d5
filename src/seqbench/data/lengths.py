"""A run's sequence settings against the data's lengths, before the job starts.

The lengths are in the snapshot's hashed record (a sensor snapshot's shortest recording in
provenance.json, a text snapshot's split lengths in ``ids/meta.json``), so they are known
without loading any data. They are trusted only where the record holds together (its content
hash recomputed from provenance.json, the pin in data.dvc, meta.json's md5): otherwise the
DataModule's full check refuses the snapshot itself, in its own words.
"""

import json
from pathlib import Path

from omegaconf import DictConfig, open_dict

from seqbench.config import NAME
from seqbench.data import hashing, pins
from seqbench.errors import ConfigError

PROVENANCE = "provenance.json"
TEXT_META = "ids/meta.json"


def _read(path: Path) -> dict | None:
    try:
        content = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def known(name: str, raw_dir: Path) -> dict | None:
    """The snapshot's provenance facts, with ``text_length`` (per vocabulary and split) for
    text; None where the snapshot is missing or its record does not hold together."""
    provenance = _read(raw_dir / name / PROVENANCE)
    if provenance is None or not isinstance(provenance.get("files"), dict):
        return None
    recorded = provenance.get(hashing.CONTENT_HASH)
    _, pinned = pins.pins_for(raw_dir)
    if hashing.content_hash(provenance) != recorded or pinned.get(name, recorded) != recorded:
        return None
    if provenance.get("kind") == "text":
        meta_file = raw_dir / name / TEXT_META
        if not meta_file.is_file() or provenance["files"].get(TEXT_META) != hashing.file_md5(
            meta_file
        ):
            return None
        meta = _read(meta_file) or {}
        provenance["text_length"] = {k: v.get("length") for k, v in meta.items()}
    return provenance


def _shortest(lengths: object) -> int | None:
    if not isinstance(lengths, dict) or not lengths:
        return None
    values = list(lengths.values())
    return min(values) if all(isinstance(v, int) for v in values) else None


def check(cfg: DictConfig) -> None:
    """Point ``data.raw_dir`` at the folder that holds the dataset (data/raw, or the unpinned
    data/extra) so every later check reads it there, then refuse a ``data.seq_len`` or
    ``data.window`` longer than the data, in the DataModule's words."""
    data = cfg.data
    try:
        name, raw = data.get("name"), data.get("raw_dir")
        settings = {key: data.get(key) for key in ("seq_len", "window", "vocab")}
    except Exception:  # an unresolvable value: config.validate says which, in its words
        return
    if not isinstance(name, str) or not NAME.fullmatch(name) or ".." in name:
        return
    if not isinstance(raw, str):
        return
    where = pins.locate(name, Path(raw))
    with open_dict(cfg):
        data.raw_dir = str(where)
    facts = known(name, where)
    if facts is None:
        return
    seq_len, window = settings["seq_len"], settings["window"]
    if facts.get("kind") == "text" and isinstance(seq_len, int) and seq_len > 0:
        vocab = settings["vocab"] or "char"
        shortest = _shortest((facts.get("text_length") or {}).get(vocab))
        if shortest is not None and seq_len > shortest - 1:
            raise ConfigError(
                f"data.seq_len={seq_len} is out of range; valid: 1..{shortest - 1} (the "
                f"shortest split of {name} holds {shortest} {vocab} tokens)"
            )
    if facts.get("kind") == "sensor" and isinstance(window, int) and window > 0:
        shortest = _shortest(facts.get("shortest_recording"))
        if shortest is not None and window > shortest:
            raise ConfigError(
                f"data.window={window} is out of range; valid: 1..{shortest} (the "
                f"shortest recording of {name} has {shortest} samples)"
            )
