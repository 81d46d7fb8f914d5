"""A failing disk or folder, said in one line: a full disk, a folder this user may not read or
write, a read-only file system, a file where a folder must be. The entry points turn such an
OSError (wherever it happened: a checkpoint, metrics.json, a data file) into a
:class:`StorageError` instead of a traceback.

Exit codes: a full disk during work is a failed run (1: free space, then resume); a folder
that cannot be read or written is a refusal like any other (2).
"""

import errno
import shutil
from pathlib import Path

from seqbench.errors import SeqbenchError

DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}
MISPLACED = {errno.ENOTDIR, errno.EEXIST, errno.EISDIR}  # a file where a folder must be


class StorageError(SeqbenchError):
    """A disk or folder problem; ``code`` is the exit status the entry points use."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def find_os_error(error: BaseException | None) -> OSError | None:
    """The first disk or permission OSError in ``error``'s chain (causes and contexts: the
    disk may fill while a failure is being recorded)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in DISK_FULL | DENIED | MISPLACED:
            return error
        error = error.__cause__ or error.__context__
    return None


def free_space(path: Path) -> str:
    """Free space on the disk holding ``path`` (its nearest existing folder), e.g. "12 KB"."""
    for folder in (path, *path.parents):
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            continue
        for unit in ("B", "KB", "MB", "GB"):
            if free < 1024 or unit == "GB":
                return f"{free:.0f} {unit}" if unit == "B" else f"{free:.1f} {unit}"
            free /= 1024
    return "unknown"


def explain(error: BaseException, where: Path | None = None, then: str = "") -> StorageError | None:
    """A one-line :class:`StorageError` for a disk or permission failure in ``error``'s
    chain, else None. ``where``: the folder being written when the error has no file name;
    ``then``: what to do once fixed (e.g. "resume with ckpt_path=last")."""
    found = find_os_error(error)
    if found is None:
        return None
    path = Path(found.filename) if found.filename else where or Path(".")
    then = f", then {then}" if then else " and try again"
    if found.errno in DISK_FULL:
        folder = path if path == where else path.parent
        what = "quota exceeded" if found.errno == errno.EDQUOT else "no space left"
        return StorageError(
            f"the disk holding {folder} is full ({what} writing {path.name}; "
            f"{free_space(folder)} free): free space there{then}; earlier files are intact",
            code=1,
        )
    if found.errno == errno.EROFS:
        return StorageError(
            f"{path} is on a read-only file system; choose a writable folder{then}", code=2
        )
    if found.errno in MISPLACED:
        what = "is a folder" if found.errno == errno.EISDIR else "is, or is below, a file"
        return StorageError(f"cannot write {path}: it {what}; choose another path{then}", code=2)
    return StorageError(
        f"permission denied: {path}; give this user access to it or choose another folder{then}",
        code=2,
    )
