"""Read run directories into records and aggregate them per dataset and model.

A run directory is any folder holding a metrics.json, at any depth, so `runs/`, one dataset's
folder and a Hydra multirun sweep all work. In a sweep given ``paths.run_dir``, Hydra's job
folders hold only .hydra/ and the log, while metrics.json lands in that run_dir; the job's
config leads there. Every other folder with a .hydra/ is the run itself, so a missing
metrics.json is a run that recorded nothing, reported there: its config's run_dir (the path
it had when it trained, maybe in another copy of the project) is never followed, so a report
of an archived folder cannot mix in live runs from elsewhere. A run that failed, was
interrupted or never wrote its results is kept, with its reason, so it is reported instead
of silently dropped or poisoning the averages.
"""

from pathlib import Path

from seqbench import rundir
from seqbench.models import model_rank
from seqbench.report.results import DatasetResult, ModelResult, most_common
from seqbench.rundir.run import Run, finite


def read_run(run_dir: Path, config: dict | None = None) -> Run:
    return Run(
        path=run_dir,
        metrics=rundir.read_metrics(run_dir),
        curves=rundir.read_curves(run_dir / rundir.CURVES),
        config=config if config is not None else rundir.read_config(run_dir),
    )


def _results_elsewhere(job_dir: Path, config: dict) -> Path | None:
    """Where a multirun job given an explicit ``paths.run_dir`` wrote its results; None for
    any other job folder, whose results belong in the folder itself (a single run's .hydra/
    is in its run directory, and so is a sweep job's that kept the default run_dir)."""
    hydra = rundir.read_config_file(rundir.hydra_file(job_dir, "hydra.yaml"), resolve=False)
    written = rundir.read_config_file(rundir.hydra_file(job_dir, "config.yaml"), resolve=False)
    run_dir = ((written or {}).get("paths") or {}).get("run_dir")
    if ((hydra or {}).get("hydra") or {}).get("mode") != "MULTIRUN" or not isinstance(run_dir, str):
        return None
    return None if "output_dir_or:" in run_dir else rundir.job_run_dir(job_dir, config)


def _sweep_runs(runs_dir: Path, seen: set[Path]) -> list[Run]:
    """Runs that Hydra multirun job folders point at, and job folders that never wrote
    results (reported as failed)."""
    found = []
    for config_path in sorted(runs_dir.rglob(f"{rundir.HYDRA}/config.yaml")):
        job_dir = config_path.parent.parent
        if rundir.has_results(job_dir):
            continue
        config = rundir.read_saved_config(config_path) or {}
        run_dir = _results_elsewhere(job_dir, config) or job_dir
        if run_dir.resolve() in seen:
            continue
        seen.add(run_dir.resolve())
        if rundir.has_results(run_dir):
            found.append(read_run(run_dir, config=config))
            continue
        metrics = {
            "status": "failed",
            "reason": f"no {rundir.METRICS} in {run_dir} (the job stopped before training started)",
            "data": (config.get("data") or {}).get("name", "?"),
            "model": (config.get("model") or {}).get("name", "?"),
            "seed": config.get("seed", "?"),
            "study": config.get("study"),
        }
        found.append(Run(path=job_dir, metrics=metrics, config=config))
    return found


def find_runs(runs_dir: Path) -> list[Run]:
    """Every run under runs_dir (at any depth), including Hydra multirun jobs."""
    runs_dir = Path(runs_dir)
    result_files = sorted(p for p in runs_dir.rglob(rundir.METRICS) if p.is_file())
    runs = [read_run(path.parent) for path in result_files]
    seen = {run.path.resolve() for run in runs}
    runs += _sweep_runs(runs_dir, seen)
    return sorted(runs, key=lambda r: (r.data, model_rank(r.model), _seed_key(r.seed), str(r.path)))


def _seed_key(seed: object) -> tuple[int, int, str]:
    """Seeds in numeric order (2 before 10); anything odd after them."""
    return (0, seed, "") if isinstance(seed, int) else (1, 0, str(seed))


def read_provenance(data: str, raw_dirs: list[Path]) -> dict | None:
    """The dataset's provenance from the first raw directory that has it, verified: its
    content hash recomputed from the files (and checked against data.dvc's pin); a snapshot
    that does not verify is shown as such, not with the hash it claims."""
    from seqbench.data import pins, snapshot
    from seqbench.errors import DataError

    if "\0" in data or Path(data).name != data or data in ("", ".", ".."):
        return None  # a name from a run folder is a folder name, never a path to follow
    for raw_dir in raw_dirs:
        path = Path(raw_dir) / data / "provenance.json"
        try:
            folder = pins.locate(data, Path(raw_dir))  # data/raw, or the unpinned data/extra
            path = folder / data / "provenance.json"
            if path.is_file():
                return snapshot.verify(data, folder) | {"path": str(path)}
        except DataError as error:
            return {"problem": str(error), "path": str(path)}
    return None


def summarise(runs: list[Run], raw_dir: Path | None = None) -> list[DatasetResult]:
    """Group runs per dataset and model; per-dataset facts come from the runs' majority."""
    by_data: dict[str, list[Run]] = {}
    for run in runs:
        by_data.setdefault(run.data, []).append(run)
    results = []
    for data, data_runs in sorted(by_data.items()):
        by_model: dict[str, list[Run]] = {}
        for run in data_runs:
            by_model.setdefault(run.model, []).append(run)
        models = [ModelResult(m, by_model[m]) for m in sorted(by_model, key=model_rank)]
        recorded = [r for r in data_runs if "monitor" in r.metrics] or data_runs
        configs = [r.config for r in data_runs if r.config]
        raw_dirs = [raw_dir] if raw_dir else []
        raw_dirs += [Path(c["paths"]["raw_dir"]) for c in configs if _config_raw_dir(c)]
        baseline = most_common([r.metrics.get("baseline") for r in recorded])
        results.append(
            DatasetResult(
                data=data,
                models=models,
                monitor=str(most_common([r.monitor for r in recorded])),
                mode=str(most_common([r.metrics.get("mode") for r in recorded]) or "min"),
                baseline=float(baseline) if finite(baseline) else None,
                baseline_metric=most_common([r.metrics.get("baseline_metric") for r in recorded]),
                task=most_common([(c.get("task") or {}).get("_target_") for c in configs]),
                provenance=read_provenance(data, raw_dirs),
            )
        )
    return results


def _config_raw_dir(config: dict) -> bool:
    raw = (config.get("paths") or {}).get("raw_dir")
    return isinstance(raw, str) and "${" not in raw
