"""SLURM for seqbench's launcher (`hydra/launcher=slurm`, the class lives in
hydra_plugins/seqbench_slurm because Hydra only loads plugins from there).

Resources follow each job's trainer. Hydra's submitit launcher resolves its settings once,
from the sweep's base config, and submits every job as one array with one request: a sweep
over ``trainer=cpu,ddp_sim`` would give each job the first trainer's tasks. seqbench's
launcher resolves conf/hydra/launcher/slurm.yaml in each job's own config (tasks and GPUs
tied to ``trainer.devices``) and submits one array per distinct request.

Preemption is submitit's checkpoint-and-requeue, started by seqbench's own clean stop.
SLURM preempts with SIGTERM; seqbench ends the step it is in, keeps its checkpoints and
exits 143 (train/run.py). Rank 0 then rewrites the job's submitit pickle with the launcher's
``checkpoint`` (the same job with ``ckpt_path=last``) and requeues it with
``scontrol requeue``; the job runs again and resumes. On a time limit, submitit's own signal
(USR2, ``signal_delay_s`` before the end) goes through the same ``checkpoint``.
"""

import logging
import subprocess
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from seqbench import ranks, rundir
from seqbench.errors import ConfigError

log = logging.getLogger(__name__)

SIGTERM_EXIT = 143  # 128 + SIGTERM: how seqbench ends a run stopped by SIGTERM
NOT_RESOURCES = ("_target_", "submitit_folder", "max_num_timeout")
RESUME_KEYS = ("ckpt_path", "overwrite")
MEMORY = ("mem_gb", "mem_per_cpu", "mem_per_gpu")  # sbatch: --mem, --mem-per-cpu, --mem-per-gpu


def job_request(job_cfg: DictConfig) -> dict:
    """What one job asks SLURM for: the launcher settings resolved in the job's config."""
    launcher = OmegaConf.to_container(job_cfg.hydra.launcher, resolve=True)
    assert isinstance(launcher, dict)
    memory = [
        f"hydra.launcher.{key}={launcher[key]}" for key in MEMORY if launcher.get(key) is not None
    ]
    if len(memory) > 1:  # one replaces the default, but two given are a contradiction
        raise ConfigError(
            f"{' and '.join(memory)}: sbatch takes one memory request (per node, per CPU or "
            "per GPU); give one of them"
        )
    return {key: value for key, value in launcher.items() if key not in NOT_RESOURCES}


def resume_overrides(overrides: list[str], job_cfg: DictConfig | None) -> list[str]:
    """The job's overrides to run it again: resume from its last checkpoint, or start over
    (``overwrite=true``) if it stopped before writing one."""
    from hydra.core.hydra_config import HydraConfig

    kept = [o for o in overrides if o.split("=")[0].lstrip("+~") not in RESUME_KEYS]
    run_dir = None
    if job_cfg is not None:  # paths.run_dir follows Hydra's output directory: the job's
        HydraConfig.instance().set_config(job_cfg)  # (Hydra's run_job restores the sweep's)
        run_dir = OmegaConf.select(job_cfg, "paths.run_dir")
    resumable = run_dir and rundir.checkpoint(Path(run_dir), rundir.LAST).is_file()
    return [*kept, "ckpt_path=last" if resumable else "overwrite=true"]


def is_first_task() -> bool:
    """Whether this is the job's rank zero (see seqbench.ranks): the task that requeues it."""
    return ranks.is_rank_zero()


def requeue(resubmission: Any) -> None:
    """submitit's checkpoint-and-requeue (``resubmission``: the launcher's ``checkpoint``),
    after seqbench stopped cleanly rather than in the middle of a step; only while SLURM
    still runs the job, so that a plain ``scancel`` (the job already CANCELLED) stays so."""
    import submitit
    from submitit.core.utils import DelayedSubmission, temporary_save_path

    env = submitit.JobEnvironment()
    state = subprocess.run(
        ["squeue", "-h", "-j", env.job_id, "-o", "%T"], capture_output=True, text=True
    ).stdout.strip()
    if state != "RUNNING":
        log.warning(f"SIGTERM: job {env.job_id} is {state or 'gone'}, not requeued")
        return
    pickle = env.paths.submitted_pickle
    first = DelayedSubmission.load(pickle)
    resubmission.set_timeout(first._timeout_min, first._timeout_countdown)
    with temporary_save_path(pickle) as partial:
        resubmission.dump(partial)
    log.warning(f"SIGTERM: requeueing job {env.job_id} with {resubmission.args[0][-1]}")
    env._requeue(first._timeout_countdown)
