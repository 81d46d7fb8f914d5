"""The pins in data.dvc: each dataset's content hash, recorded under ``meta.datasets`` and
kept in git, so a snapshot whose files and provenance.json were changed together is still
caught. A raw folder is pinned by the data.dvc that names it as its output (the project's
``data/raw``); any other folder (a test's, ``data/memory``) has no pins.
"""

from pathlib import Path

import yaml

from seqbench.errors import DataError

PIN_FILE = "data.dvc"


def _load(pin: Path) -> dict:
    try:
        content = yaml.safe_load(pin.read_text()) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        reason = type(error).__name__ if isinstance(error, yaml.YAMLError) else error
        raise DataError(
            f"{pin} cannot be read ({reason}); restore it with `git checkout {PIN_FILE}`"
        ) from error
    if not isinstance(content, dict):
        raise DataError(f"{pin} is not a DVC file; restore it with `git checkout {PIN_FILE}`")
    return content


def read_pins(root: Path) -> dict[str, str]:
    """Per-dataset content hashes recorded in ``root``/data.dvc (empty when nothing is
    pinned); a damaged data.dvc is refused rather than read as "no pins"."""
    pin = Path(root) / PIN_FILE
    if not pin.is_file():
        return {}
    meta = _load(pin).get("meta") or {}
    datasets = meta.get("datasets") if isinstance(meta, dict) else None
    if datasets is not None and not isinstance(datasets, dict):
        raise DataError(f"{pin}: meta.datasets is not a mapping; run `seqbench fetch --pin`")
    return {str(name): str(value) for name, value in (datasets or {}).items()}


def pinning_root(raw_dir: Path) -> Path | None:
    """The project folder whose data.dvc pins ``raw_dir`` (its ``outs`` path), if any."""
    raw = Path(raw_dir).resolve()
    for folder in raw.parents:
        pin = folder / PIN_FILE
        if not pin.is_file():
            continue
        outs = _load(pin).get("outs") or []
        paths = (
            [o.get("path") for o in outs if isinstance(o, dict)] if isinstance(outs, list) else []
        )
        if any(isinstance(p, str) and (folder / p).resolve() == raw for p in paths):
            return folder
    return None


def pins_for(raw_dir: Path) -> tuple[Path | None, dict[str, str]]:
    """The data.dvc that pins ``raw_dir`` and its per-dataset hashes (None, {}: unpinned)."""
    root = pinning_root(raw_dir)
    return (root / PIN_FILE, read_pins(root)) if root is not None else (None, {})
