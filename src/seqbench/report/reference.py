"""Reference results: the report's rankings as JSON (comparison.json, written beside the HTML),
and a stored copy from a full-budget run (reports/reference/full.json) that a later report
compares its own ranking with, saying plainly when there is none.

A reference is made by running the comparison at ``budget=full`` with 3 seeds (README,
"Reference results"), then ``cp reports/comparison.json reports/reference/full.json``."""

import json
from itertools import combinations
from pathlib import Path

from seqbench.page.formats import names
from seqbench.report.convergence import cost_per_1k, time_order
from seqbench.report.judgement import judge
from seqbench.report.results import DatasetResult, most_common

JSON_NAME = "comparison.json"
REFERENCE = Path("reference") / "full.json"  # below the report's output folder


def _runs_fact(result: DatasetResult, key: str) -> object:
    return most_common([run.metrics.get(key) for run in result.runs if run.ok])


def summary(results: list[DatasetResult], generated: str) -> dict:
    """Per dataset: the budget it ran at, where, the orders on both axes and per-model numbers."""
    datasets = {}
    for result in results:
        named = judge(result).named
        seconds, timed = time_order(result)
        datasets[result.data] = {
            "metric": result.metric,
            "mode": result.mode,
            "steps": _runs_fact(result, "steps"),
            "seeds": min((m.n for m in result.ranked), default=0),
            "device": _runs_fact(result, "device_name"),
            "threads": _runs_fact(result, "threads"),
            "order_steps": [m.model for m in result.ranked],
            "order_time": [name for name, _ in timed],
            "equal_time_s": seconds,
            "winner": named.model if named else None,
            "models": {
                m.model: {"mean": m.mean, "std": m.std, "seeds": m.n, "s_per_1k": cost_per_1k(m)}
                for m in result.models
            },
        }
    return {"generated": generated, "datasets": datasets}


def load(path: Path) -> tuple[dict | None, str]:
    """The stored reference, or None and why there is none (absent or unreadable)."""
    if not path.is_file():
        return None, f"{path} is absent"
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        return None, f"{path} is unreadable ({error})"
    if not isinstance(loaded, dict) or not isinstance(loaded.get("datasets"), dict):
        return None, f"{path} is not a seqbench comparison.json"
    return loaded, ""


def note(path: Path, reference: dict | None, why: str) -> str:
    """One paragraph for the page: which reference the rankings are held against, or none."""
    if reference is None:
        return (
            f"No reference results at the full budget: {why}, so whether these rankings hold "
            "with more training and seeds is not known from this report. The README "
            "(Reference results) gives the command that produces them; it is still to be run."
        )
    return f"Reference results at the full budget: {path} (generated {reference.get('generated')})."


def compare(result: DatasetResult, reference: dict | None) -> str:
    """How this dataset's order at equal steps compares with the reference's."""
    if reference is None:
        return ""
    stored = reference["datasets"].get(result.data)
    if not isinstance(stored, dict) or not stored.get("order_steps"):
        return f"The reference has no result for {result.data}."
    if stored.get("metric") != result.metric:
        return f"The reference ranks {result.data} by {stored.get('metric')}: not comparable."
    there = [m for m in stored["order_steps"] if m in {r.model for r in result.ranked}]
    here = [m.model for m in result.ranked if m.model in there]
    seeds = stored.get("seeds")
    where = (
        f"{stored.get('steps')} steps, {seeds} seed{'' if seeds == 1 else 's'}, "
        f"{stored.get('device') or 'device not recorded'}"
    )
    swapped = [f"{a}/{b}" for a, b in combinations(here, 2) if there.index(a) > there.index(b)]
    if not swapped:
        return f"The reference ({where}) has the same order: {' > '.join(there)}."
    lead = f"the leader differs ({here[0]} here, {there[0]} there)" if here[0] != there[0] else ""
    return (
        f"The reference ({where}) orders {' > '.join(there)}: "
        + ("; ".join(filter(None, [lead, f"{names(swapped)} swap"])))
        + f" ({len(swapped)} of {len(here) * (len(here) - 1) // 2} pairs)."
    )
