"""The pins in data.dvc: each dataset's content hash, recorded under ``meta.datasets`` and
kept in git, so a snapshot whose files and provenance.json were changed together is still
caught. A raw folder is pinned by the data.dvc that names it as its output (the project's
``data/raw``), wherever that folder really lives (moved to another disk and linked back,
reached through a link or a path with ``..``); any other folder (a test's, ``data/memory``)
has no pins. A DVC project whose ``data/raw`` no data.dvc pins (the file deleted) is refused:
its pins would otherwise vanish without a word.

Datasets that data.dvc does not pin (``adding-T400``, your own before ``--pin``) live in the
unpinned sibling ``data/extra``, so fetching them leaves the pinned folder, and with it
``dvc status data.dvc``, as it was.
"""

import os
from pathlib import Path

import yaml

from seqbench.errors import DataError

PIN_FILE = "data.dvc"
PINNED_DIR = Path("data") / "raw"  # what a project's data.dvc pins
EXTRA = "extra"  # beside it: the datasets data.dvc does not pin


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


def _candidates(raw_dir: Path) -> list[Path]:
    """Folders that may hold the project of ``raw_dir``: the parents of the path as given
    (absolute, ``..`` folded, links not followed), of where it really lives, and the folder
    seqbench runs in (a raw dir given by its real location, outside the project)."""
    given, real = Path(os.path.abspath(raw_dir)), Path(raw_dir).resolve()
    found: list[Path] = []
    for folder in (*given.parents, *real.parents, Path.cwd()):
        if folder not in found:
            found.append(folder)
    return found


def _outs(pin: Path) -> list[str]:
    outs = _load(pin).get("outs") or []
    paths = [o.get("path") for o in outs if isinstance(o, dict)] if isinstance(outs, list) else []
    return [p for p in paths if isinstance(p, str)]


def pinning_root(raw_dir: Path) -> Path | None:
    """The project folder whose data.dvc pins ``raw_dir`` (its ``outs`` path), if any."""
    real = Path(raw_dir).resolve()
    for folder in _candidates(raw_dir):
        pin = folder / PIN_FILE
        if pin.is_file() and any((folder / p).resolve() == real for p in _outs(pin)):
            return folder
    return None


def _check_not_unpinned(raw_dir: Path) -> None:
    """Refuse the ``data/raw`` of a DVC project (a ``.dvc/`` folder) that no data.dvc pins."""
    real = Path(raw_dir).resolve()
    for folder in _candidates(raw_dir):
        if (folder / ".dvc").is_dir() and (folder / PINNED_DIR).resolve() == real:
            pin = folder / PIN_FILE
            state = "does not pin data/raw" if pin.is_file() else "is missing"
            raise DataError(
                f"{pin} {state}, so nothing checks {raw_dir} against its pins; restore it "
                f"with `git checkout {PIN_FILE}` (or pin the data there with "
                "`seqbench fetch --pin` and commit data.dvc)"
            )


def pins_for(raw_dir: Path) -> tuple[Path | None, dict[str, str]]:
    """The data.dvc that pins ``raw_dir`` and its per-dataset hashes (None, {}: unpinned)."""
    root = pinning_root(raw_dir)
    if root is None:
        _check_not_unpinned(raw_dir)
        return None, {}
    return root / PIN_FILE, read_pins(root)


def home(name: str, raw_dir: Path) -> Path:
    """The folder that holds (or will hold) dataset ``name``: ``raw_dir``, or, where a
    data.dvc pins ``raw_dir`` and not ``name``, its unpinned sibling ``extra``."""
    pin, pinned = pins_for(raw_dir)
    if pin is None or not pinned or name in pinned:
        return Path(raw_dir)
    return Path(raw_dir).parent / EXTRA


def locate(name: str, raw_dir: Path) -> Path:
    """Where to read ``name`` from: its :func:`home`, or ``raw_dir`` where it is only there
    (fetched by an older seqbench)."""
    where = home(name, raw_dir)
    if where != Path(raw_dir) and not (where / name).exists() and (raw_dir / name).exists():
        return Path(raw_dir)
    return where
