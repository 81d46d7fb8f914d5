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


FALLS_BY = 0.1  # "falls off": the largest group's mean at least this far below the smallest's


def _enough(probe: Probe, models: list[str]) -> bool:
    return all(len(probe.accuracy[m]) >= SEEDS for m in models)


def _share(some: list[str], of: list[str]) -> str:
    """ "1 of 2 (gru)": how many of a group did something, and which."""
    return f"{len(some)} of {len(of)}" + (f" ({', '.join(some)})" if some else "")


def _mqar_claim(probe: Probe) -> str | None:
    """Zoology: attention solves MQAR at every pair count; fixed-state models fall off."""
    models = list(probe.by_group)
    attention = [m for m in models if probe.state_grows.get(m)]
    fixed = [m for m in models if not probe.state_grows.get(m)]
    if not attention or not fixed:
        return None
    claim = (
        "Zoology (Arora et al. 2023) finds attention solving MQAR at every pair count while "
        "fixed-state models fall off as the pairs grow"
    )
    if not _enough(probe, models):
        return f"{claim}; undecided here (fewer than {SEEDS} seeds)."
    held = [m for m in attention if all((v or 0) >= SOLVED for v in group_means(probe, m))]
    fell = []
    for m in fixed:
        means = [v for v in group_means(probe, m) if v is not None]
        if means and means[-1] <= means[0] - FALLS_BY:
            fell.append(m)
    agrees = len(held) == len(attention) and len(fell) == len(fixed)
    said = (
        f"{_share(held, attention)} attention models at >= {number(SOLVED)} at every pair "
        f"count, {_share(fell, fixed)} fixed-state models falling by >= {number(FALLS_BY)} "
        f"from {probe.groups[0]} to {probe.groups[-1]} pairs"
    )
    return f"{claim}; here {said}: {'agrees' if agrees else 'disagrees'}."


SELECTIVE = ("mamba", "mingru", "minlstm")  # decay chosen by the input at every step
TIME_INVARIANT = ("lru",)  # one fixed (diagonal) transition for every input


def _selective_claim(probe: Probe) -> str | None:
    """The Mamba paper: recurrences whose transition depends on the input (selective) solve
    selective copying; a linear time-invariant one cannot select and does not."""
    selective = [m for m in SELECTIVE if m in probe.accuracy]
    invariant = [m for m in TIME_INVARIANT if m in probe.accuracy]
    if not selective or not invariant:
        return None
    claim = (
        "Gu & Dao (2023) find selective (input-dependent) recurrences solving selective "
        "copying and time-invariant ones not"
    )
    if not _enough(probe, selective + invariant):
        return f"{claim}; undecided here (fewer than {SEEDS} seeds)."
    said = {m: verdict(probe.accuracy[m]) for m in selective + invariant}
    agrees = all(said[m] == "solved" for m in selective) and all(
        said[m] == "not solved" for m in invariant
    )
    here = ", ".join(
        f"{m}{' (time-invariant)' if m in invariant else ''} {v}" for m, v in said.items()
    )
    return f"{claim}; here {here}: {'agrees' if agrees else 'disagrees'}."


def paper_claims(probes: dict[str, Probe]) -> list[str]:
    """The published findings the probes test, each checked against every seed here; where
    the numbers disagree the sentence says so (the setup is not bent to agree)."""
    found = [
        _mqar_claim(probes["mqar"]) if "mqar" in probes else None,
        _selective_claim(probes["selective_copy"]) if "selective_copy" in probes else None,
    ]
    return [line for line in found if line]
