"""Everything a training run can be refused for, checked before Hydra starts the job.

Hydra creates the job's folder and log before the task function runs; checking there would
leave a trace of every refused run, and Hydra reports a bad override in several lines. So
``seqbench-train`` composes the config once with the Compose API and checks it first.
"""

from pathlib import Path

from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from seqbench import config, config_hydra, run_location, rundir
from seqbench.errors import ConfigError

_passed = False  # this process's config was checked here: the job need not check it again


def passed() -> bool:
    """Whether :func:`precheck` checked this process's run (a single run, not a sweep)."""
    return _passed


def check_one_run_dir(cfg: DictConfig) -> None:
    """``hydra.run.dir`` and ``paths.run_dir`` are one setting (each follows the other): both
    given, they must name the same folder, or Hydra's files and the run would part ways."""
    hydra_dir = OmegaConf.to_container(cfg.hydra.run, resolve=False)["dir"]
    paths_dir = OmegaConf.to_container(cfg.paths, resolve=False)["run_dir"]
    if hydra_dir == "${paths.run_dir}" or str(paths_dir).startswith("${output_dir_or:"):
        return
    a, b = str(cfg.hydra.run.dir), str(cfg.paths.run_dir)
    if Path(a).resolve() != Path(b).resolve():
        raise ConfigError(
            f"hydra.run.dir={a} and paths.run_dir={b} name two folders, but they are one "
            "setting: give only one of them"
        )


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
    sweep = cfg.hydra.mode == RunMode.MULTIRUN  # a search config: each job claims its own
    if not sweep:
        check_one_run_dir(cfg)
    with open_dict(cfg):
        del cfg["hydra"]
        cfg.paths.run_dir = run_dir
    from seqbench.data import lengths

    lengths.check(cfg)  # the data's lengths, from its hashed record: nothing loaded
    config.validate(cfg, overrides)
    if sweep:  # no single run folder to claim; each job checks its own config and folder
        return
    if not child_rank:  # a DDP child joins the run its parent claimed
        run_location.check(run_dir, [cfg.paths.raw_dir], cfg.paths.root_dir)
        resume = rundir.claim(Path(run_dir), cfg.ckpt_path, cfg.overwrite)
        if resume:
            from seqbench.tasks.checkpoint import check_readable

            check_readable(resume)
    global _passed
    _passed = True
