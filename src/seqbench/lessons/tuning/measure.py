"""What the tune stage measured, read back: per dataset and model its choice.json (the grid
at the tune seed and the chosen setting) and the chosen setting's runs on every seed
(``study: tuned``); beside them the comparison's own runs of the same models (no study), at
the one optimiser setting every model shares. The runs are trained by `seqbench tune`."""

from dataclasses import dataclass, field
from pathlib import Path

from seqbench.lessons.sources import read_json, study_runs
from seqbench.rundir.run import Run

TUNED, GRID = "tuned", "tune-grid"  # the `study` seqbench.launch.choice records
CHOICE = "choice.json"


@dataclass
class Tuned:
    """One model tuned on one dataset: its choice.json (None if missing) and its runs."""

    data: str
    model: str
    choice: dict | None
    runs: list[Run] = field(default_factory=list)

    @property
    def chosen(self) -> tuple[float, float] | None:
        """(lr, weight decay) the tune stage chose; None without a readable choice.json."""
        picked = (self.choice or {}).get("chosen") or {}
        lr, wd = picked.get("lr"), picked.get("weight_decay")
        ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lr, wd))
        return (float(lr), float(wd)) if ok else None


def setting(run: Run) -> tuple[float, float] | None:
    """The (lr, weight decay) a run trained with, from its saved config (.hydra/)."""
    optimizer = (run.config or {}).get("optimizer") or {}
    lr, wd = optimizer.get("lr"), optimizer.get("weight_decay")
    ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lr, wd))
    return (float(lr), float(wd)) if ok else None


def _choice(folder: Path, cache: dict[Path, dict | None]) -> dict | None:
    if folder not in cache:
        cache[folder] = read_json(folder / CHOICE)
    return cache[folder]


def tuned(runs: list[Run]) -> dict[str, dict[str, Tuned]]:
    """{data: {model: Tuned}} over the tuned runs; choice.json lies one folder up from each
    run (RUNS_DIR/<data>/<model>/<seed>/)."""
    found: dict[str, dict[str, Tuned]] = {}
    cache: dict[Path, dict | None] = {}
    for run in study_runs(runs, TUNED):
        cell = found.setdefault(run.data, {}).get(run.model)
        if cell is None:
            cell = Tuned(run.data, run.model, _choice(run.path.parent, cache))
            found[run.data][run.model] = cell
        cell.runs.append(run)
    return found


def shared(runs: list[Run], data: str, models: list[str]) -> list[Run]:
    """The comparison's own runs (no study) of these models on this dataset."""
    return [r for r in runs if not r.metrics.get("study") and r.data == data and r.model in models]


def grid_points(choice: dict) -> dict[float, list[tuple[float, float]]]:
    """{weight decay: [(lr, best validation)]} of the grid runs that finished, lr ascending."""
    lines: dict[float, list[tuple[float, float]]] = {}
    for run in choice.get("runs") or []:
        value = run.get("best_val")
        if isinstance(value, int | float) and isinstance(run.get("lr"), int | float):
            lines.setdefault(float(run["weight_decay"]), []).append((float(run["lr"]), value))
    return {wd: sorted(points) for wd, points in sorted(lines.items())}
