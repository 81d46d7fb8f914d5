"""Keys a user adds with ``+key=value``: Hydra accepts any, so a misspelt one is either
silently ignored or fails deep inside a constructor.

A key is *known* when a shipped config group defines it (Hydra refuses ``+key`` for those:
"already at"), so every ``+key`` on the command line (Hydra's ``hydra.overrides.task``) is new
and is judged by who would read it:

- under an instantiated node (one with ``_target_``: model, data, task, optimizer, trainer...)
  it becomes a constructor argument: accepted when the constructor takes it (``+optimizer.
  amsgrad=true``), otherwise refused with the closest option, since the constructor would fail;
- anywhere else nothing reads it: one ``warning:`` line names it and the closest known key,
  and the run goes on.

``++key=value`` (force) is taken as meant and not judged. Values are never echoed: an added key
may hold a secret.
"""

import difflib
import inspect
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from seqbench import ranks
from seqbench.config.paths import CONF_DIR
from seqbench.errors import ConfigError
from seqbench.safety.redaction import SECRET

HYDRA_KEYS = ("_target_", "_partial_", "_convert_", "_recursive_", "_args_")
# read by seqbench itself, not passed to the constructor: a data config's dataset declaration
# (source, split rule, summary, default) is for `seqbench fetch` (seqbench.data.registry)
DROPPED = {"model": ("name",), "data": ("source", "split", "summary", "default")}


def command_line() -> list[str]:
    """The overrides the user gave this job; none outside a Hydra app (the Compose API)."""
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def added_keys(overrides: list[str], conf_dir: Path = CONF_DIR) -> list[str]:
    """The dotted keys added with ``+key=value`` (not group choices such as +experiment=x)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    keys = []
    for override in OverridesParser.create().parse_overrides(overrides):
        key = override.key_or_group
        if not override.is_add() or override.package is not None or "/" in key:
            continue
        if key.split(".")[0] == "hydra" or (conf_dir / key).is_dir():
            continue
        keys.append(key)
    return keys


def options_of(target: str) -> set[str] | None:
    """The keyword arguments ``target`` takes, following ``**kwargs`` up its classes (and into
    a backbone's ``fused`` module); None when it takes any (the key cannot be judged)."""
    from hydra.utils import get_object

    try:
        found = get_object(target)
    except Exception:  # Hydra itself reports a target it cannot import
        return None
    if not inspect.isclass(found):
        chain = [found]
    else:
        classes = [*found.__mro__, *getattr(found, "fused", object).__mro__]
        chain = [c.__init__ for c in classes if "__init__" in vars(c) and c is not object]
    names: set[str] = set()
    for function in chain:
        try:
            parameters = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            return None
        named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        names |= {p.name for p in parameters if p.kind in named} - {"self"}
        if all(p.kind != inspect.Parameter.VAR_KEYWORD for p in parameters):
            return names
    return None


def owner(cfg: DictConfig, key: str) -> tuple[str, str] | None:
    """The nearest instantiated node above ``key`` and the option of it the key sets."""
    parts = key.split(".")
    for depth in range(len(parts) - 1, 0, -1):
        path = ".".join(parts[:depth])
        node = OmegaConf.select(cfg, path)
        if isinstance(node, DictConfig) and "_target_" in node:
            return path, parts[depth]
    return None


def known_keys(cfg: DictConfig, added: set[str]) -> list[str]:
    """Every dotted key of the composed config, except those the user added."""
    found = []

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                key = f"{prefix}{name}"
                if key not in added:
                    found.append(key)
                    walk(value, f"{key}.")

    walk(OmegaConf.to_container(cfg, resolve=False), "")
    return found


def closest(word: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.5)
    return match[0] if match else "none is close"


def refuse_wandb_key(cfg: DictConfig) -> None:
    """A W&B API key in the config (``+logger.wandb.api_key=...``): W&B takes its key from
    the environment only, and a config is saved with the run, so it is refused."""
    for key in known_keys(cfg, set()):
        last = key.rsplit(".", 1)[-1]
        if "wandb" in key.lower() and (SECRET.search(last) or last.lower() == "key"):
            raise ConfigError(
                f"{key}: a W&B key is never a config value (the config is saved with the "
                "run); drop it and set WANDB_API_KEY in the environment, or run `wandb login`"
            )


def check_added(cfg: DictConfig, overrides: list[str] | None = None) -> None:
    """Refuse an added constructor argument the constructor does not take; warn about an
    added key nothing reads."""
    added = added_keys(command_line() if overrides is None else overrides)
    for key in added:
        found = owner(cfg, key)
        if found is not None:
            path, option = found
            target = str(OmegaConf.select(cfg, f"{path}._target_"))
            options = options_of(target)
            if options is None or option in options or option in DROPPED.get(path, ()):
                continue
            node_keys = set(OmegaConf.select(cfg, path).keys()) | options
            valid = sorted(node_keys - {option, *HYDRA_KEYS, *DROPPED.get(path, ())})
            raise ConfigError(
                f"+{key}: {target} takes no option {option!r} (closest: "
                f"{path}.{closest(option, valid)}); drop it or fix its name"
            )
        if not ranks.is_rank_zero():
            continue  # DDP's other ranks: rank 0 has said it
        print(
            f"warning: +{key} is read by nothing in seqbench (closest known key: "
            f"{closest(key, known_keys(cfg, set(added)))}); the run goes on without it",
            file=sys.stderr,
        )
