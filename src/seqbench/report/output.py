"""Where a report lands: only over files a report wrote, and all of it or none of it.

Each file the report writes carries a mark at its start (a generator meta tag, a Markdown
comment, a JSON key), so a later report knows its own files and replaces them, and refuses,
before doing any work, to touch a file of the same name that someone else wrote. The files
are written beside their targets first and renamed into place only once all of them were
written, so a full disk leaves the previous report whole, not half old and half new.
"""

import os
from pathlib import Path

from seqbench.errors import SeqbenchError
from seqbench.safety import atomic, storage

GENERATOR = "seqbench report"
HTML_MARK = f'<meta name="generator" content="{GENERATOR}">'
MARKDOWN_MARK = f"<!-- written by {GENERATOR}: running it again replaces this file -->"
JSON_MARK = f'{{\n  "generator": "{GENERATOR}",'
# the starts of the files reports wrote before they were marked
EARLIER = ("# seqbench: model comparison\n", '{\n  "generated": "')
EARLIER_HTML = "<title>seqbench: model comparison</title>"
HEAD = 4096  # every mark sits within the first bytes of its file


def is_ours(path: Path) -> bool:
    """Whether ``path`` is a regular file a seqbench report wrote (judged by its start)."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD).decode("utf-8", errors="replace")
    except OSError:
        return False
    if head.startswith(JSON_MARK) or head.startswith(EARLIER):
        return True
    if head.lower().startswith("<!doctype html>"):
        return HTML_MARK in head or EARLIER_HTML in head
    return MARKDOWN_MARK in head.split("\n", 1)[0]


def check_out_dir(out_dir: Path, names: list[str]) -> None:
    """Refuse, before anything is written, an --out that is a file, or that holds a file of
    one of the report's names which no report wrote."""
    if out_dir.exists() and not out_dir.is_dir():
        raise SeqbenchError(f"--out {out_dir} is a file; give a folder for the report")
    for name in names:
        path = out_dir / name
        if (path.exists() or path.is_symlink()) and not is_ours(path):
            raise SeqbenchError(
                f"{path} was not written by seqbench report, so the report will not replace "
                "it; move it away or give another --out (nothing was written)"
            )


def write_all(out_dir: Path, files: dict[str, str]) -> None:
    """Write every file, then rename them all into place; on any failure no target changed
    and no temporary file is left. A full disk is exit 1, a denied folder exit 2."""
    staged: list[tuple[Path, Path]] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            target = out_dir / name
            partial = atomic.partial_path(target)
            staged.append((partial, target))
            try:
                with partial.open("wb") as handle:
                    handle.write(text.encode("utf-8"))
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as error:
                raise OSError(error.errno, error.strerror, str(target)) from error
        for partial, target in staged:
            os.replace(partial, target)
    except OSError as error:
        problem = storage.explain(error, where=out_dir)
        raise problem or SeqbenchError(
            f"cannot write the report into {out_dir}: {error.strerror}"
        ) from error
    finally:
        for partial, _ in staged:
            partial.unlink(missing_ok=True)
    atomic.sync_folder(out_dir)
