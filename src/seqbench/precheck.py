"""Everything a training run can be refused for, checked before Hydra starts the job.

Hydra creates the job's folder and log before the task function runs; checking there would
leave a trace of every refused run, and Hydra reports a bad override in several lines. So
``seqbench-train`` composes the config once with the Compose API and checks it first.
"""

from pathlib import Path

from omegaconf import open_dict

from seqbench import config, config_hydra, rundir
from seqbench.errors import ConfigError

_passed = False  # this process's config was checked here: the job need not check it again


def passed() -> bool:
    """Whether :func:`precheck` checked this process's run (a single run, not a sweep)."""
    return _passed


def precheck(argv: list[str], child_rank: bool) -> None:
    """Compose once with the Compose API and check everything a run can be refused for
    before Hydra starts the job (and creates its folder and log), so a mistake ends in one
    line and a refused run leaves no trace. Multirun (-m) and Hydra's flags go to Hydra."""
    overrides = [a for a in argv if not a.startswith("-")]
    if len(overrides) != len(argv):
        return
    from hydra import compose, initialize_config_dir

    config.check_group_overrides(overrides)
    try:
        with initialize_config_dir(config_dir=str(config.CONF_DIR), version_base="1.3"):
            cfg = compose("train", overrides=overrides, return_hydra_config=True)
        run_dir = str(cfg.hydra.run.dir)  # where the job will run: paths.run_dir, or hydra's
    except Exception as error:
        raise ConfigError(config.one_line(error)) from error
    config_hydra.check_hydra(cfg.hydra)
    with open_dict(cfg):
        del cfg["hydra"]
        cfg.paths.run_dir = run_dir
    config.validate(cfg, overrides)
    if not child_rank:  # a DDP child joins the run its parent claimed
        rundir.check_location(Path(run_dir), [cfg.paths.raw_dir])
        resume = rundir.claim(Path(run_dir), cfg.ckpt_path, cfg.overwrite)
        if resume:
            from seqbench.tasks.checkpoint import check_readable

            check_readable(resume)
    global _passed
    _passed = True
