"""`seqbench tune RUNS_DIR --data D --model M`: one model's optimiser setting chosen on
validation, then retrained on the comparison's seeds, so each model is compared at its own
best setting rather than at the one setting every model shares (conf/optimizer/adamw.yaml).

    RUNS_DIR/<data>/<model>/grid/lr=<lr>,wd=<wd>/   every grid setting at the tune seed
    RUNS_DIR/<data>/<model>/choice.json             the grid, the chosen setting and why
    RUNS_DIR/<data>/<model>/<seed>/                 the chosen setting, every comparison seed

The grid is MAD's (Poli et al. 2024): lr {1e-4, 5e-4, 1e-3} x weight decay {0, 0.1}. Runs
start through seqbench-together (one process per run, the cores shared): per learning rate,
the weight decays side by side; then the comparison seeds side by side. The grid runs record
``study: tune-grid`` and the retrained ones ``study: tuned``, so the comparison never mixes
them in. A grid run is never reused as a comparison seed, even at the same seed: the tuned
results are always fresh runs (see docs/pipeline.md for the selection bias this leaves when
the tune seed is also a comparison seed)."""

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from seqbench.config import group_options
from seqbench.data import registry
from seqbench.errors import ConfigError
from seqbench.launch import together
from seqbench.launch.choice import (
    CHOICE,
    GRID_STUDY,
    TUNED_STUDY,
    GridRun,
    choose,
    read_grid_run,
    setting_name,
    write_choice,
)
from seqbench.safety.redaction import scrub_all

LRS, WEIGHT_DECAYS, SEEDS = (1e-4, 5e-4, 1e-3), (0.0, 0.1), (0, 1, 2)
# set by the tune stage itself: an extra override of one of these would contradict the grid
RESERVED = ("optimizer.lr", "optimizer.weight_decay", "seed", "study", "paths.run_dir",
            "hydra.run.dir", "data", "model", "overwrite", "keep_going")  # fmt: skip
STOPPED = {128 + sig for sig in (1, 2, 15)}  # together's status when SIGHUP/INT/TERM stopped it
UNSAFE = set("'\"\\$")  # would break the quoted run_dir override


@dataclass(frozen=True)
class Plan:
    """What one `seqbench tune` trains: the grid at the tune seed, then the chosen setting
    on every seed; ``extra``: overrides every run shares (budget=..., logger=...)."""

    runs_dir: Path
    data: str
    model: str
    lrs: tuple[float, ...] = LRS
    weight_decays: tuple[float, ...] = WEIGHT_DECAYS
    seeds: tuple[int, ...] = SEEDS
    tune_seed: int = 100
    extra: tuple[str, ...] = ()

    @property
    def cell(self) -> Path:
        return self.runs_dir / self.data / self.model

    def common(self) -> list[str]:
        """The overrides every run of the cell shares."""
        return [f"data={self.data}", f"model={self.model}", *self.extra, "overwrite=true",
                "keep_going=true"]  # fmt: skip

    def grid_overrides(self, lr: float) -> list[str]:
        """One learning rate's runs: its weight decays are the variants, side by side."""
        folder = f"{self.cell}/grid/lr={float(lr)!r},wd=${{optimizer.weight_decay}}"
        return [*self.common(), f"optimizer.lr={float(lr)!r}", f"seed={self.tune_seed}",
                f"study={GRID_STUDY}", f"paths.run_dir='{folder}'"]  # fmt: skip

    def retrain_overrides(self, chosen: GridRun) -> list[str]:
        """The chosen setting's runs: the seeds are the variants, side by side."""
        return [*self.common(), f"optimizer.lr={chosen.lr!r}",
                f"optimizer.weight_decay={chosen.weight_decay!r}", f"study={TUNED_STUDY}",
                f"paths.run_dir='{self.cell}/${{seed}}'"]  # fmt: skip


def _numbers(values: list[float], flag: str, low: float, strict: bool) -> tuple[float, ...]:
    if not values:
        raise ConfigError(f"{flag} needs at least one value (an empty grid trains nothing)")
    for value in values:
        if not math.isfinite(value) or value < low or (strict and value == low):
            bound = f"> {low:g}" if strict else f">= {low:g}"
            raise ConfigError(f"{flag} {value:g}: every value must be a finite number {bound}")
    if len(set(values)) < len(values):
        raise ConfigError(f"{flag} repeats a value: {' '.join(f'{v:g}' for v in values)}")
    return tuple(float(v) for v in values)


def plan(
    runs_dir: Path,
    data: str,
    model: str,
    lrs: list[float],
    weight_decays: list[float],
    seeds: list[int],
    tune_seed: int,
    extra: list[str],
) -> Plan:
    """The arguments checked, each mistake one line: an empty or negative grid, an unknown
    model or dataset, repeated seeds, an override that the stage sets itself."""
    if model not in (models := group_options("model")):
        raise ConfigError(f"unknown model {model!r}; known models: {', '.join(models)}")
    registry.check_names([data])  # one line listing the known datasets
    lrs_ok = _numbers(lrs, "--lr", 0.0, strict=True)
    decays_ok = _numbers(weight_decays, "--weight-decay", 0.0, strict=False)
    if not seeds or min(seeds) < 0 or len(set(seeds)) < len(seeds):
        raise ConfigError(f"--seeds must be distinct integers >= 0, got {seeds or 'none'}")
    if tune_seed < 0:
        raise ConfigError(f"--tune-seed must be an integer >= 0, got {tune_seed}")
    for override in extra:
        key = override.partition("=")[0].lstrip("+~")
        if key in RESERVED:
            raise ConfigError(
                f"{override}: the tune stage sets {key} itself; give the grid with --lr and "
                "--weight-decay, the seeds with --seeds and --tune-seed"
            )
    if UNSAFE & set(str(runs_dir)):
        raise ConfigError(f"RUNS_DIR {runs_dir} holds a quote, backslash or $; choose a plain path")
    return Plan(Path(runs_dir), data, model, lrs_ok, decays_ok, tuple(seeds), tune_seed,
                tuple(extra))  # fmt: skip


def _refused(variants: list[str], overrides: list[str]) -> None:
    """The first grid setting checked as seqbench-train checks a run, before any starts:
    a bad extra override is one line, not one per run."""
    if refused := together.check_all(variants[:1], overrides):
        raise ConfigError(refused)


def _grid_table(grid: list[GridRun], chosen: GridRun) -> Table:
    table = Table(title=f"grid at the tune seed ({chosen.monitor}, {chosen.mode})")
    for column in ("lr", "weight decay", "best validation", ""):
        table.add_column(column)
    for run in grid:
        value = f"{run.best_val:.6g}" if run.best_val is not None else f"failed: {run.reason}"
        table.add_row(f"{run.lr:g}", f"{run.weight_decay:g}", value, "chosen" * (run is chosen))
    return table


def tune(job: Plan, console: Console) -> int:
    """Train the grid, choose, write choice.json, retrain: 0, else the first failed launch's
    exit status (128 + the signal when stopped: nothing after that starts)."""
    first = [f"optimizer.weight_decay={wd!r}" for wd in job.weight_decays]
    _refused(first, job.grid_overrides(job.lrs[0]))
    (job.cell / CHOICE).unlink(missing_ok=True)  # a stopped tune leaves no older choice behind
    steps, codes = len(job.lrs) + 1, []
    with tempfile.TemporaryDirectory(prefix="seqbench-tune-") as logs:
        for i, lr in enumerate(job.lrs, 1):
            decays = ", ".join(f"{wd:g}" for wd in job.weight_decays)
            console.print(f"[bold][{i}/{steps}][/] {job.data}/{job.model}: lr={lr:g}, "
                          f"weight decay {decays}, seed {job.tune_seed}")  # fmt: skip
            codes.append(together.run_all(first, job.grid_overrides(lr), Path(logs)))
            if codes[-1] in STOPPED:
                return codes[-1]
        grid = [
            read_grid_run(job.cell, f"grid/{setting_name(lr, wd)}", lr, wd)
            for lr in job.lrs
            for wd in job.weight_decays
        ]
        chosen, why = choose(grid)
        facts = {
            "data": job.data,
            "model": job.model,
            "grid": {"lr": list(job.lrs), "weight_decay": list(job.weight_decays)},
            "tune_seed": job.tune_seed,
            "seeds": list(job.seeds),
            "extra_overrides": scrub_all(list(job.extra), list(job.extra)),
        }
        write_choice(job.cell / CHOICE, facts, grid, chosen, why)
        console.print(_grid_table(grid, chosen))
        console.print(f"chose lr={chosen.lr:g}, weight decay {chosen.weight_decay:g}: {why}")
        if job.tune_seed in job.seeds:
            console.print(
                f"note: seed {job.tune_seed} is the tune seed too; it is retrained, but the run "
                "repeats the chosen grid run, so that seed carries the choice's optimism"
            )
        seeds = ", ".join(map(str, job.seeds))
        console.print(f"[bold][{steps}/{steps}][/] {job.data}/{job.model}: the chosen setting "
                      f"on seeds {seeds}")  # fmt: skip
        codes.append(together.run_all([f"seed={s}" for s in job.seeds],
                                      job.retrain_overrides(chosen), Path(logs)))  # fmt: skip
    console.print(f"done: {job.cell / CHOICE}, runs in {job.cell}/<seed>/")
    return next((code for code in codes if code), 0)
