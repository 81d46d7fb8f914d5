"""Claiming a run folder: resume, refuse or clear what a new run replaces."""

import re
import shutil
from fnmatch import fnmatchcase
from pathlib import Path

from seqbench.errors import ConfigError
from seqbench.rundir.layout import (
    CHECKPOINTS,
    CSV_LOGS,
    CURVES,
    GRADIENT_FLOW,
    LAST,
    LAYOUTS,
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


HAND_TRAINED, FORMERLY = "outputs", "runs"  # where runs trained by hand go; went until cf14f74


def former_place(run: Path) -> Path | None:
    """Where seqbench put ``run`` by default before runs trained by hand moved from runs/ to
    outputs/ (the same layout below it), when ``run`` is such a default place."""
    parts = Path(run).parts
    for layout in LAYOUTS.values():
        names = [re.sub(r"\{\w+\}", "*", name) for name in layout.split("/")]
        if len(parts) <= len(names) or parts[-len(names) - 1] != HAND_TRAINED:
            continue
        below = parts[-len(names) :]
        if all(fnmatchcase(part, name) for part, name in zip(below, names, strict=True)):
            return Path(*parts[: -len(names) - 1], FORMERLY, *below)
    return None


def no_last(run: Path, last: Path) -> str:
    """The error for ckpt_path=last without a last checkpoint; it names the run's former
    default place when that holds one, so a user's old command finds its run again."""
    missing = f"ckpt_path=last but {last} does not exist"
    former = former_place(run)
    if former is not None and checkpoint(former, LAST).is_file():
        return (
            f"{missing}; {former} holds one (the default place before runs trained by hand "
            f"moved to {HAND_TRAINED}/): resume it with paths.run_dir={former}, or drop "
            "ckpt_path to start"
        )
    return f"{missing}; drop ckpt_path to start"


def claim(run: Path, ckpt_path: str | None, overwrite: bool) -> str | None:
    """The checkpoint a run resumes from (``ckpt_path``: "last", a file, or none) after
    checking it exists; refuses a folder that holds another run unless ``overwrite`` is set.
    Reads only: :func:`prepare` clears what a new run replaces."""
    run = Path(run)
    last = checkpoint(run, LAST)
    if ckpt_path == "last":
        if not last.is_file():
            raise ConfigError(no_last(run, last))
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
