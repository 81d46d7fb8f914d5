"""Checking a sweep before Hydra starts it, job by job as a single run is checked.

Hydra writes the sweep's folder (multirun.yaml, Optuna's study) before the first job, and a
job refused there is one failed job among many, recorded in folders a user then has to clean.
So ``seqbench-train -m ...`` (and a search, whose config sets ``hydra.mode: MULTIRUN``)
expands the sweep with Hydra's own parser and sweeper logic, composes every job's config and
checks it with ``config.validate`` and the run-folder checks; one bad job refuses the sweep
in one line naming its overrides, and nothing is written.

Composing is the cost (a few tenths of a second each): a config is composed once per choice
of config groups, and each job's value overrides are applied to a copy by Hydra's own
override code. An Optuna search is checked at the ends of its space (``search_space``).
"""

import contextlib
import copy
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, open_dict

from seqbench import config, rundir
from seqbench.config import search_space
from seqbench.errors import ConfigError, SeqbenchError, one_line
from seqbench.rundir import location

SEARCH_SWEEPERS = ("OptunaSweeper", "SearchSweeper")  # hydra-optuna-sweeper's, and seqbench's


class Jobs:
    """Job configs of one sweep, composed once per choice of config groups."""

    def __init__(
        self, config_name: str, hydra_overrides: list[str], compose: config.Composer
    ) -> None:
        self.config_name = config_name
        self.compose = compose
        self.hydra_overrides = hydra_overrides
        loader = GlobalHydra.instance().config_loader()
        self.repository = loader.repository  # type: ignore[attr-defined]
        self.parser = OverridesParser.create(config_loader=loader)
        self.composed: dict[tuple[str, ...], DictConfig] = {}

    def is_group(self, override: Override) -> bool:
        return override.package is not None or self.repository.group_exists(override.key_or_group)

    def config(self, job: list[str], num: int) -> DictConfig:
        """The job's config as Hydra's launcher would compose it (job number ``num``)."""
        parsed = self.parser.parse_overrides(job)
        groups = tuple(o.input_line for o in parsed if self.is_group(o))
        if groups not in self.composed:
            overrides = [*self.hydra_overrides, *groups]
            self.composed[groups] = self.compose(overrides, self.config_name, hydra_config=True)
        cfg = copy.deepcopy(self.composed[groups])
        ConfigLoaderImpl._apply_overrides_to_config(
            [o for o in parsed if not self.is_group(o)], cfg
        )
        with open_dict(cfg.hydra):
            dirname = cfg.hydra.job.config.override_dirname
            cfg.hydra.job.num = num
            cfg.hydra.job.override_dirname = get_overrides_dirname(
                parsed, list(dirname.exclude_keys), dirname.item_sep, dirname.kv_sep
            )
            cfg.hydra.runtime.output_dir = str(
                Path(cfg.hydra.sweep.dir) / str(cfg.hydra.sweep.subdir)
            )
        return cfg


@contextlib.contextmanager
def as_job(cfg: DictConfig) -> Iterator[None]:
    """Hydra's runtime config set to this job's while its values resolve (its output folder
    is its run folder unless paths.run_dir names one), and put back afterwards."""
    instance = HydraConfig.instance()
    before = instance.cfg
    instance.set_config(cfg)
    try:
        yield
    finally:
        instance.cfg = before


def check_job(cfg: DictConfig, overrides: list[str]) -> Path:
    """One job checked as a single run is: its values, its folder; the folder it runs in."""
    with as_job(cfg):
        run_dir = str(cfg.paths.run_dir)
        with open_dict(cfg):
            del cfg["hydra"]
            cfg.paths.run_dir = run_dir
        from seqbench.data import lengths

        lengths.check(cfg)
        config.validate(cfg, overrides)
    location.check(run_dir, [cfg.paths.raw_dir], cfg.paths.root_dir)
    resume = rundir.claim(Path(run_dir), cfg.ckpt_path, cfg.overwrite)
    if resume:
        from seqbench.tasks.checkpoint import check_readable

        check_readable(resume)
    return Path(run_dir).resolve()


def grid(base: DictConfig, jobs: Jobs, task_overrides: list[str]) -> list[list[str]]:
    """The jobs Hydra's basic sweeper launches: every combination, in its order."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    params = [f"{k}={v}" for k, v in (base.hydra.sweeper.get("params") or {}).items()]
    parsed = jobs.parser.parse_overrides([*params, *task_overrides])
    for override in parsed:
        if override.is_sweep_override() and not override.is_discrete_sweep():
            raise ConfigError(
                f"{override.input_line}: a grid sweep (-m) takes a,b lists, range() and glob(); "
                "interval() needs an Optuna search (hparams_search=recurrent|transformer)"
            )
    return BasicSweeper.split_arguments(parsed, None)[0]


def label(job: list[str], every: list[list[str]], search: bool) -> str:
    """The overrides that set this job apart from the sweep's others (a search's: from its
    first job, which takes every searched key's first value)."""
    shared = set.intersection(*(set(j) for j in every)) if len(every) > 1 else set()
    if search and job is not every[0]:
        shared |= set(every[0])
    return " ".join(o for o in job if o not in shared) or " ".join(job) or "no overrides"


def check_sweep(
    base: DictConfig, config_name: str, overrides: list[str], compose: config.Composer
) -> None:
    """Refuse the sweep in one line if any of its jobs would be refused; nothing written.
    ``compose``: the Hydra session the sweep's base config was composed in."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    hydra_overrides = [o.input_line for o in parsed if o.is_hydra_override()]
    task_overrides = [o.input_line for o in parsed if not o.is_hydra_override()]
    jobs = Jobs(config_name, hydra_overrides, compose)
    target = str(base.hydra.sweeper.get("_target_", ""))
    if target.endswith(SEARCH_SWEEPERS):
        search_space.check_settings(base.hydra.sweeper)
        every = search_space.jobs(base.hydra.sweeper, jobs.parser, task_overrides)
        kind = "search job"
    else:
        every = grid(base, jobs, task_overrides)
        kind = "sweep job"
    folders: dict[Path, str] = {}
    warnings = io.StringIO()
    for num, job in enumerate(every):
        name = f"{kind} {num} of {len(every)} ({label(job, every, kind == 'search job')})"
        try:
            with contextlib.redirect_stderr(warnings):
                folder = check_job(jobs.config(job, num), job)
        except SeqbenchError as error:
            raise ConfigError(f"{name}: {error}") from None
        except Exception as error:  # Hydra's composition errors: several lines
            raise ConfigError(f"{name}: {one_line(error)}") from None
        if folder in folders:
            raise ConfigError(
                f"{name} and {folders[folder]} would both run in {folder}; make paths.run_dir "
                "depend on what the sweep changes, or leave it to Hydra (one folder per job)"
            )
        folders[folder] = name
    seen = dict.fromkeys(warnings.getvalue().splitlines())  # one warning, not one per job
    sys.stderr.write("".join(f"{line}\n" for line in seen))
