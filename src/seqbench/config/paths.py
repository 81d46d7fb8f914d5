"""Where the configs are, and which options a config group has."""

import re
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

# shipped inside the package, so a wheel or any non-editable install finds its configs
CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a dataset or model name: it names folders


def group_options(group: str, extra_dirs: Iterable[Path] = ()) -> list[str]:
    """The options of a config group: its yaml files, except _bases, in the shipped configs
    and in any folder added to Hydra's search path."""
    folders = [CONF_DIR / group, *(Path(d) / group for d in extra_dirs)]
    return sorted({p.stem for f in folders for p in f.glob("*.yaml") if not p.stem.startswith("_")})


def searchpath_dirs(entries: Iterable[str]) -> list[Path]:
    """The folders of `hydra.searchpath` entries, read as Hydra does: file:// (or no scheme)
    is a folder, relative to the current directory; pkg:// is an importable package."""
    folders = []
    for entry in entries:
        scheme, _, path = entry.rpartition("://")
        if scheme in ("", "file"):
            folders.append(Path(path).resolve())
        elif scheme == "pkg":
            try:
                folders.append(Path(str(files(path.replace("/", ".")))))
            except ModuleNotFoundError:
                continue  # Hydra itself reports a search path it cannot use
    return folders
