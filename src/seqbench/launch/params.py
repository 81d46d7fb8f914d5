"""params.yaml, the pipeline's knobs: refuse names no config or dataset knows, before the
DVC stages train anything, and list the long-memory study's datasets."""

from pathlib import Path

import yaml

from seqbench.config import group_options
from seqbench.config.memory import MATCHES
from seqbench.data import registry
from seqbench.errors import ConfigError

MEMORY_TASKS = ("adding", "copy")


def load(path: Path) -> dict:
    """The file as a mapping; unreadable, malformed or non-mapping YAML is one line."""
    if not path.is_file():
        raise ConfigError(f"{path} does not exist or is not a file; run from the project root")
    try:
        params = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} cannot be read ({error})") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        raise ConfigError(f"{path} is not valid YAML{at}: {problem}") from None
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ConfigError(f"{path} must be a mapping of sections, got {type(params).__name__}")
    return params


def _section(params: dict, key: str, required: bool) -> dict:
    section = params.get(key)
    if section is None and not required:
        return {}
    if not isinstance(section, dict):
        raise ConfigError(f"{key} must be a mapping (models, datasets, seeds...), got {section!r}")
    return section


def _nonempty(section: dict, where: str, key: str) -> None:
    """A list a DVC matrix iterates over: empty would train nothing, silently."""
    values = section.get(key)
    if not isinstance(values, list) or not values:
        raise ConfigError(f"{where}.{key} must be a non-empty list, got {values!r}")


def _names(section: dict, where: str, key: str, valid: list[str]) -> None:
    names = section.get(key)
    for name in names if isinstance(names, list) else [names]:
        if name not in valid:
            raise ConfigError(
                f"{where}.{key}: unknown {name!r}; valid: {', '.join(map(str, valid))}"
            )


def _integers(section: dict, where: str, key: str, low: int, empty_ok: bool = False) -> None:
    values = section.get(key)
    good = isinstance(values, list) and (values or empty_ok)
    if not good or not all(isinstance(v, int) and not isinstance(v, bool) and v >= low
                           for v in values):  # fmt: skip
        raise ConfigError(f"{where}.{key} must be a list of integers >= {low}, got {values!r}")


def _seeds(compare: dict) -> None:
    """Two seeds trained side by side (dvc.yaml names both), more one after another."""
    _integers(compare, "compare", "seeds", 0)
    if "more_seeds" in compare:
        _integers(compare, "compare", "more_seeds", 0, empty_ok=True)
    seeds, more = compare["seeds"], compare.get("more_seeds") or []
    if len(seeds) != 2 or seeds[0] == seeds[1]:
        raise ConfigError(
            f"compare.seeds must be two different seeds (every cell trains them side by side), "
            f"got {seeds!r}; give further seeds in compare.more_seeds, e.g. [2]"
        )
    if len(set(seeds) | set(more)) < len(seeds) + len(more):
        raise ConfigError(f"compare.more_seeds repeats a seed: {more!r} after {seeds!r}")


def check(params: dict) -> None:
    """Every section's names and numbers: compare, activations, memory, the studies (abilities,
    forecast, anomaly, text_classify), tune."""
    models, budgets = group_options("model"), group_options("budget")
    compare = _section(params, "compare", required=True)
    for key in ("models", "datasets"):
        _nonempty(compare, "compare", key)
    _names(compare, "compare", "models", models)
    _names(compare, "compare", "budget", budgets)
    _names(compare, "compare", "match", list(MATCHES))
    if not isinstance(compare.get("state_budget"), int) or compare["state_budget"] < 1:
        raise ConfigError(
            f"compare.state_budget must be an integer >= 1 (floats per sequence), "
            f"got {compare.get('state_budget')!r}"
        )
    registry.check_names([str(n) for n in compare.get("datasets") or []])  # lists the known ones
    _seeds(compare)
    if activations := _section(params, "activations", required=False):
        for key in ("models", "datasets"):
            _nonempty(activations, "activations", key)
        _names(activations, "activations", "models", models)
        registry.check_names([str(n) for n in activations.get("datasets") or []])
        _integers(activations, "activations", "seeds", 0)
    memory_datasets(params)
    for study in STUDIES:
        study_names(params, *study)
    tune_cells(params)


def memory_datasets(params: dict) -> list[str]:
    """The long-memory study's datasets: every task at every length (empty: study off)."""
    memory = _section(params, "memory", required=False)
    if not memory:
        return []
    for key in ("models", "tasks"):
        _nonempty(memory, "memory", key)
    _names(memory, "memory", "models", group_options("model"))
    _names(memory, "memory", "budget", group_options("budget"))
    _names(memory, "memory", "tasks", list(MEMORY_TASKS))
    for key in ("seeds", "long_seeds"):
        _integers(memory, "memory", key, 0)
    for key in ("lengths", "long_lengths"):
        _integers(memory, "memory", key, 2, empty_ok=True)
    lengths = sorted(set(memory["lengths"]) | set(memory["long_lengths"]))
    names = [registry.memory_name(task, length) for task in memory["tasks"] for length in lengths]
    registry.check_names(names)  # the length limits
    return names


# the studies over data of one kind: (section, key naming the data, kind, what that data is)
STUDIES = (
    ("abilities", "probes", "ability", "an ability probe"),
    ("forecast", "datasets", "forecast", "a series to forecast"),
    ("anomaly", "datasets", "anomaly", "labelled anomaly data"),
    ("text_classify", "datasets", "text_classify", "text classification"),
)


def study_names(params: dict, name: str, key: str, kind: str, what: str) -> list[str]:
    """A study's data (empty: the study is off), each a data config of the study's kind."""
    section = _section(params, name, required=False)
    if not section or not section.get(key):
        return []
    _nonempty(section, name, "models")
    _names(section, name, "models", group_options("model"))
    _names(section, name, "budget", group_options("budget"))
    _integers(section, name, "seeds", 0)
    names = [str(n) for n in section[key]]
    for spec in registry.get_many(names):
        if spec.kind != kind:
            ours = ", ".join(s.name for s in registry.all_specs() if s.kind == kind)
            raise ConfigError(
                f"{name}.{key}: {spec.name!r} is {spec.kind} data, not {what}; "
                f"use {ours} or a {kind} data config of yours"
            )
    return names


TUNE_FLAGS = ("lr", "weight-decay", "seeds", "tune-seed")


def _numbers(flags: dict, key: str, positive: bool) -> None:
    """A grid axis: a non-empty list of numbers (YAML reads 1e-4 as a string: write 0.0001)."""
    values = flags.get(key)
    good = (
        isinstance(values, list)
        and values
        and all(
            isinstance(v, int | float)
            and not isinstance(v, bool)
            and (v > 0 if positive else v >= 0)
            for v in values
        )
    )
    if not good:
        bound = "> 0" if positive else ">= 0"
        raise ConfigError(
            f"tune.flags.{key} must be a non-empty list of numbers {bound} (write 1e-4 as "
            f"0.0001: YAML reads 1e-4 as text), got {values!r}"
        )


def tune_cells(params: dict) -> list[tuple[str, str]]:
    """The tune stage's (dataset, model) cells (none: off) and its grid, checked in full
    whenever the section is there, so a typo shows before anyone switches it on."""
    section = _section(params, "tune", required=False)
    if not section:
        return []
    datasets = section.get("datasets")
    if not isinstance(datasets, list):
        raise ConfigError(f"tune.datasets must be a list (empty: off), got {datasets!r}")
    registry.check_names([str(name) for name in datasets])
    _nonempty(section, "tune", "models")
    _names(section, "tune", "models", group_options("model"))
    _names(section, "tune", "budget", group_options("budget"))
    flags = section.get("flags")
    if not isinstance(flags, dict) or sorted(flags) != sorted(TUNE_FLAGS):
        raise ConfigError(f"tune.flags must hold exactly {', '.join(TUNE_FLAGS)}, got {flags!r}")
    _numbers(flags, "lr", positive=True)
    _numbers(flags, "weight-decay", positive=False)
    _integers(flags, "tune.flags", "seeds", 0)
    if len(set(flags["seeds"])) < len(flags["seeds"]):
        raise ConfigError(f"tune.flags.seeds repeats a seed: {flags['seeds']!r}")
    seed = flags["tune-seed"]
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"tune.flags.tune-seed must be an integer >= 0, got {seed!r}")
    return [(str(d), str(m)) for d in datasets for m in section["models"]]
