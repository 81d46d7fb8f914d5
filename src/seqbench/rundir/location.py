"""Whether a folder can be a run's: checked before anything is written, so that a mistaken
``paths.run_dir`` (or ``hydra.run.dir``) ends in one line instead of a traceback, or worse,
a run spread over the project, another run or a folder of runs."""

import os
import tempfile
from pathlib import Path

from seqbench import rundir
from seqbench.errors import ConfigError
from seqbench.safety import storage

DEPTH = 6  # the deepest run below a runs folder: activations/<data>/<model>/clip-<c>/<seed>
MOST_FOLDERS = 5000  # a folder this large is looked through no further
SKIPPED = {rundir.CHECKPOINTS, rundir.CSV_LOGS, "wandb"}  # a run's own folders


def is_run(folder: Path) -> bool:
    """A folder a run has written: its metrics.json, its .hydra record or a checkpoint."""
    return (
        (folder / rundir.METRICS).is_file()
        or rundir.hydra_file(folder, "config.yaml").is_file()
        or any((folder / rundir.CHECKPOINTS).glob("*.ckpt"))
    )


def run_below(folder: Path) -> Path | None:
    """The first run found below ``folder`` (not ``folder`` itself), looking ``DEPTH`` levels
    down through at most ``MOST_FOLDERS`` folders; None if there is none."""
    seen = 0
    for current, names, _ in os.walk(folder):
        depth = len(Path(current).relative_to(folder).parts)
        names[:] = [n for n in names if not n.startswith(".") and n not in SKIPPED]
        seen += len(names)
        if depth and is_run(Path(current)):
            return Path(current)
        if depth >= DEPTH or seen > MOST_FOLDERS:
            names[:] = []
    return None


def check_links(run: Path, where: str) -> None:
    """A link on the way that leads nowhere (its target is missing, or it loops): Hydra's
    mkdir would fail on it with a traceback."""
    for folder in (run, *run.parents):
        if folder.is_symlink() and not folder.exists():
            raise ConfigError(
                f"{where}: {folder} is a link to {os.readlink(folder)}, which does not exist "
                "or loops; choose another folder"
            )


def check_place(run: Path, where: str, projects: list[Path]) -> None:
    """Not the project folder (or above it), not a folder of runs, not inside another run."""
    resolved = run.resolve()
    for project in projects:
        if resolved == project or resolved in project.parents:
            raise ConfigError(
                f"{where} is the project folder {project} or above it; give the run a "
                "folder of its own, e.g. outputs/<name>"
            )
    if resolved.is_dir() and (found := run_below(resolved)):
        raise ConfigError(f"{where} holds other runs ({found}); give this run a folder of its own")
    for folder in resolved.parents:
        if any(folder == p or folder in p.parents for p in projects):
            break
        if is_run(folder):
            raise ConfigError(f"{where} is inside the run {folder}; choose a folder outside it")


def check(run: str | Path, raw_dirs: list[Path], root: str | Path = ".") -> None:
    """:func:`check_folder`, with a folder that cannot even be looked at (a parent this user
    may not search) said in one line too."""
    try:
        check_folder(run, raw_dirs, root)
    except OSError as error:
        problem = storage.explain(error, Path(run), "run the same command again")
        raise problem or ConfigError(f"paths.run_dir={run}: {error}") from None


def check_folder(run: str | Path, raw_dirs: list[Path], root: str | Path = ".") -> None:
    """Refuse a run directory that cannot be one, before anything is written: empty, a file
    (or below one), a link leading nowhere, a name the file system refuses, a folder this
    user may not write, the project folder, a folder of runs or a folder inside another run,
    or a folder inside a data snapshot (its files would invalidate the snapshot's checksums).
    ``root``: paths.root_dir, the project's folder (as is the one the command runs in)."""
    if not str(run).strip():
        raise ConfigError(
            f"paths.run_dir is blank ({str(run)!r}); give the run a folder of its own, or "
            "leave both paths.run_dir and hydra.run.dir out for outputs/<data>/<model>/<seed>"
        )
    run = Path(run)
    where = f"paths.run_dir={run}"
    if len(os.path.abspath(run)) >= 4000 or any(len(part.encode()) > 255 for part in run.parts):
        raise ConfigError(f"{where} is too long (a folder name may have at most 255 bytes)")
    check_links(run, where)
    for folder in (run, *run.parents):
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"{where}: {folder} is a file, not a folder; choose another")
    existing = next(folder for folder in (run, *run.parents) if folder.exists())
    try:  # a folder it may not write (Hydra would fail there with a traceback)
        os.rmdir(tempfile.mkdtemp(prefix=".seqbench-probe-", dir=existing))
    except OSError as error:  # named by the folder, not by the probe's random name
        unnamed = OSError(error.errno, error.strerror)
        problem = storage.explain(unnamed, existing, "run the same command again")
        raise problem or ConfigError(
            f"{where}: no folder can be made in {existing} ({error.strerror}); choose another"
        ) from None
    resolved = run.resolve()
    for raw in raw_dirs:
        raw = Path(raw).resolve()
        if resolved == raw or raw in resolved.parents:
            raise ConfigError(f"{where} is inside the data folder {raw}; choose a folder outside")
    for folder in (resolved, *resolved.parents):
        if (folder / "provenance.json").is_file():
            raise ConfigError(
                f"{where} is inside the dataset snapshot {folder}; choose a folder outside"
            )
    check_place(run, where, sorted({Path.cwd().resolve(), Path(root).resolve()}))


def storage_problem(error: BaseException, run_dir: Path) -> storage.StorageError | None:
    """A full disk or a folder it may not write, as one line saying how to go on."""
    try:
        resumable = rundir.checkpoint(run_dir, rundir.LAST).is_file()
    except OSError:  # a folder it may not even look into
        resumable = False
    then = "resume with ckpt_path=last" if resumable else "run the same command again"
    return storage.explain(error, run_dir, then)
