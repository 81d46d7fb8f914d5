"""What the long-memory study measured: each finished run's test metric on adding or copy,
by task, sequence length T and model. The runs themselves are trained by the memory and
memory-long DVC stages (``seqbench-train experiment=long_memory``) on the data
``seqbench memory-data`` makes."""

from seqbench.data import registry
from seqbench.rundir.run import Run, finite


def memory_metric(task: str) -> tuple[str, str, bool]:
    """The test metric of a study task, its words and whether to draw it on a log scale."""
    if task == "adding":
        return "test/mse", "test MSE (lower is better)", True
    return "test/recall_acc", "test recall accuracy (higher is better)", False


def _score(run: Run, key: str) -> float | None:
    """A study run's test value of `key` (not its monitor's), if it finished with one."""
    value = (run.metrics.get("test") or {}).get(key)
    return float(value) if run.metrics.get("status") == "finished" and finite(value) else None


def measured(runs: list[Run]) -> tuple[dict[str, dict[int, dict[str, list[float]]]], list[str]]:
    """{task: {T: {model: [test value per seed]}}} over the study's runs, and the runs that
    failed or did not finish, each as "data/model/seed: why"."""
    grid: dict[str, dict[int, dict[str, list[float]]]] = {}
    failed = []
    for run in runs:
        if not (study := registry.memory_dataset(run.data)):
            continue
        task, length = study
        value = _score(run, memory_metric(task)[0])
        if value is None:
            failed.append(f"{run.data}/{run.model}/{run.seed}: {run.reason or 'no result'}")
            continue
        grid.setdefault(task, {}).setdefault(length, {}).setdefault(run.model, []).append(value)
    return grid, failed
