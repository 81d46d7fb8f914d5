"""The names and places of a run's files (see the package docstring for the tree)."""

from pathlib import Path

METRICS = "metrics.json"
CURVES = "curves.csv"
GRADIENT_FLOW = "gradient_flow.csv"
CHECKPOINTS = "checkpoints"
BEST, LAST = "best", "last"  # ModelCheckpoint file names, without the .ckpt suffix
HYDRA = ".hydra"
CSV_LOGS = "csv"

LAYOUTS = {  # below the runs folder, per kind of run: the same templates conf/ resolves
    "compare": "{data}/{model}/{seed}",
    "activations": "activations/{data}/{model}/clip-{clip}/{seed}",
    "memory": "memory/{data}/{model}/{seed}",
    "abilities": "abilities/{data}/{model}/{seed}",
    "forecast": "forecast/{data}/{model}/{seed}",
    "anomaly": "anomaly/{data}/{model}/{seed}",
    "text_classify": "text_classify/{data}/{model}/{seed}",
}


def run_dir(runs_dir: Path, data: str, model: str, seed: int) -> Path:
    """A comparison run's folder: runs/<data>/<model>/<seed>."""
    return Path(runs_dir) / LAYOUTS["compare"].format(data=data, model=model, seed=seed)


def checkpoint(run: Path, which: str = BEST) -> Path:
    """The best or last checkpoint of a run directory."""
    return Path(run) / CHECKPOINTS / f"{which}.ckpt"


def hydra_file(run: Path, name: str) -> Path:
    """A file Hydra keeps for a job (config.yaml, hydra.yaml, overrides.yaml)."""
    return Path(run) / HYDRA / name
