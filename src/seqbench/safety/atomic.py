"""Atomic file writes: a reader (DVC, the report, a resume) sees the old file or the new one,
never half of one, even when the process dies or the disk fills up while writing.

The bytes go to a temporary file beside the target (same folder, so the same file system),
are flushed and fsynced, and the temporary file is renamed over the target; on any failure
it is removed, so nothing is left behind and the previous file is untouched.
"""

import os
from pathlib import Path

PARTIAL = ".partial"  # suffix of the temporary file, beside the one being written


def partial_path(path: Path) -> Path:
    """Where ``path`` is written before it is renamed into place (one per process, so two
    writers of one file never share a temporary file)."""
    return path.with_name(f".{path.name}.{os.getpid()}{PARTIAL}")


def write_bytes(path: Path, data: bytes | memoryview) -> None:
    """Write ``data`` to ``path`` atomically. An error names the file being written (a
    failed ``write()`` alone does not say which file it was)."""
    path = Path(path)
    partial = partial_path(path)
    try:
        with partial.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except OSError as error:
        if error.filename is None:
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise
    finally:
        partial.unlink(missing_ok=True)
    sync_folder(path.parent)


def write_text(path: Path, text: str) -> None:
    """Write a UTF-8 text file atomically (see :func:`write_bytes`)."""
    write_bytes(path, text.encode("utf-8"))


def sync_folder(folder: Path) -> None:
    """Make the rename itself durable, so a power cut right after it cannot bring back the
    old file; a file system that cannot sync a folder still has the data synced."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
