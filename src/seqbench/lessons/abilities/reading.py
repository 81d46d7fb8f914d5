"""The abilities lesson's verdicts and sentences, from the numbers only.

A cell is "solved" when every seed's test accuracy reaches :data:`SOLVED`, "not solved" when
none does, and "undecided" when the seeds disagree or fewer than :data:`SEEDS` seeds finished
(the report's rule: no claim from one or two seeds)."""

import statistics

from seqbench.lessons.abilities.measure import Probe
from seqbench.page.formats import number

SOLVED, SEEDS = 0.9, 3


def verdict(values: list[float]) -> str:
    if len(values) < SEEDS:
        return "undecided"
    reached = [v >= SOLVED for v in values]
    return "solved" if all(reached) else "not solved" if not any(reached) else "undecided"


def group_means(probe: Probe, model: str) -> list[float | None]:
    """Mean accuracy per group over the seeds that measured it (None: none did)."""
    columns = zip(*probe.by_group[model], strict=True)
    return [
        statistics.fmean(seen) if (seen := [v for v in column if v is not None]) else None
        for column in columns
    ]


def group_words(probe: Probe) -> str:
    return "pairs" if probe.group_by == "answers" else "length"


def reach(probe: Probe, model: str) -> str:
    """Where the mean accuracy last stays at or above SOLVED, walking the groups in order."""
    held = None
    for group, mean in zip(probe.groups, group_means(probe, model), strict=True):
        if mean is None or mean < SOLVED:
            break
        held = group
    words = group_words(probe)
    return f"below {number(SOLVED)} from the first {words}" if held is None else f"up to {held}"


def ability_reading(probes: dict[str, Probe]) -> list[str]:
    """Per probe: who solved it, who did not, who is undecided; per grouped probe, how far
    each model holds accuracy >= SOLVED along the groups."""
    lines = []
    for name, probe in probes.items():
        by_verdict: dict[str, list[str]] = {}
        for model, values in probe.accuracy.items():
            by_verdict.setdefault(verdict(values), []).append(
                f"{model} {number(statistics.fmean(values))} (n={len(values)})"
            )
        said = "; ".join(f"{v}: {', '.join(ms)}" for v, ms in sorted(by_verdict.items()))
        lines.append(f"{name} (chance {number(probe.chance)}): {said}.")
        if len(probe.groups) > 1:
            held = ", ".join(f"{m} {reach(probe, m)}" for m in probe.by_group)
            trained = (
                f"trained at {group_words(probe)} <= {probe.train_length}; "
                if probe.group_by == "length"
                else ""
            )
            lines.append(
                f"{name}, mean accuracy >= {number(SOLVED)} by {group_words(probe)} "
                f"({trained}tested at {probe.groups}): {held}."
            )
    return lines
