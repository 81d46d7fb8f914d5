"""Hydra multirun support: one folder and one W&B group per sweep, DDP children that train
their own job only, and a sweep summary that `seqbench report` can read.

The DDP trap (Lightning issue 11300, Hydra issue 2070): Lightning starts the other ranks by
re-running the command line, and in a multirun that command line is the whole sweep. The
parent job therefore leaves its own overrides in ``SEQBENCH_JOB_ARGS``, and a child rank
replaces its arguments with them (see :func:`child_argv`).
"""

import csv
import json
import os
from pathlib import Path

import yaml
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from seqbench import ranks, rundir
from seqbench.safety import atomic
from seqbench.safety.redaction import protect, scrub_all

JOB_ARGS = "SEQBENCH_JOB_ARGS"
UNFINISHED: list[str] = []  # sweep folders of searches in which no trial finished


def no_trial_finished(sweep_dir: str) -> None:
    """Remember a search whose trials all failed: ``seqbench-train`` then exits with 1."""
    UNFINISHED.append(sweep_dir)


def in_multirun() -> bool:
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def use_sweep_dirs(cfg: DictConfig) -> None:
    """In a multirun, join the W&B group named after the sweep (unless logger.wandb.group is
    given), and leave the job's arguments for the DDP child ranks. Each job already trains in
    its own folder: paths.run_dir follows Hydra's output directory unless it is given."""
    if not in_multirun():
        return
    hydra_cfg = HydraConfig.get()
    overrides = list(hydra_cfg.overrides.task)
    protect(overrides)  # a job launched elsewhere (SLURM) has not its sweep's command line
    extra = [f"hydra.run.dir={hydra_cfg.runtime.output_dir}"]
    wandb = (cfg.get("logger") or {}).get("wandb")
    if wandb is not None and not any(o.startswith("logger.wandb.group=") for o in overrides):
        with open_dict(cfg):
            wandb.group = Path(hydra_cfg.sweep.dir).name
        extra.append(f"logger.wandb.group={wandb.group}")
    os.environ[JOB_ARGS] = json.dumps([*overrides, *extra])


def child_argv(argv: list[str]) -> list[str]:
    """A DDP child's arguments: its parent job's, when the parent was a multirun job."""
    if ranks.is_rank_zero() or JOB_ARGS not in os.environ:
        return argv
    return [argv[0], *json.loads(os.environ[JOB_ARGS])]


class SweepSummary(Callback):
    """Writes ``sweep_summary.csv`` in the sweep directory when a multirun ends: one row
    per job with its overrides, the monitored metric, its value and the job's status."""

    def on_multirun_start(self, config: DictConfig, **kwargs: object) -> None:
        """Optuna opens its SQLite study in the sweep folder before any job creates it."""
        Path(config.hydra.sweep.dir).mkdir(parents=True, exist_ok=True)

    def on_job_start(self, config: DictConfig, **kwargs: object) -> None:
        """Hydra has just saved the sweep's config (multirun.yaml) with secrets in clear."""
        path = Path(config.hydra.sweep.dir) / "multirun.yaml"
        saved = rundir.read_config_file(path, resolve=False) if path.is_file() else None
        if saved is not None and (clean := scrub_all(saved)) != saved:
            atomic.write_text(path, OmegaConf.to_yaml(OmegaConf.create(clean)))

    def on_multirun_end(self, config: DictConfig, **kwargs: object) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        rows = [summarise_job(job) for job in sorted(sweep_dir.glob(f"*/{rundir.HYDRA}"))]
        if not rows:
            return
        with (sweep_dir / "sweep_summary.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        failed = sum(row["status"] != "finished" for row in rows)
        print(
            f"sweep summary: {len(rows)} jobs, {failed} not finished -> "
            f"{sweep_dir / 'sweep_summary.csv'}"
        )


def summarise_job(hydra_dir: Path) -> dict:
    job_dir = hydra_dir.parent
    overrides = yaml.safe_load(rundir.hydra_file(job_dir, "overrides.yaml").read_text()) or []
    row = {
        "job": job_dir.name,
        "overrides": " ".join(overrides),
        "status": "failed",
        "monitor": "",
        "value": "",
        "reason": f"no {rundir.METRICS}: the job died early",
    }
    if not rundir.has_results(job_dir) and any(o.startswith("paths.run_dir=") for o in overrides):
        job_dir = (
            rundir.job_run_dir(job_dir, rundir.read_config_file(hydra_dir / "config.yaml") or {})
            or job_dir
        )
    if rundir.has_results(job_dir):
        result = rundir.read_metrics(job_dir)
        row |= {
            "status": result.get("status", "?"),
            "monitor": result.get("monitor", ""),
            "value": result.get("best_val", ""),
            "reason": result.get("reason", ""),
        }
    return row
