"""An Optuna search's settings and search space, checked before the study opens.

The Optuna sweeper reads ``hydra.sweeper.params`` and the command line's sweep overrides into
Optuna distributions as the search starts: a reversed interval, an empty range or zero trials
end there in a traceback, and a choice or bound no run can take fails every trial that draws
it. The space is read here as the sweeper reads it (fixed command-line values take a key out
of the space), and turned into the jobs to check: every choice and both ends of every interval
(Optuna 2's bounds are inclusive), one key at a time with the others at their first value.
"""

import math

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import IntervalSweep, Override, RangeSweep
from omegaconf import DictConfig

from seqbench.errors import ConfigError

DIRECTIONS = ("minimize", "maximize")


def check_settings(sweeper: DictConfig) -> None:
    """The sweeper's own numbers, which it asserts or trips over only once it runs."""
    for key in ("n_trials", "n_jobs"):
        value = sweeper.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"hydra.sweeper.{key} must be an integer >= 1, got {value!r}")
    rate = sweeper.get("max_failure_rate")
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0.0 <= rate <= 1.0:
        raise ConfigError(f"hydra.sweeper.max_failure_rate must be in [0.0, 1.0], got {rate!r}")
    direction = sweeper.get("direction")
    directions = [direction] if isinstance(direction, str) else list(direction or [])
    if not directions or any(str(d) not in DIRECTIONS for d in directions):
        raise ConfigError(
            f"hydra.sweeper.direction must be minimize or maximize, got {direction!r}"
        )


def _number(value: float) -> str:
    return str(int(value)) if isinstance(value, int) else repr(float(value))


def candidates(override: Override) -> list[str]:
    """The values Optuna may draw for one swept key, as override values: the choices, or the
    ends of a range or interval (refused when empty or reversed)."""
    line, value = override.input_line, override.value()
    if override.is_choice_sweep() or (isinstance(value, RangeSweep) and value.shuffle):
        return list(override.sweep_string_iterator())
    if isinstance(value, RangeSweep):
        start, stop, step = value.start, value.stop, value.step
        if step is None or step <= 0 or start is None or stop is None or start > stop:
            raise ConfigError(f"{line}: an empty range; write range(low,high) with low <= high")
        last = start + math.floor((stop - start) / step) * step
        return [_number(start), _number(last)]
    if isinstance(value, IntervalSweep):
        low, high = value.start, value.end
        if not low < high:
            raise ConfigError(
                f"{line}: the low end must be below the high end, got {low} >= {high}"
            )
        if "log" in value.tags and low <= 0:
            raise ConfigError(f"{line}: a log interval needs a low end > 0, got {low}")
        both_int = isinstance(low, int) and isinstance(high, int)
        return [
            _number(low if both_int else float(low)),
            _number(high if both_int else float(high)),
        ]
    raise ConfigError(f"{line}: an Optuna search takes choice(), range() and interval()")


def jobs(
    sweeper: DictConfig, parser: OverridesParser, task_overrides: list[str]
) -> list[list[str]]:
    """The jobs that stand for the search's space: every candidate of every searched key."""
    params = [f"{k}={v}" for k, v in (sweeper.get("params") or {}).items()]
    space: dict[str, list[str]] = {}
    fixed: dict[str, str] = {}
    for override in parser.parse_overrides([*params, *task_overrides]):
        key = override.get_key_element()
        if override.is_sweep_override():
            space[key] = candidates(override)
        else:
            fixed[key] = override.input_line or f"{key}={override.get_value_element_as_str()}"
    for key in fixed:
        space.pop(key, None)  # a value fixed on the command line is not searched
    first = {key: f"{key}={values[0]}" for key, values in space.items()}
    every = [[*fixed.values(), *first.values()]]
    for key, values in space.items():
        for value in values[1:]:
            every.append([*fixed.values(), *(first | {key: f"{key}={value}"}).values()])
    return every
