"""The run-directory contract: where a training run's folder lives and what it holds.

Training writes these files, the callbacks add to them, the lessons read the checkpoints and
the report reads the rest; dvc.yaml declares the same paths as outputs (a test holds the two
together). One module names them so a renamed file cannot leave a reader behind.

    runs/<data>/<model>/<seed>/                  the comparison (conf/paths)
    runs/activations/<data>/<model>/clip-<clip>/<seed>/   the activation study
    runs/memory/<data>/<model>/<seed>/           the long-memory study
      metrics.json  curves.csv  gradient_flow.csv  checkpoints/{best,last}.ckpt
      .hydra/ (Hydra's composed config)  csv/ (the CSV logger, with hparams.yaml)
"""

import json
import shutil
from pathlib import Path

from omegaconf import OmegaConf

from seqbench import atomic
from seqbench.errors import ConfigError

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


def read_config_file(path: Path) -> dict | None:
    """A saved config (.hydra/*.yaml, hparams.yaml), resolved where its interpolations allow,
    else as written; None if it cannot be read (a damaged file must not stop a reader)."""
    try:
        cfg = OmegaConf.load(path)
    except Exception:
        return None
    try:
        loaded = OmegaConf.to_container(cfg, resolve=True)
    except Exception:
        loaded = OmegaConf.to_container(cfg, resolve=False)
    return loaded if isinstance(loaded, dict) else None


def job_run_dir(job_dir: Path, config: dict) -> Path | None:
    """Where a multirun job given ``paths.run_dir`` wrote its results (``config``: the job's
    resolved .hydra/config.yaml), relative to the folder Hydra ran in; None if unknown."""
    run_dir = (config.get("paths") or {}).get("run_dir")
    if not isinstance(run_dir, str) or "${" in run_dir:
        return None
    path = Path(run_dir)
    if not path.is_absolute():
        hydra_cfg = read_config_file(hydra_file(job_dir, "hydra.yaml")) or {}
        cwd = ((hydra_cfg.get("hydra") or {}).get("runtime") or {}).get("cwd")
        path = Path(cwd) / path if isinstance(cwd, str) else job_dir / path
    return path


def has_results(run: Path) -> bool:
    return (Path(run) / METRICS).is_file()


def read_json(path: Path) -> dict:
    """A JSON object file; unreadable or not an object, it reads as a failed run with its
    reason, so one damaged folder cannot stop a report or a sweep summary."""
    try:
        loaded = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        return {"status": "failed", "reason": f"unreadable {Path(path).name}: {error}"}
    return loaded if isinstance(loaded, dict) else {"status": "failed", "reason": "bad metrics"}


def read_metrics(run: Path) -> dict:
    """A run's metrics.json (see :func:`read_json` for a damaged one)."""
    return read_json(Path(run) / METRICS)


def write_metrics(run: Path, results: dict) -> None:
    """Write metrics.json atomically (see seqbench.atomic): a reader (DVC, the report) sees
    the old file or the new one, never half of one, and a failure leaves no partial file."""
    atomic.write_text(Path(run) / METRICS, json.dumps(results, indent=2, sort_keys=True) + "\n")


def prepare(run: Path, ckpt_path: str | None, overwrite: bool, child_rank: bool) -> str | None:
    """The checkpoint a run resumes from (``ckpt_path``: "last", a file, or none) after
    checking it exists; refuses to overwrite an earlier run unless ``overwrite`` is set,
    then clears it. DDP child ranks (``child_rank``) only read."""
    run = Path(run)
    last = checkpoint(run, LAST)
    if ckpt_path == "last":
        if not last.is_file():
            raise ConfigError(f"ckpt_path=last but {last} does not exist; drop ckpt_path to start")
        return str(last)
    if ckpt_path:
        if not Path(ckpt_path).is_file():
            raise ConfigError(f"ckpt_path={ckpt_path} does not exist")
        return ckpt_path
    used = (run / METRICS).exists() or (run / CHECKPOINTS).exists()
    if used and not child_rank:
        if not overwrite:
            raise ConfigError(
                f"{run} already holds a run; resume it with ckpt_path=last, keep it and "
                "use another seed or paths.run_dir=..., or replace it with overwrite=true"
            )
        for folder in (CHECKPOINTS, CSV_LOGS):  # overwrite was asked for: start clean
            shutil.rmtree(run / folder, ignore_errors=True)
        for file in (METRICS, CURVES):
            (run / file).unlink(missing_ok=True)
    return None
