"""The value checks of a composed config, group by group, in the config's own terms.

Each check reads only the config (and, for the synthetic tasks' sequence length, the
snapshot's small provenance.json), so a wrong type or range ends in one line naming the key,
the value and the fix before any data loads and long before a constructor deep inside Hydra's
instantiate would fail with a wrapped error.
"""

import json
import math
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from seqbench.config import memory
from seqbench.errors import ConfigError

ACTIVATIONS, INITS = ("tanh", "relu"), ("default", "identity")
SYNTHETIC_TASKS = ("adding", "copy")
ABILITY_DATA = "seqbench.data.abilities.AbilityDataModule"
RECORDINGS_DATA = "seqbench.data.recordings.RecordingsDataModule"  # variable lengths, padded
COPY_MARGIN = 20  # the copy task's sequence: 10 symbols, the delay T, then 10 recalled
MAX_SEED = 2**32 - 1  # Lightning replaces a larger seed by a random one, with only a warning


def has(cfg: DictConfig, key: str) -> bool:
    """True when ``key`` is set in the config (even to null): optional options are checked
    only where a config sets them."""
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(cfg, parent) if parent else cfg
    return isinstance(node, DictConfig) and leaf in node


def integer(
    cfg: DictConfig, key: str, low: int, allow_none: bool = False, high: int | None = None
) -> None:
    value = OmegaConf.select(cfg, key)
    if value is None and allow_none:
        return
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if not ok or (high is not None and value > high):
        expected = f"an integer >= {low}" + (f" and <= {high}" if high is not None else "")
        raise ConfigError(f"{key} must be {expected}{' or null' * allow_none}, got {value!r}")


def number(
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
    ok = ok and math.isfinite(value)  # an infinite rate, decay, bias or clip is never meant
    if ok and high is not None:
        ok = value <= high if include_high else value < high
    if not ok:
        bound = "" if high is None else f" and {'<=' if include_high else '<'} {high}"
        at_least = "a number (not inf or nan)" if low == -math.inf else f"a number >= {low}"
        raise ConfigError(f"{key} must be {at_least}{bound}, got {value!r}")


def choice(cfg: DictConfig, key: str, choices: tuple) -> None:
    value = OmegaConf.select(cfg, key)
    if value not in choices:
        raise ConfigError(f"{key}={value!r} is not valid; valid choices: {', '.join(choices)}")


def boolean(cfg: DictConfig, key: str) -> None:
    value = OmegaConf.select(cfg, key)
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")


def fraction_or_count(cfg: DictConfig, key: str) -> None:
    """Lightning's limit_*_batches: a number of batches (>= 1) or a share in (0, 1]."""
    value = OmegaConf.select(cfg, key)
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    ok = ok or (isinstance(value, float) and 0.0 < value <= 1.0)
    if not ok:
        raise ConfigError(
            f"{key} must be a number of batches >= 1 or a share in (0.0, 1.0], got {value!r}"
        )


def model_options(cfg: DictConfig) -> None:
    """Every option a model config sets, whichever model sets it (rnn, rnn_relu, irnn and the
    rest share option names), in the config's own terms before any data loads."""
    checks = {
        "hidden_size": lambda key: integer(cfg, key, 1, allow_none=True),
        "num_layers": lambda key: integer(cfg, key, 1),
        "dropout": lambda key: number(cfg, key, 0.0, 1.0),
        "activation": lambda key: choice(cfg, key, ACTIVATIONS),
        "init": lambda key: choice(cfg, key, INITS),
        "forget_bias": lambda key: number(cfg, key, -math.inf, allow_none=True),
        "num_heads": lambda key: integer(cfg, key, 1),
        "ffn_mult": lambda key: integer(cfg, key, 1),
        "max_len": lambda key: integer(cfg, key, 1),
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


def data_options(cfg: DictConfig) -> None:
    """The DataModule's arguments: batch, workers, windows and the synthetic task."""
    if not isinstance(cfg.data.get("name"), str) or not cfg.data.name:
        raise ConfigError(f"data.name must be a dataset name, got {cfg.data.get('name')!r}")
    integer(cfg, "data.batch_size", 1)
    for key, low, optional in (
        ("num_workers", 0, False),
        ("steps_per_epoch", 1, True),
        ("seed", 0, False),
        ("seq_len", 1, False),
        ("window", 1, False),
        ("stride", 1, True),
    ):
        if has(cfg, f"data.{key}"):
            integer(cfg, f"data.{key}", low, allow_none=optional)
    if has(cfg, "data.task"):
        choice(cfg, "data.task", SYNTHETIC_TASKS)
    if has(cfg, "data.vocab"):
        choice(cfg, "data.vocab", ("char", "byte"))


def optimizer_options(cfg: DictConfig) -> None:
    """AdamW's (and any Adam-like optimiser's) settings, which torch only checks on use."""
    number(cfg, "optimizer.lr", 1e-12)
    if has(cfg, "optimizer.weight_decay"):
        number(cfg, "optimizer.weight_decay", 0.0)
    if has(cfg, "optimizer.eps"):
        number(cfg, "optimizer.eps", 0.0)
        if cfg.optimizer.eps == 0:
            raise ConfigError("optimizer.eps must be > 0 (it keeps AdamW's division finite)")
    if has(cfg, "optimizer.betas"):
        betas = OmegaConf.to_object(cfg.optimizer.betas) if cfg.optimizer.betas else None
        good = isinstance(betas, list) and len(betas) == 2
        good = good and all(isinstance(b, int | float) and 0.0 <= b < 1.0 for b in betas)
        if not good:
            raise ConfigError(
                f"optimizer.betas must be two numbers in [0, 1), e.g. [0.9, 0.99], got {betas!r}"
            )
    for flag in ("amsgrad", "maximize", "foreach", "capturable", "fused"):
        if has(cfg, f"optimizer.{flag}") and OmegaConf.select(cfg, f"optimizer.{flag}") is not None:
            boolean(cfg, f"optimizer.{flag}")


def scheduler_options(cfg: DictConfig) -> None:
    if not cfg.get("scheduler"):
        return  # scheduler=none: a constant learning rate
    if has(cfg, "scheduler.T_max"):
        integer(cfg, "scheduler.T_max", 1)
    if has(cfg, "scheduler.eta_min"):
        number(cfg, "scheduler.eta_min", 0.0)


def task_options(cfg: DictConfig) -> None:
    match = OmegaConf.select(cfg, "task.match", default="params")
    if match not in memory.MATCHES:
        raise ConfigError(
            f"task.match={match!r} is not a way to match models; valid: params (equal "
            "parameters, task.param_budget) or state (equal floats carried per sequence, "
            "task.state_budget)"
        )
    if cfg.model.hidden_size is None and match == "params":
        integer(cfg, "task.param_budget", 100)
    if cfg.model.hidden_size is None and match == "state":
        integer(cfg, "task.state_budget", 1)
    integer(cfg, "task.embed_dim", 1)
    number(cfg, "task.grad_clip", 0.0, allow_none=True)
    if not isinstance(OmegaConf.select(cfg, "task.clip_gradients", default=True), bool):
        raise ConfigError(
            f"task.clip_gradients must be true or false, got {cfg.task.clip_gradients!r}"
        )
    integer(cfg, "task.tbptt_steps", 1, allow_none=True)


def callback_options(cfg: DictConfig) -> None:
    """The shipped callbacks' numbers, where a callback is switched on."""
    for key, check in (
        ("callbacks.progress_bar.min_interval_s", lambda k: number(cfg, k, 0.0)),
        ("callbacks.gradient_flow.batch_size", lambda k: integer(cfg, k, 1)),
        ("callbacks.gradient_flow.every_n_steps", lambda k: integer(cfg, k, 1, allow_none=True)),
        ("callbacks.model_checkpoint.save_top_k", lambda k: integer(cfg, k, -1)),
    ):
        if has(cfg, key):
            check(key)


def finite_numbers(cfg: DictConfig) -> None:
    """No float anywhere in the config is inf or nan (``+optimizer.momentum=nan`` included):
    no option of a model, optimiser, trainer or callback means anything by one."""

    def walk(node: object, key: str) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                walk(value, f"{key}.{name}" if key else str(name))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{key}[{index}]")
        elif isinstance(node, float) and not math.isfinite(node):
            raise ConfigError(f"{key} must be a finite number, got {node!r}")

    walk(OmegaConf.to_container(cfg, resolve=True), "")


def top_level(cfg: DictConfig) -> None:
    integer(cfg, "seed", 0, high=MAX_SEED)
    for key in ("compile", "overwrite", "keep_going", "print_config"):
        if key in cfg:
            boolean(cfg, key)
    if cfg.ckpt_path is not None and not isinstance(cfg.ckpt_path, str):
        raise ConfigError(f"ckpt_path must be 'last' or a checkpoint path, got {cfg.ckpt_path!r}")


def sequence_length(cfg: DictConfig) -> tuple[int, str] | None:
    """The time steps a model sees per example and the key that sets them; None where only
    the data knows (a synthetic snapshot not fetched yet: the data check says so)."""
    data = cfg.data
    for key in ("seq_len", "window"):
        if isinstance(data.get(key), int):
            return data[key], f"data.{key}={data[key]}"
    probe = data.get("_target_") == ABILITY_DATA  # its longest rows are its test's
    if data.get("task") in SYNTHETIC_TASKS or probe:
        try:
            provenance_file = Path(data.raw_dir) / data.name / "provenance.json"
            provenance = json.loads(provenance_file.read_text())
            length = int(provenance["length"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        steps = length + (COPY_MARGIN if data.get("task") == "copy" else 0)
        return steps, f"the {steps} steps of data.name={data.name}"
    return None


def against_sequence(cfg: DictConfig) -> None:
    """The Transformer's positions and the BPTT chunk against the sequence the data gives."""
    tbptt = cfg.task.get("tbptt_steps")
    if isinstance(tbptt, int) and cfg.data.get("_target_") == RECORDINGS_DATA:
        raise ConfigError(
            f"task.tbptt_steps={tbptt} cannot cut data.name={cfg.data.name}'s recordings of "
            "different lengths (each ends in another chunk); set task.tbptt_steps=null"
        )
    known = sequence_length(cfg)
    if known is None:
        return
    length, source = known  # source: "data.seq_len=64", "the 120 steps of data.name=copy"
    max_len = cfg.model.get("max_len")
    if isinstance(max_len, int) and max_len < length:
        raise ConfigError(
            f"model.max_len={max_len} is shorter than {source}: positions past "
            f"{max_len} have no encoding; set model.max_len>={length} or shorten the sequence"
        )
    if isinstance(tbptt, int) and tbptt > length:
        raise ConfigError(
            f"task.tbptt_steps={tbptt} is longer than {source}, so it would be "
            f"full BPTT; set task.tbptt_steps<={length} or task.tbptt_steps=null"
        )
