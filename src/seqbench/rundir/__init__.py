"""The run-directory contract: where a training run's folder lives and what it holds.

Training writes these files, the callbacks add to them, the lessons read the checkpoints and
the report reads the rest; dvc.yaml declares the same paths as outputs (a test holds the two
together). One module names them so a renamed file cannot leave a reader behind.

    <data>/<model>/<seed>/                       the comparison (conf/paths)
    activations/<data>/<model>/clip-<clip>/<seed>/   the activation study
    memory/<data>/<model>/<seed>/                the long-memory study
      below runs/ for the DVC pipeline (its stages name these folders), outputs/ for runs
      trained by hand (seqbench-train's default: no DVC stage writes there)
      metrics.json  curves.csv  gradient_flow.csv  checkpoints/{best,last}.ckpt
      .hydra/ (Hydra's composed config)  csv/ (the CSV logger, with hparams.yaml)
"""

import json
import shutil
from pathlib import Path

from omegaconf import OmegaConf

from seqbench.errors import ConfigError
from seqbench.safety import atomic

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


def read_config_file(path: Path, resolve: bool = True) -> dict | None:
    """A saved config (.hydra/*.yaml, hparams.yaml), resolved where its interpolations allow
    (unless ``resolve`` is false), else as written; None if it cannot be read (a damaged file
    must not stop a reader)."""
    try:
        cfg = OmegaConf.load(path)
    except Exception:
        return None
    try:
        loaded = OmegaConf.to_container(cfg, resolve=resolve)
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
    """Write metrics.json atomically (see seqbench.safety.atomic): a reader (DVC, the report) sees
    the old file or the new one, never half of one, and a failure leaves no partial file."""
    atomic.write_text(Path(run) / METRICS, json.dumps(results, indent=2, sort_keys=True) + "\n")


def write_record(run: Path, files: dict[str, object]) -> None:
    """The run's own record of its configuration: ``.hydra/<name>`` as YAML, each written
    atomically (seqbench writes it instead of Hydra, after the run directory is claimed and
    with secrets redacted: see seqbench.rundir.record)."""
    folder = Path(run) / HYDRA
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        atomic.write_text(folder / name, OmegaConf.to_yaml(OmegaConf.create(content)))


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
