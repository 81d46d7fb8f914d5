"""The context lesson's numbers per model over its seeds, from the JSON ``seqbench context``
writes: no torch, so the report reads them without loading a model. A run whose numbers are
missing or malformed is left out rather than trusted (the file is read back, not produced)."""

import math
import statistics
from dataclasses import dataclass
from itertools import pairwise

WINDOWS = 256  # seeded test windows: 13 forward passes of each, ~2 s a run on one thread
MODES = ("replace", "shuffle")  # replace: any use of far text; shuffle: use of its order
THRESHOLD = 0.01  # a relative loss increase below 1 % counts as context the model does not use


@dataclass(frozen=True)
class Band:
    """A curve over seeds: the mean and the lowest and highest seed at each point."""

    mean: list[float]
    low: list[float]
    high: list[float]


@dataclass(frozen=True)
class ModelContext:
    """One model's measurements: per seed the effective context under each perturbation,
    and the loss-by-position and relative-increase curves over its seeds."""

    model: str
    seeds: list[str]
    window: int
    distances: list[int]
    effective: dict[str, list[int]]
    relative: dict[str, Band]  # loss increase / the clean last-position loss, per distance
    positions: Band  # loss by position, nats per character
    last_loss: list[float]


def _numbers(values: object, size: int) -> list[float] | None:
    if not isinstance(values, list) or len(values) != size:
        return None
    ok = all(isinstance(v, int | float) and math.isfinite(v) for v in values)
    return [float(v) for v in values] if ok else None


def _band(curves: list[list[float]]) -> Band:
    columns = list(zip(*curves, strict=True))
    return Band(
        [statistics.fmean(c) for c in columns], [min(c) for c in columns], [max(c) for c in columns]
    )


def _run(run: object, distances: list[int]) -> tuple | None:
    """(effective per mode, relative increase per mode, positions, last loss) or None."""
    if not isinstance(run, dict):
        return None
    window = run.get("window")
    positions = _numbers(run.get("loss_by_position"), window if isinstance(window, int) else -1)
    last = run.get("last_loss")
    if positions is None or not isinstance(last, int | float) or not last > 0:
        return None
    effective, relative = {}, {}
    for mode in MODES:
        value = (run.get("effective_context") or {}).get(mode)
        rises = _numbers((run.get("increase") or {}).get(mode), len(distances))
        if not isinstance(value, int) or rises is None:
            return None
        effective[mode], relative[mode] = value, [r / last for r in rises]
    return effective, relative, positions, float(last)


def models(result: dict | None) -> list[ModelContext]:
    """Every model with at least one well-formed run, in the file's order."""
    if not isinstance(result, dict) or not isinstance(result.get("models"), dict):
        return []
    found = []
    for model, entry in result["models"].items():
        seeds = (entry or {}).get("seeds") if isinstance(entry, dict) else None
        if not isinstance(seeds, dict):
            continue
        windows = {run.get("window") for run in seeds.values() if isinstance(run, dict)}
        if len(windows) != 1 or not isinstance(window := windows.pop(), int):
            continue  # seeds trained on different windows are not one curve
        distances = (result.get("distances") or {}).get(str(window))
        if not isinstance(distances, list) or not all(isinstance(d, int) for d in distances):
            continue
        runs = {seed: _run(run, distances) for seed, run in seeds.items()}
        runs = {seed: run for seed, run in runs.items() if run is not None}
        if not runs:
            continue
        parts = list(zip(*runs.values(), strict=True))
        found.append(
            ModelContext(
                model=str(model),
                seeds=list(runs),
                window=window,
                distances=distances,
                effective={mode: [e[mode] for e in parts[0]] for mode in MODES},
                relative={mode: _band([r[mode] for r in parts[1]]) for mode in MODES},
                positions=_band(list(parts[2])),
                last_loss=list(parts[3]),
            )
        )
    return found


def threshold(result: dict) -> float:
    value = result.get("threshold") if isinstance(result, dict) else None
    return float(value) if isinstance(value, int | float) and value > 0 else THRESHOLD


def bucket_losses(losses: list[float]) -> list[tuple[int, int, float]]:
    """Mean loss over position buckets that double in width: (first, last, mean)."""
    edges, size = [0, 1], len(losses)
    while edges[-1] < size:
        edges.append(edges[-1] * 2)
    spans = [(a, min(b, size) - 1) for a, b in pairwise(edges) if a < size]
    return [(a, b, statistics.fmean(losses[a : b + 1])) for a, b in spans]


def settles_at(losses: list[float], within: float) -> int:
    """The first position of the bucket from which on every bucket's mean loss is within
    ``within`` (relative) of the last bucket's: where more context stops paying."""
    spans = bucket_losses(losses)
    final = spans[-1][2]
    settled = spans[-1][0]
    for first, _, mean in reversed(spans):
        if abs(mean - final) > within * final:
            break
        settled = first
    return settled


def setting(result: dict, key: str) -> str:
    """A whole-number setting the file records (windows, threads), or "?" for anything else."""
    value = result.get(key) if isinstance(result, dict) else None
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "?"
