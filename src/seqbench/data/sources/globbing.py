"""Finding a data config's files by a glob, within a stated bound.

``glob.glob(recursive=True)`` walks whatever ``**`` reaches: ``/**/x.csv`` walks the whole
file system (``/proc`` included) and never says that nothing matches. Here a glob that would
search from the file-system root is refused, the walk stops with one line after
``MAX_FOLDERS`` folders, and ``progress`` (set by ``seqbench fetch``) hears how far it got.
The matches are glob's: ``*`` and ``**`` skip hidden names unless the part starts with a dot.
"""

import contextlib
import fnmatch
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from seqbench.errors import DataError

MAX_FOLDERS = 50_000  # seconds of walking on a local disk; a data folder holds far fewer
_MAGIC = re.compile(r"[*?[]")
progress: Callable[[int], None] | None = None  # told the folders searched so far


@contextlib.contextmanager
def reporting(callback: Callable[[int], None]) -> Iterator[None]:
    """Tell ``callback`` the number of folders searched while the block runs."""
    global progress
    before, progress = progress, callback
    try:
        yield
    finally:
        progress = before


class _Walk:
    def __init__(self, pattern: str, base: Path) -> None:
        self.pattern, self.base, self.folders = pattern, base, 0
        self.last: tuple[Path, list[os.DirEntry]] | None = None  # `**/*.csv` lists it twice

    def entries(self, folder: Path) -> list[os.DirEntry]:
        if self.last is not None and self.last[0] == folder:
            return self.last[1]
        self.folders += 1
        if self.folders > MAX_FOLDERS:
            raise DataError(
                f"source.files {self.pattern!r} searched {MAX_FOLDERS} folders under "
                f"{self.base} without finishing; narrow the glob (name the folder holding "
                "the files, e.g. recordings/*.csv)"
            )
        if progress is not None and self.folders % 500 == 0:
            progress(self.folders)
        try:
            with os.scandir(folder) as found:
                listed = list(found)
        except OSError:  # unreadable or vanished: glob skips it too
            listed = []
        self.last = (folder, listed)
        return listed

    def match(self, folder: Path, parts: list[str]) -> Iterator[Path]:
        if not parts:
            yield folder
            return
        part, rest = parts[0], parts[1:]
        if part == "**":
            yield from self.match(folder, rest)
            for entry in self.entries(folder):
                if not entry.name.startswith(".") and entry.is_dir():
                    yield from self.match(folder / entry.name, parts)
        elif not _MAGIC.search(part):
            if os.path.lexists(folder / part):
                yield from self.match(folder / part, rest)
        else:
            for entry in self.entries(folder):
                hidden = entry.name.startswith(".") and not part.startswith(".")
                if not hidden and fnmatch.fnmatchcase(entry.name, part):
                    if rest and not entry.is_dir():
                        continue
                    yield from self.match(folder / entry.name, rest)


def find(pattern: str, root: Path) -> list[str]:
    """The files ``pattern`` matches (relative to ``root`` unless absolute), as glob names
    them, sorted; a glob that would walk from the file-system root is refused."""
    parts = [p for p in pattern.replace(os.sep, "/").split("/") if p not in ("", ".")]
    fixed = []
    for part in parts:
        if _MAGIC.search(part):
            break
        fixed.append(part)
    absolute = os.path.isabs(pattern)
    start = Path(os.path.abspath(Path("/" if absolute else root, *fixed)))
    if start == Path(start.anchor) and len(fixed) < len(parts):
        raise DataError(
            f"source.files {pattern!r} would search the whole file system from {start}; "
            "give the folder holding the files (e.g. recordings/*.csv, relative to the "
            "project root)"
        )
    walk = _Walk(pattern, start)
    top = Path("/") if absolute else Path(root)
    found = [path for path in walk.match(top, parts) if path.is_file()]
    shown = [str(p) if absolute else p.relative_to(top).as_posix() for p in found]
    return sorted(set(shown))
