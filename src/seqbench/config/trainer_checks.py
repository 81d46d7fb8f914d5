"""The budget and every Lightning Trainer argument a config can set, checked before the
Trainer exists: a wrong type or range, an argument seqbench sets itself or cannot honour
(its tasks step the optimiser themselves), and a budget that would end a run before its
first validation ("finished" with no best checkpoint and no validation score).

:data:`TRAINER_KEYS` has one entry per argument of ``lightning.pytorch.Trainer``
(``tests/refusals/test_refusals_values.py`` holds it to the installed Lightning's signature), so
``+trainer.<key>`` never reaches Lightning unchecked.
"""

import re
from collections.abc import Callable

from omegaconf import DictConfig, OmegaConf

from seqbench.config.checks import boolean, choice, fraction_or_count, has, integer
from seqbench.errors import ConfigError

PRECISIONS = ("32-true", "32", "bf16-mixed", "16-mixed", "bf16-true", "64-true")
ACCELERATORS = ("cpu", "gpu", "cuda", "auto")
PROFILERS = ("simple", "advanced", "pytorch")
MAX_TIME = re.compile(r"\d+:\d{1,2}:\d{1,2}:\d{1,2}")  # DD:HH:MM:SS
SET_BY_SEQBENCH = {  # build() passes these itself: a config's value would be dropped
    "logger": "choose the logger group instead (logger=csv|wandb|none)",
    "callbacks": "add or switch off callbacks in the callbacks group",
    "plugins": "seqbench passes its own checkpoint plugin",
    "default_root_dir": "set paths.run_dir instead",
}
MANUAL_OPTIMISATION = {  # Lightning refuses other values for tasks that step their optimiser
    "gradient_clip_val": (None, "clip with task.grad_clip (task.clip_gradients=false: count)"),
    "gradient_clip_algorithm": (None, "seqbench clips by norm, with task.grad_clip"),
    "accumulate_grad_batches": (1, "raise data.batch_size for larger steps"),
}


def _value(cfg: DictConfig, key: str) -> object:
    return OmegaConf.select(cfg, key)


def _optional(check: Callable[[DictConfig, str], None]) -> Callable[[DictConfig, str], None]:
    """``check``, except that null (Lightning's default) is accepted."""
    return lambda cfg, key: None if _value(cfg, key) is None else check(cfg, key)


def _count(low: int) -> Callable[[DictConfig, str], None]:
    return lambda cfg, key: integer(cfg, key, low)


def _flag(cfg: DictConfig, key: str) -> None:
    boolean(cfg, key)


def _precision(cfg: DictConfig, key: str) -> None:
    value = _value(cfg, key)
    if isinstance(value, int) and not isinstance(value, bool) and str(value) in PRECISIONS:
        return  # trainer.precision=32: Lightning reads the number as "32"
    choice(cfg, key, PRECISIONS)


def _max_epochs(cfg: DictConfig, key: str) -> None:
    value = _value(cfg, key)  # -1: until max_steps; 0 would never train
    if value != -1 and not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        raise ConfigError(
            f"{key} must be -1 (until the budget's max_steps) or an integer >= 1, got {value!r}"
        )


def _max_time(cfg: DictConfig, key: str) -> None:
    value = _value(cfg, key)
    if not isinstance(value, str) or not MAX_TIME.fullmatch(value):
        raise ConfigError(f"{key} must be DD:HH:MM:SS (e.g. 00:12:00:00) or null, got {value!r}")


def _share_or_none(cfg: DictConfig, key: str) -> None:
    """overfit_batches: 0 (off), a number of batches or a share."""
    if _value(cfg, key) not in (0, 0.0):
        fraction_or_count(cfg, key)


def _deterministic(cfg: DictConfig, key: str) -> None:
    if _value(cfg, key) != "warn":
        boolean(cfg, key)


def _must_be(expected: object, why: str) -> Callable[[DictConfig, str], None]:
    def check(cfg: DictConfig, key: str) -> None:
        value = _value(cfg, key)
        if value != expected or type(value) is not type(expected):
            shown = str(value).lower() if isinstance(value, bool) else repr(value)
            raise ConfigError(f"{key}={shown} is not supported by seqbench: {why}")

    return check


def _strategy(cfg: DictConfig, key: str) -> None:
    if not isinstance(_value(cfg, key), str) or not _value(cfg, key):
        raise ConfigError(f"{key} must be a name (ddp), got {_value(cfg, key)!r}")


def _name(cfg: DictConfig, key: str) -> None:
    if not isinstance(_value(cfg, key), str):
        raise ConfigError(f"{key} must be a name or null, got {_value(cfg, key)!r}")


TRAINER_KEYS: dict[str, Callable[[DictConfig, str], None]] = {
    "accelerator": lambda cfg, key: choice(cfg, key, ACCELERATORS),
    "strategy": _strategy,
    "devices": _count(1),
    "num_nodes": _count(1),
    "precision": _precision,
    "fast_dev_run": _must_be(False, "for a run of seconds use budget=smoke"),
    "max_epochs": _optional(_max_epochs),
    "min_epochs": _optional(_count(0)),
    "max_steps": _count(1),
    "min_steps": _optional(_count(0)),
    "max_time": _optional(_max_time),
    "limit_train_batches": _optional(fraction_or_count),
    "limit_val_batches": _optional(fraction_or_count),
    "limit_test_batches": _optional(fraction_or_count),
    "limit_predict_batches": _optional(fraction_or_count),
    "overfit_batches": _share_or_none,
    "val_check_interval": _optional(fraction_or_count),
    "check_val_every_n_epoch": _optional(_count(1)),
    "num_sanity_val_steps": _optional(_count(-1)),
    "log_every_n_steps": _optional(_count(1)),
    "enable_checkpointing": _must_be(True, "the best checkpoint is tested and the last resumed"),
    "enable_progress_bar": _optional(_flag),
    "enable_model_summary": _optional(_flag),
    "deterministic": _optional(_deterministic),
    "benchmark": _optional(_flag),
    "inference_mode": _flag,
    "use_distributed_sampler": _flag,
    "profiler": _optional(lambda cfg, key: choice(cfg, key, PROFILERS)),
    "detect_anomaly": _flag,
    "barebones": _must_be(False, "it switches off the checkpoints and logs of a run's record"),
    "sync_batchnorm": _flag,
    "reload_dataloaders_every_n_epochs": _count(0),
    "enable_autolog_hparams": _flag,
    "model_registry": _optional(_name),
}


def trainer_options(cfg: DictConfig) -> None:
    """Every key of the trainer node, by the table above."""
    for key in cfg.trainer:
        if key.startswith("_") and key.endswith("_"):
            continue  # _target_ & co.: config_targets
        dotted = f"trainer.{key}"
        if key in SET_BY_SEQBENCH:
            raise ConfigError(f"{dotted} is set by seqbench itself: {SET_BY_SEQBENCH[key]}")
        if key in MANUAL_OPTIMISATION:
            expected, instead = MANUAL_OPTIMISATION[key]
            value = _value(cfg, dotted)
            if value != expected or isinstance(value, bool | float):
                raise ConfigError(
                    f"{dotted}={value!r} is not supported: seqbench's tasks step the optimiser "
                    f"themselves; {instead}"
                )
        if key in TRAINER_KEYS:
            TRAINER_KEYS[key](cfg, dotted)
    if _value(cfg, "trainer.enable_progress_bar") is False and cfg.callbacks.get("progress_bar"):
        raise ConfigError(
            "trainer.enable_progress_bar=false but callbacks.progress_bar is on; switch the "
            "bar off with callbacks.progress_bar=null"
        )


def budget(cfg: DictConfig) -> None:
    """The budget's ranges (before the trainer's: its keys interpolate the budget's)."""
    integer(cfg, "budget.max_steps", 1)
    integer(cfg, "budget.val_every", 1)
    for key in ("val_batches", "test_batches"):
        fraction_or_count(cfg, f"budget.{key}")


def validates_before_stopping(cfg: DictConfig) -> None:
    """A run that stops before its first validation would be "finished" with no best
    checkpoint and no validation score: refused, as are minimums beyond the maximum."""
    max_steps, val_every = cfg.budget.max_steps, cfg.budget.val_every
    epoch = _value(cfg, "data.steps_per_epoch")  # ${budget.val_every} unless overridden
    if epoch == val_every and val_every > max_steps:
        raise ConfigError(
            f"budget.val_every={val_every} is more than budget.max_steps={max_steps}: the run "
            "would end before its first validation, with no best checkpoint and no validation "
            f"score; set budget.val_every<={max_steps}"
        )
    interval = _value(cfg, "trainer.val_check_interval")
    if isinstance(epoch, int) and isinstance(interval, int) and interval > epoch:
        raise ConfigError(
            f"trainer.val_check_interval={interval} is more than the {epoch} steps of an "
            f"epoch (data.steps_per_epoch); validate less often with budget.val_every"
        )
    stops, first = steps_trained(cfg), first_validation(cfg)
    if stops is not None and first is not None and first[0] > stops[0]:
        raise ConfigError(
            f"the run stops after {stops[0]} steps ({stops[1]}) but first validates at step "
            f"{first[0]} ({first[1]}): it would end with no best checkpoint and no validation "
            "score; validate sooner or train longer"
        )
    for key, per in (("min_steps", 1), ("min_epochs", epoch)):
        low = _value(cfg, f"trainer.{key}")
        known = stops is not None and isinstance(low, int) and isinstance(per, int)
        if known and low * per > stops[0]:
            raise ConfigError(
                f"trainer.{key}={low} asks for more than the {stops[0]} steps the run "
                f"may take ({stops[1]}); lower trainer.{key}"
            )


def steps_trained(cfg: DictConfig) -> tuple[int, str] | None:
    """The steps after which the trainer stops, and the keys that say so."""
    steps = _value(cfg, "trainer.max_steps")
    if not isinstance(steps, int):
        return None
    epochs, epoch = _value(cfg, "trainer.max_epochs"), _value(cfg, "data.steps_per_epoch")
    if (
        isinstance(epochs, int)
        and epochs >= 1
        and isinstance(epoch, int)
        and epochs * epoch < steps
    ):
        return epochs * epoch, f"trainer.max_epochs={epochs} of {epoch} steps"
    return steps, f"trainer.max_steps={steps}"


def first_validation(cfg: DictConfig) -> tuple[int, str] | None:
    """The step of the first validation: the end of the first epoch (data.steps_per_epoch
    steps), unless trainer.val_check_interval or check_val_every_n_epoch say otherwise."""
    epoch = _value(cfg, "data.steps_per_epoch")
    if not isinstance(epoch, int):
        return None  # an epoch is a full pass over the data: only the data knows its length
    every = _value(cfg, "trainer.check_val_every_n_epoch")
    every = 1 if every is None and not has(cfg, "trainer.check_val_every_n_epoch") else every
    interval = _value(cfg, "trainer.val_check_interval")
    source = f"data.steps_per_epoch={epoch}"
    within = epoch
    if isinstance(interval, int) and not isinstance(interval, bool):
        within, source = interval, f"{source}, trainer.val_check_interval={interval}"
    elif isinstance(interval, float):
        within, source = (
            max(1, int(epoch * interval)),
            f"{source}, trainer.val_check_interval={interval}",
        )
    if not isinstance(every, int):
        return (within, source) if isinstance(interval, int) else None  # counted over epochs
    if every > 1:
        source += f", trainer.check_val_every_n_epoch={every}"
    return (every - 1) * epoch + within, source
