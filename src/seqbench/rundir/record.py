"""The run's own record of how it was configured: ``.hydra/config.yaml``, ``hydra.yaml`` and
``overrides.yaml``, as Hydra would write them, but written by seqbench.

Hydra writes these before the job starts: into the folder of a finished run that is then
refused, and with secrets in clear. seqbench switches that off (``hydra.output_subdir:
null``) and writes the same files once the run directory is claimed, secrets redacted.
The report, the sweep summary and ``rundir.job_run_dir`` read them as before.
"""

from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from seqbench import rundir
from seqbench.safety.redaction import scrub_all


def record_config(cfg: DictConfig) -> None:
    """Write ``.hydra/`` into the folder of the job Hydra is running (the run directory,
    or a sweep job's folder when ``paths.run_dir`` names another); nothing outside Hydra."""
    if not HydraConfig.initialized():
        return
    hydra_cfg = OmegaConf.to_container(HydraConfig.get(), resolve=False)
    rundir.write_record(
        Path(HydraConfig.get().runtime.output_dir),
        {
            "config.yaml": scrub_all(OmegaConf.to_container(cfg, resolve=False)),
            "hydra.yaml": scrub_all({"hydra": hydra_cfg}),
            "overrides.yaml": scrub_all(list(HydraConfig.get().overrides.task)),
        },
    )
