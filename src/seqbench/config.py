"""Checking a composed config before any training, and showing it without secrets.

Hydra catches structural mistakes (unknown keys) and OmegaConf interpolation errors; this
module turns those into one line, and adds the checks Hydra cannot know: value types and
ranges, and which group options exist.
"""

import math
import re
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf
from rich.tree import Tree

from seqbench.errors import ConfigError
from seqbench.redaction import scrub_all

# shipped inside the package, so a wheel or any non-editable install finds its configs
CONF_DIR = Path(__file__).resolve().parent / "conf"
ACTIVATIONS, INITS = ("tanh", "relu"), ("default", "identity")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a dataset or model name: it names folders
PRECISIONS = ("32-true", "32", "bf16-mixed", "16-mixed", "bf16-true", "64-true")


def group_options(group: str, extra_dirs: Iterable[Path] = ()) -> list[str]:
    """The options of a config group: its yaml files, except _bases, in the shipped configs
    and in any folder added to Hydra's search path."""
    folders = [CONF_DIR / group, *(Path(d) / group for d in extra_dirs)]
    return sorted({p.stem for f in folders for p in f.glob("*.yaml") if not p.stem.startswith("_")})


def searchpath_dirs(entries: Iterable[str]) -> list[Path]:
    """The folders of `hydra.searchpath` entries, read as Hydra does: file:// (or no scheme)
    is a folder, relative to the current directory; pkg:// is an importable package."""
    folders = []
    for entry in entries:
        scheme, _, path = entry.rpartition("://")
        if scheme in ("", "file"):
            folders.append(Path(path).resolve())
        elif scheme == "pkg":
            try:
                folders.append(Path(str(files(path.replace("/", ".")))))
            except ModuleNotFoundError:
                continue  # Hydra itself reports a search path it cannot use
    return folders


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
        if override.is_sweep_override():
            choices = list(override.sweep_string_iterator())
        else:
            choices = [override.value()]
        valid = group_options(group, extra)
        for choice in choices:
            if choice is not None and str(choice) not in valid:
                raise ConfigError(f"unknown {group} {choice!r}; valid choices: {', '.join(valid)}")


def _int(cfg: DictConfig, key: str, low: int, allow_none: bool = False) -> None:
    value = OmegaConf.select(cfg, key)
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        expected = f"an integer >= {low}" + (" or null" if allow_none else "")
        raise ConfigError(f"{key} must be {expected}, got {value!r}")


def _float(
    cfg: DictConfig,
    key: str,
    low: float,
    high: float | None = None,
    allow_none: bool = False,
    include_high: bool = False,
) -> None:
    value = OmegaConf.select(cfg, key)
    if value is None and allow_none:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= low
    if ok and high is not None:
        ok = value <= high if include_high else value < high
    if not ok:
        bound = "" if high is None else f" and {'<=' if include_high else '<'} {high}"
        raise ConfigError(f"{key} must be a number >= {low}{bound}, got {value!r}")


def _choice(cfg: DictConfig, key: str, choices: tuple) -> None:
    value = OmegaConf.select(cfg, key)
    if value not in choices:
        raise ConfigError(f"{key}={value!r} is not valid; valid choices: {', '.join(choices)}")


def _model_options(cfg: DictConfig) -> None:
    """Every option a model config sets, whichever model sets it (rnn, rnn_relu, irnn and the
    rest share option names), in the config's own terms before any data loads."""
    checks = {
        "hidden_size": lambda key: _int(cfg, key, 1, allow_none=True),
        "num_layers": lambda key: _int(cfg, key, 1),
        "dropout": lambda key: _float(cfg, key, 0.0, 1.0),
        "activation": lambda key: _choice(cfg, key, ACTIVATIONS),
        "init": lambda key: _choice(cfg, key, INITS),
        "forget_bias": lambda key: _float(cfg, key, -math.inf, allow_none=True),
        "num_heads": lambda key: _int(cfg, key, 1),
        "ffn_mult": lambda key: _int(cfg, key, 1),
        "max_len": lambda key: _int(cfg, key, 1),
    }
    for option in cfg.model:
        if option in checks:
            checks[option](f"model.{option}")
    model = cfg.model
    if model.get("init") == "identity" and model.get("activation") != "relu":
        raise ConfigError(
            f"model.init=identity (IRNN) needs model.activation=relu, got {model.activation!r}"
        )
    hidden, heads = model.get("hidden_size"), model.get("num_heads")
    if hidden is not None and heads is not None and hidden % heads:
        raise ConfigError(
            f"model.hidden_size={hidden} must be divisible by model.num_heads={heads}"
        )


def validate(cfg: DictConfig) -> None:
    """Every value a run depends on, checked before any data is loaded or model built."""
    try:
        OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except Exception as error:  # interpolation or missing value
        raise ConfigError(one_line(error)) from error
    _int(cfg, "seed", 0)
    for key in ("data.name", "model.name"):
        name = OmegaConf.select(cfg, key)
        if not isinstance(name, str) or not NAME.fullmatch(name) or ".." in name:
            raise ConfigError(
                f"{key}={name!r} is not a plain name (letters, digits, _ . -): it names the "
                "run's folder and the dataset's"
            )
    _model_options(cfg)
    if cfg.model.hidden_size is None:
        _int(cfg, "task.param_budget", 100)
    _int(cfg, "task.embed_dim", 1)
    _float(cfg, "task.grad_clip", 0.0, allow_none=True)
    if not isinstance(OmegaConf.select(cfg, "task.clip_gradients", default=True), bool):
        raise ConfigError(
            f"task.clip_gradients must be true or false, got {cfg.task.clip_gradients!r}"
        )
    _int(cfg, "task.tbptt_steps", 1, allow_none=True)
    _float(cfg, "optimizer.lr", 1e-12)
    _int(cfg, "data.batch_size", 1)
    _int(cfg, "budget.max_steps", 1)
    _int(cfg, "budget.val_every", 1)
    _int(cfg, "trainer.devices", 1)
    _choice(cfg, "trainer.precision", PRECISIONS)
    _accelerator_present(str(OmegaConf.select(cfg, "trainer.accelerator", default="cpu")))
    for flag in ("compile", "overwrite", "keep_going", "print_config"):
        if not isinstance(cfg.get(flag, False), bool):
            raise ConfigError(f"{flag} must be true or false, got {cfg.get(flag)!r}")
    if cfg.ckpt_path is not None and not isinstance(cfg.ckpt_path, str):
        raise ConfigError(f"ckpt_path must be 'last' or a checkpoint path, got {cfg.ckpt_path!r}")


def _accelerator_present(accelerator: str) -> None:
    """A GPU trainer on a machine without one: say which trainer to use instead."""
    if accelerator not in ("gpu", "cuda"):
        return
    import torch

    if not torch.cuda.is_available():
        raise ConfigError(
            f"trainer.accelerator={accelerator} but torch sees no CUDA GPU here "
            f"(torch {torch.__version__}); use trainer=cpu, or trainer=ddp_sim for DDP "
            "over CPU processes"
        )


def one_line(error: BaseException) -> str:
    """An exception's message squeezed to one line (Hydra's are several)."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text.replace(
        "Set the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.", ""
    ).strip()


def tree(cfg: DictConfig) -> Tree:
    """The composed config as a rich tree, one branch per group, secrets redacted."""
    root = Tree("config", guide_style="dim")
    resolved = scrub_all(OmegaConf.to_container(cfg, resolve=True))
    for key, value in resolved.items():
        branch = root.add(f"[bold]{key}[/]" if isinstance(value, dict) else f"{key}: {value}")
        if isinstance(value, dict):
            branch.add(OmegaConf.to_yaml(value).rstrip() or "{}")
    return root
