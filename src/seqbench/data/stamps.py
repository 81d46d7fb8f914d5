"""Remembered md5s, so a snapshot is not read through at every training start-up.

Checking every file's md5 costs seconds per GB. A stamp records, for each file, the md5 with
the file's size, mtime, ctime, inode and device when it was hashed; a file whose stat is the
same is not hashed again. Any write changes mtime and ctime, and ctime cannot be set back
(``touch`` sets mtime only), so an edited, replaced or restored file is hashed again and
refused if it differs. As git does for its index, a file changed within ``RACY_S`` of its
stamp is never trusted: a later write in the same clock tick would leave its times as they were.
Stamps are a cache, so they live in the user's cache folder (``$XDG_CACHE_HOME`` or
``~/.cache``, under ``seqbench/verified/``), one file per snapshot folder: never in the project,
where DVC, git or a refused command's "nothing changed" would see them.

What this promises: a snapshot changed by any means that writes its files (an edit, a copy
over it, ``git``/``dvc checkout``, ``touch -d`` to set the times back) is hashed again and
refused if it differs. What it does not: the stamps are trusted like the user's other files,
so someone who can write the user's cache folder can make a changed file pass (as they could
change the user's shell start-up or installed code). No key kept by the same user would stop
them. ``seqbench describe --rehash`` reads every file through and trusts no stamp.
"""

import hashlib
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from seqbench.safety import atomic

RACY_S = 2.0


def _stamp_file(folder: Path) -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    where = str(folder.resolve())
    key = hashlib.md5(where.encode()).hexdigest()[:16]
    return cache / "seqbench" / "verified" / f"{folder.name}-{key}.json"


def _key(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]


def _read(folder: Path) -> dict:
    try:
        stamps = json.loads(_stamp_file(folder).read_text())
    except (OSError, ValueError):
        return {}
    return stamps if isinstance(stamps, dict) else {}


def record(folder: Path, digests: dict[str, str]) -> None:
    """Remember ``digests`` (relative path -> md5, just computed) for files not changed
    within RACY_S; an unwritable stamp folder only costs the next check its speed."""
    now = time.time_ns()
    stamps = {}
    for rel, digest in digests.items():
        key = _key(folder / rel)
        if now - max(key[1], key[2]) > RACY_S * 1e9:
            stamps[rel] = [key, digest]
    try:
        _stamp_file(folder).parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(_stamp_file(folder), json.dumps(stamps, sort_keys=True))
    except OSError:
        pass


def hashes(folder: Path, paths: list[Path], md5: Callable[[Path], str]) -> dict[str, str]:
    """md5 of each of ``paths`` (under ``folder``), from the stamp where the file is unchanged;
    the others are hashed on several threads, in the order of ``paths``. Records nothing:
    :func:`remember` does, once the snapshot has passed its check."""
    stamps, known, unknown = _read(folder), {}, {}
    order = [path.relative_to(folder).as_posix() for path in paths]
    for rel, path in zip(order, paths, strict=True):
        stamp = stamps.get(rel)
        if isinstance(stamp, list) and len(stamp) == 2 and stamp[0] == _key(path):
            known[rel] = stamp[1]
        else:
            unknown[rel] = path
    with ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:  # hashlib frees the GIL
        known |= dict(zip(unknown, pool.map(md5, unknown.values()), strict=True))
    return {rel: known[rel] for rel in order}


def remember(folder: Path, digests: dict[str, str]) -> None:
    """Record ``digests`` of a snapshot that passed its check, unless already recorded with
    the files' present stats: a refused snapshot leaves the stamps as they were (a failed
    check writes nothing). Equal digests alone are not enough: the same content copied anew
    to the same folder (new inodes and ctimes) would otherwise be hashed at every start."""
    stamps = _read(folder)
    if any(stamps.get(rel) != [_key(folder / rel), digest] for rel, digest in digests.items()):
        record(folder, digests)
