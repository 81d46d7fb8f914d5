"""One run's deploy.json (written by `seqbench deploy` beside metrics.json), read defensively:
a missing file is "not measured", and a damaged or partial one is "not measured" with one
line saying why, so one bad folder never stops `seqbench choose` or the report, and no
number is ever filled in that was not measured."""

import json
import math
from dataclasses import dataclass
from pathlib import Path

DEPLOY = "deploy.json"
RUNTIMES = ("eager", "onnx")
SIZES = ("parameters", "weight_bytes", "state_bytes", "state_growth_bytes", "memory_bytes")


@dataclass(frozen=True)
class Timing:
    """One streaming step's time (batch 1, one CPU thread) in one runtime, in milliseconds."""

    median: float
    p99: float


@dataclass(frozen=True)
class Cost:
    """What one trained run costs on a device. ``step_ms`` has a key per runtime measured;
    its value is None where the model could not run in that runtime (not exportable)."""

    parameters: int
    weight_bytes: int
    state_bytes: int
    state_growth_bytes: int
    memory_bytes: int
    step_ms: dict[str, Timing | None]
    state_positions: int | None = None


class Unreadable(ValueError):
    """A deploy.json that is there but cannot be used; its message is the one-line why."""


def _count(found: dict, key: str) -> int:
    value = found.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Unreadable(f"{key} is {value!r}, not a count of 0 or more")
    return value


def _timing(value: object, runtime: str) -> Timing | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Unreadable(f"step_ms.{runtime} is {value!r}, not an object or null")
    numbers = [value.get("median"), value.get("p99")]
    if not all(isinstance(v, int | float) and math.isfinite(v) and v > 0 for v in numbers):
        raise Unreadable(f"step_ms.{runtime} has median {numbers[0]!r}, p99 {numbers[1]!r}")
    return Timing(float(numbers[0]), float(numbers[1]))


def parse(found: object) -> Cost:
    """A deploy record as a Cost; :class:`Unreadable` names the first field that is wrong."""
    if not isinstance(found, dict):
        raise Unreadable("not a JSON object")
    sizes = {key: _count(found, key) for key in SIZES}
    step = found.get("step_ms")
    if not isinstance(step, dict) or not isinstance(step.get("eager"), dict):
        raise Unreadable("no step_ms.eager timing")
    timings = {r: _timing(step[r], r) for r in RUNTIMES if r in step}
    positions = found.get("state_positions")
    if isinstance(positions, bool) or not isinstance(positions, int):
        positions = None
    return Cost(**sizes, step_ms=timings, state_positions=positions)


def read_cost(run_dir: Path) -> tuple[Cost | None, str | None]:
    """(the run's cost, None) when measured; (None, None) with no deploy.json; (None, why)
    when the file is there but damaged."""
    path = Path(run_dir) / DEPLOY
    if not path.is_file():
        return None, None
    try:
        return parse(json.loads(path.read_text())), None
    except (OSError, ValueError) as error:  # Unreadable and JSONDecodeError are ValueErrors
        return None, f"{path}: {str(error).splitlines()[0] if str(error) else 'unreadable'}"
