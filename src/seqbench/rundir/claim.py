"""Claiming a run folder: resume, refuse or clear what a new run replaces."""

import shutil
from pathlib import Path

from seqbench.errors import ConfigError
from seqbench.rundir.layout import (
    CHECKPOINTS,
    CSV_LOGS,
    CURVES,
    GRADIENT_FLOW,
    LAST,
    METRICS,
    checkpoint,
    hydra_file,
)
from seqbench.rundir.read import read_metrics


def holds_run(run: Path) -> bool:
    """Whether a folder holds a run worth keeping: a checkpoint, or the results of a run
    that did not simply fail or stop before its first checkpoint (such a folder is retried
    in place: there is nothing in it to resume or lose)."""
    run = Path(run)
    if any((run / CHECKPOINTS).glob("*.ckpt")):
        return True
    if not (run / METRICS).exists():
        return False
    return read_metrics(run).get("status") not in ("failed", "interrupted")


def claim(run: Path, ckpt_path: str | None, overwrite: bool) -> str | None:
    """The checkpoint a run resumes from (``ckpt_path``: "last", a file, or none) after
    checking it exists; refuses a folder that holds another run unless ``overwrite`` is set.
    Reads only: :func:`prepare` clears what a new run replaces."""
    run = Path(run)
    last = checkpoint(run, LAST)
    if ckpt_path == "last":
        if not last.is_file():
            raise ConfigError(f"ckpt_path=last but {last} does not exist; drop ckpt_path to start")
        return str(last)
    if ckpt_path:
        if not Path(ckpt_path).is_file():
            raise ConfigError(f"ckpt_path={ckpt_path} does not exist")
        own = Path(ckpt_path).resolve().parent == (run / CHECKPOINTS).resolve()
        if own or overwrite or not holds_run(run):
            return ckpt_path
    if holds_run(run) and not overwrite:
        raise ConfigError(
            f"{run} already holds a run; resume it with ckpt_path=last, keep it and "
            "use another seed or paths.run_dir=..., or replace it with overwrite=true"
        )
    return None


def prepare(run: Path, ckpt_path: str | None, overwrite: bool, child_rank: bool) -> str | None:
    """:func:`claim`, then for a new run clear what it replaces: an earlier run (with
    ``overwrite``) or a failed or killed try, its CSV log included (a resume continues the
    log). DDP child ranks (``child_rank``) only read."""
    run = Path(run)
    if child_rank:
        return claim(run, ckpt_path, overwrite=True)
    resume = claim(run, ckpt_path, overwrite)
    started = (run / METRICS).exists() or hydra_file(run, "config.yaml").is_file()
    if resume is None and (started or holds_run(run)):  # a run's folder
        for folder in (CHECKPOINTS, CSV_LOGS):
            shutil.rmtree(run / folder, ignore_errors=True)
        for file in (METRICS, CURVES, GRADIENT_FLOW):
            (run / file).unlink(missing_ok=True)
    return resume
