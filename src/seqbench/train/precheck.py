"""Everything a training run can be refused for, checked before Hydra starts the job.

Hydra creates the job's folder and log before the task function runs; checking there would
leave a trace of every refused run, and Hydra reports a bad override in several lines. So
``seqbench-train`` composes the config once with the Compose API and checks it first. A
sweep (``-m``, or a config that sets ``hydra.mode: MULTIRUN`` such as a search) is checked
job by job (``sweep_check``), and Hydra's flags are read by Hydra's own parser
(``hydra_flags``): ``--cfg`` prints the checked config scrubbed, and no flag skips a check.
"""

import argparse
import copy
from dataclasses import dataclass
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from seqbench import config, rundir
from seqbench.config import hydra_settings
from seqbench.errors import ConfigError, one_line
from seqbench.rundir import location
from seqbench.train import hydra_flags


@dataclass(frozen=True)
class Prechecked:
    """What :func:`precheck` found: the flags, and for a single run that will run here, the
    proof its config passed ``config.validate`` (the job then does not check it again). None
    for a sweep (each job checks its own where it runs: on a SLURM node, against its GPU),
    for ``--cfg``/``--info`` and for Hydra's own flags."""

    args: argparse.Namespace
    checked: config.Checked | None = None


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


def precheck(argv: list[str], child_rank: bool) -> Prechecked:
    """Read the flags, compose with the Compose API and check everything a run (or each job
    of a sweep) can be refused for before Hydra starts (and creates folders and logs), so a
    mistake ends in one line and a refused command leaves no trace."""
    args = hydra_flags.parse(argv)
    if hydra_flags.only_hydra(args):
        return Prechecked(args)
    folder, name, overrides = hydra_flags.config_place(args, config.CONF_DIR)
    check_overrides(overrides)
    with config.composer(folder) as compose:
        parsed = OverridesParser.create().parse_overrides(overrides)
        sweeps = [o.input_line for o in parsed if o.is_sweep_override()]
        try:  # a sweep as Hydra's get_mode reads it: its sweeps left out
            multirun = bool(sweeps) and args.cfg is None and args.info is None
            cfg = compose(overrides, name, hydra_config=True, multirun=multirun)
        except Exception as error:
            first = f" (Hydra composes a sweep without {', '.join(sweeps)} first)" * bool(sweeps)
            raise ConfigError(f"{one_line(error)}{first}") from error
        hydra_settings.check_hydra(cfg.hydra)
        if args.multirun or (cfg.hydra.mode == RunMode.MULTIRUN and args.cfg is None):
            from seqbench.train import sweep_check

            sweep_check.check_sweep(cfg, name, overrides, compose)
            return Prechecked(args)
        if sweeps:
            raise ConfigError(
                f"{sweeps[0]} is a sweep: add -m to run one job per value, or quote a value "
                "that holds a comma: 'key=\"a,b\"'"
            )
        shown = copy.deepcopy(cfg) if args.cfg is not None else None
        claim = shown is None and args.info is None
        checked = check_single(cfg, overrides, child_rank, claim)
        if shown is not None:
            hydra_flags.show(shown, args)
    return Prechecked(args, checked if claim else None)


def check_overrides(overrides: list[str]) -> None:
    """Readable overrides naming existing options; Hydra's own settings are not swept."""
    config.check_group_overrides(overrides)
    for override in OverridesParser.create().parse_overrides(overrides):
        if override.is_hydra_override() and override.is_sweep_override():
            key, _, value = override.input_line.partition("=")
            raise ConfigError(
                f"{override.input_line}: Hydra's own settings cannot be swept; give a search "
                f"space as {key.removeprefix('hydra.sweeper.params.')}={value}"
            )


def check_single(
    cfg: DictConfig, overrides: list[str], child_rank: bool, claim: bool
) -> config.Checked:
    """One run's values and, when it will run (``claim``), its folder."""
    try:
        run_dir = str(cfg.hydra.run.dir)  # where the job will run: paths.run_dir, or hydra's
        check_one_run_dir(cfg)
    except ConfigError:
        raise
    except Exception as error:  # a value it is made of is missing (~data)
        raise ConfigError(one_line(error)) from error
    with open_dict(cfg):
        del cfg["hydra"]
        cfg.paths.run_dir = run_dir
    from seqbench.data import lengths

    lengths.check(cfg)  # the data's lengths, from its hashed record: nothing loaded
    checked = config.validate(cfg, overrides)
    if claim and not child_rank:  # a DDP child joins the run its parent claimed
        location.check(run_dir, [cfg.paths.raw_dir], cfg.paths.root_dir)
        resume = rundir.claim(Path(run_dir), cfg.ckpt_path, cfg.overwrite)
        if resume:
            from seqbench.tasks.checkpoint import check_readable

            check_readable(resume)
    return checked
