"""The tune stage's choice: of the grid's runs at the tune seed, the setting with the best
validation value of the run's own monitor (metrics.json ``best_val`` under its ``mode``),
ties broken toward the smaller learning rate (then the smaller weight decay): the more
conservative setting when the grid cannot tell them apart. A grid run that failed, never
finished or has no finite value is listed with its reason and never chosen."""

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from seqbench import rundir
from seqbench.errors import SeqbenchError
from seqbench.safety import atomic

CHOICE = "choice.json"
GRID_STUDY, TUNED_STUDY = "tune-grid", "tuned"  # metrics.json `study` of each kind of run


@dataclass(frozen=True)
class GridRun:
    """One grid setting as its run recorded it: ``best_val`` None unless it finished."""

    lr: float
    weight_decay: float
    path: str
    status: str
    best_val: float | None
    monitor: str | None
    mode: str | None
    reason: str = ""


def setting_name(lr: float, weight_decay: float) -> str:
    """The grid run's folder, ``lr=0.0005,wd=0.1``: repr round-trips a float exactly, and is
    what Hydra's interpolation of the parsed override writes (str(float) == repr(float))."""
    return f"lr={float(lr)!r},wd={float(weight_decay)!r}"


def read_grid_run(cell: Path, folder: str, lr: float, weight_decay: float) -> GridRun:
    """The grid run in ``cell/folder`` as its metrics.json says; none is a failure. The
    path is kept relative to the cell, so choice.json still reads after a move."""
    run_dir = cell / folder
    metrics = rundir.read_metrics(run_dir) if (run_dir / rundir.METRICS).is_file() else {}
    status = str(metrics.get("status", "failed"))
    value = metrics.get("best_val")
    good = status == "finished" and isinstance(value, int | float) and math.isfinite(value)
    reason = "" if good else str(metrics.get("reason") or _why_not(metrics, value))
    return GridRun(
        lr=float(lr),
        weight_decay=float(weight_decay),
        path=folder,
        status=status if good or status != "finished" else "failed",
        best_val=float(value) if good else None,
        monitor=metrics.get("monitor"),
        mode=metrics.get("mode"),
        reason=reason,
    )


def _why_not(metrics: dict, value: object) -> str:
    if not metrics:
        return f"no {rundir.METRICS} (the run stopped before training started)"
    if metrics.get("status") == "finished":
        return f"best_val is {value!r}, not a finite number"
    return f"status {metrics.get('status', 'unknown')}"


def choose(grid: list[GridRun]) -> tuple[GridRun, str]:
    """The chosen setting and why, in words; SeqbenchError when no grid run finished or the
    runs disagree on what they monitor (they would not be comparable)."""
    finished = [run for run in grid if run.best_val is not None]
    if not finished:
        reasons = "; ".join(f"{setting_name(r.lr, r.weight_decay)}: {r.reason}" for r in grid)
        raise SeqbenchError(f"no grid run finished, nothing to choose from ({reasons})")
    watched = {(run.monitor, run.mode) for run in finished}
    if len(watched) > 1:
        raise SeqbenchError(f"the grid runs monitor different metrics {sorted(watched)}")
    monitor, mode = watched.pop()
    if mode not in ("min", "max"):
        raise SeqbenchError(f"the grid runs record mode {mode!r}; expected min or max")
    sign = 1.0 if mode == "min" else -1.0
    best = min(finished, key=lambda r: (sign * r.best_val, r.lr, r.weight_decay))
    ties = [r for r in finished if r.best_val == best.best_val and r is not best]
    words = "lowest" if mode == "min" else "highest"
    why = f"{words} {monitor} ({best.best_val:.6g}) of {len(finished)} finished grid runs"
    if ties:
        why += f", tied with {len(ties)} more: the smaller lr (then weight decay) wins"
    if failed := len(grid) - len(finished):
        why += f"; {failed} failed and were not considered"
    return best, why


def write_choice(path: Path, facts: dict, grid: list[GridRun], chosen: GridRun, why: str) -> dict:
    """choice.json, atomically: the grid's values, every grid run, the chosen setting, why."""
    record = facts | {
        "monitor": chosen.monitor,
        "mode": chosen.mode,
        "runs": [asdict(run) for run in grid],
        "failed": [
            f"{setting_name(r.lr, r.weight_decay)}: {r.reason}" for r in grid if r.best_val is None
        ],
        "chosen": {
            "lr": chosen.lr,
            "weight_decay": chosen.weight_decay,
            "best_val": chosen.best_val,
        },
        "why": why,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, json.dumps(record, indent=2) + "\n")
    return record
