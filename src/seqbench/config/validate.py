"""Checking a composed config before any training.

Hydra catches structural mistakes (unknown keys) and OmegaConf interpolation errors; this
module turns those into one line, and adds the checks Hydra cannot know: value types and
ranges, and which group options exist.
"""

from dataclasses import dataclass
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Glob
from omegaconf import DictConfig, OmegaConf

from seqbench.config import allowlist, checks, keys, memory, trainer_checks, wandb_login
from seqbench.config.paths import CONF_DIR, NAME, group_options, searchpath_dirs
from seqbench.errors import ConfigError, one_line
from seqbench.safety.redaction import remember


def check_group_overrides(overrides: list[str]) -> None:
    """Refuse `group=option` overrides that name no config file, listing the valid ones:
    the shipped options and those in folders given by `hydra.searchpath=[...]`."""
    parser = OverridesParser.create()
    for override in overrides:
        try:
            parser.parse_overrides([override])
        except Exception as error:  # Hydra's grammar error: several lines and a link
            why = one_line(error).split(" See https://hydra.cc")[0]
            raise ConfigError(
                f"cannot read the override {override!r} ({why}); write key=value, and quote "
                "a value with spaces, brackets or non-ASCII characters: 'key=\"a b\"'"
            ) from None
    parsed = parser.parse_overrides(overrides)
    extra: list[Path] = []
    for override in parsed:
        if override.key_or_group == "hydra.searchpath" and isinstance(override.value(), list):
            extra = searchpath_dirs(str(entry) for entry in override.value())
    roots = [CONF_DIR, *extra]
    for override in parsed:
        group = override.key_or_group
        if not group:
            raise ConfigError(f"override {override.input_line!r} names no key: give key=value")
        if override.is_delete() or "." in group or not any((r / group).is_dir() for r in roots):
            continue
        valid = group_options(group, extra)
        if isinstance(override.value(), Glob):  # -m 'model=glob(*rnn*)': what it matches
            files = {p.stem for root in roots for p in (root / group).glob("*.yaml")}
            choices = override.value().filter(sorted(files))
            bases = [choice for choice in choices if choice.startswith("_")]
            if bases or not choices:
                matched = f"{bases[0]!r}, a base file and no" if bases else "no"
                raise ConfigError(
                    f"{override.input_line} matches {matched} {group} (glob(*,exclude=[_*]) "
                    f"leaves base files out); valid: {', '.join(valid)}"
                )
        elif override.is_sweep_override():
            choices = list(override.sweep_string_iterator())
        else:
            choices = [override.value()]
        for choice in choices:
            if choice is not None and str(choice) not in valid:
                raise ConfigError(f"unknown {group} {choice!r}; valid choices: {', '.join(valid)}")


@dataclass(frozen=True)
class Checked:
    """Proof that :func:`validate` passed a config, with what it found that the run reuses:
    a caller that holds one need not check again (``seqbench-train`` checks before Hydra
    starts and hands this to the job), and the build reuses the memory estimate."""

    estimate: memory.Estimate | None  # None where this rank estimated nothing (see memory)


def validate(cfg: DictConfig, overrides: list[str] | None = None) -> Checked:
    """Every value a run depends on, checked before any data is loaded or model built: the
    classes it names and whether the task fits the data (``config_targets``), each group's
    values (``checks``, ``trainer_checks``), the keys a user added (``keys``;
    the job's overrides, or ``overrides`` where Hydra has not started), the W&B mode
    (``wandb_login``) and the memory the model needs (``memory``)."""

    try:
        remember(OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True))
    except Exception as error:  # interpolation or missing value
        raise ConfigError(one_line(error)) from error
    for key in ("data.name", "model.name"):
        name = OmegaConf.select(cfg, key)
        if not isinstance(name, str) or not NAME.fullmatch(name) or ".." in name:
            raise ConfigError(
                f"{key}={name!r} is not a plain name (letters, digits, _ . -): it names the "
                "run's folder and the dataset's"
            )
    keys.refuse_wandb_key(cfg)  # before the classes: a key is named as a key
    allowlist.check_targets(cfg)  # first: nothing below may import a config's class
    checks.top_level(cfg)
    trainer_checks.budget(cfg)  # before the groups: the scheduler and data read the budget
    trainer_checks.trainer_options(cfg)
    trainer_checks.validates_before_stopping(cfg)
    checks.model_options(cfg)
    checks.task_options(cfg)
    checks.optimizer_options(cfg)
    checks.scheduler_options(cfg)
    checks.data_options(cfg)
    checks.callback_options(cfg)
    checks.finite_numbers(cfg)  # after the groups' own checks, which give the ranges
    allowlist.check_task_fits_data(cfg)
    _accelerator_present(cfg)
    checks.against_sequence(cfg)
    if OmegaConf.select(cfg, "logger.wandb"):
        wandb_login.check_mode(cfg.logger.wandb.get("mode"))
    keys.check_added(cfg, overrides)  # late: its warnings only where little can refuse
    return Checked(memory.check_memory(cfg))  # builds the model: after its added options


def _accelerator_present(cfg: DictConfig) -> None:
    """A GPU trainer on a machine without one, or with fewer GPUs than trainer.devices: say
    which trainer to use instead."""
    accelerator = str(OmegaConf.select(cfg, "trainer.accelerator", default="cpu"))
    if accelerator not in ("gpu", "cuda"):
        return
    import torch

    if not torch.cuda.is_available():
        raise ConfigError(
            f"trainer.accelerator={accelerator} but torch sees no CUDA GPU here "
            f"(torch {torch.__version__}); use trainer=cpu, or trainer=ddp_sim for DDP "
            "over CPU processes"
        )
    devices, present = cfg.trainer.devices, torch.cuda.device_count()
    if devices > present:
        raise ConfigError(
            f"trainer.devices={devices} but torch sees {present} CUDA GPU(s) here; set "
            f"trainer.devices<={present}"
        )
