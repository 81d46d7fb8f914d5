"""`hydra/launcher=slurm`: hydra-submitit-launcher's SLURM launcher with per-job requests
and requeue after SIGTERM; the why is in seqbench.launch.slurm."""

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, run_job, setup_globals
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import (
    SlurmLauncher as SubmititSlurmLauncher,
)
from omegaconf import DictConfig, OmegaConf, open_dict

from seqbench.errors import SeqbenchError
from seqbench.launch import slurm


class SlurmLauncher(SubmititSlurmLauncher):
    """Submits each job with its own trainer's request; requeues a job stopped by SIGTERM."""

    job_cfg: DictConfig | None = None  # the running job's config, in its SLURM allocation

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> list:
        """One job array per distinct request, all submitted before any is waited for."""
        assert self.config is not None and self.hydra_context is not None
        groups: dict[str, tuple[dict, list[int]]] = {}
        for index, overrides in enumerate(job_overrides):
            job_cfg = self.hydra_context.config_loader.load_sweep_config(
                self.config, list(overrides)
            )
            try:
                request = slurm.job_request(job_cfg)
            except SeqbenchError as error:  # before anything is submitted: one line
                print(f"error: {error}", file=sys.stderr)
                sys.exit(2)
            groups.setdefault(repr(sorted(request.items())), (request, []))[1].append(index)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        jobs: dict[int, Any] = {}
        for request, indices in groups.values():
            numbers = [initial_job_idx + i for i in indices]
            slurm.log.info(f"SLURM jobs {numbers}: {request}")
            args = [
                (list(job_overrides[i]), "hydra.sweep.dir", n, f"job_id_for_{n}",
                 Singleton.get_state())
                for i, n in zip(indices, numbers, strict=True)
            ]  # fmt: skip
            submitted = self.executor(request).map_array(self, *zip(*args, strict=True))
            jobs |= dict(zip(indices, submitted, strict=True))
        return [jobs[index].results()[0] for index in range(len(job_overrides))]

    def executor(self, request: dict) -> Any:
        """A submitit executor with this launcher's settings and one job's request."""
        import submitit

        params = self.params | request
        executor = submitit.AutoExecutor(
            cluster="slurm",
            folder=params.pop("submitit_folder"),
            slurm_max_num_timeout=params.pop("max_num_timeout"),
        )
        common = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(
            **{key if key in common else f"slurm_{key}": value for key, value in params.items()}
        )
        return executor

    def __call__(
        self, sweep_overrides: list[str], job_dir_key: str, job_num: int, *args: Any
    ) -> JobReturn:
        """One job in its SLURM allocation (as Hydra's launcher runs it, keeping its config);
        stopped by SIGTERM, the first task requeues it to resume."""
        import submitit

        assert self.hydra_context is not None and self.config is not None
        Singleton.set_state(args[-1])  # args: Hydra's job id, the Singleton state
        setup_globals()
        self.job_cfg = self.hydra_context.config_loader.load_sweep_config(
            self.config, sweep_overrides
        )
        with open_dict(self.job_cfg.hydra.job):
            self.job_cfg.hydra.job.id = submitit.JobEnvironment().job_id
            self.job_cfg.hydra.job.num = job_num
        try:
            return run_job(
                hydra_context=self.hydra_context,
                task_function=self.task_function,
                config=self.job_cfg,
                job_dir_key=job_dir_key,
                job_subdir_key="hydra.sweep.subdir",
            )
        except SystemExit as stop:
            if stop.code == slurm.SIGTERM_EXIT and slurm.is_first_task():
                slurm.requeue(self.checkpoint(sweep_overrides, job_dir_key, job_num, *args))
            raise

    def checkpoint(self, sweep_overrides: list[str], *args: Any) -> Any:
        """The same job again, resuming from its last checkpoint (submitit pickles it)."""
        import submitit

        overrides = slurm.resume_overrides(sweep_overrides, self.job_cfg)
        self.job_cfg = None
        return submitit.helpers.DelayedSubmission(self, overrides, *args)
