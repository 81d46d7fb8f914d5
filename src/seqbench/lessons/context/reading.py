"""The context lesson's sentences, each from the numbers: where each model's loss stops
falling with position, how far back it looks (its effective context per seed), whether it
uses far text without its order, and which model looks farthest back, named only when every
model has two seeds or more and the leader's lowest seed exceeds every other's highest."""

import statistics

from seqbench.lessons.context.aggregate import (
    ModelContext,
    bucket_losses,
    models,
    setting,
    settles_at,
)
from seqbench.lessons.context.aggregate import threshold as threshold_of
from seqbench.page.formats import names, number, seconds

UNDECIDED = "undecided"


def expected(result: dict) -> str:
    """What is measured and how, with the settings the file records."""
    within = threshold_of(result)
    return (
        "How far back does each model look? On a fixed, seeded set of "
        f"{setting(result, 'windows')} test windows, every model reads each window from a "
        "zero state: its loss at position t is its loss with t characters of context. Then, "
        "after Khandelwal et al. (2018), the context of each window's last character farther "
        "than d characters back is replaced by unrelated test text, or shuffled (the same "
        "characters, their order destroyed), and the loss increase is measured against d. A "
        "model's effective context is the smallest measured d from which on every increase "
        f"stays below {within:.0%} of its loss: text farther back than that barely changes "
        "its prediction."
    )


def _distance(value: int, window: int) -> str:
    return f"{value} (the whole window)" if value >= window else str(value)


def span(values: list[int], window: int) -> str:
    """ "8" or "8-16 over seeds", the whole window said as such."""
    low, high = min(values), max(values)
    if low == high:
        return _distance(low, window)
    return f"{low}-{_distance(high, window)} over seeds"


def farthest(found: list[ModelContext], mode: str = "replace") -> str:
    """Which model looks farthest back, or why that is undecided."""
    if len(found) < 2:
        return ""
    ranked = sorted(found, key=lambda m: statistics.fmean(m.effective[mode]), reverse=True)
    leader, others = ranked[0], ranked[1:]
    single = [m.model for m in found if len(m.seeds) < 2]
    if single:
        verb = "has" if len(single) == 1 else "have"
        return (
            f"Which model looks farthest back is {UNDECIDED}: {names(single)} {verb} a single "
            "seed, so there is no spread to judge a difference by."
        )
    lowest = min(leader.effective[mode])
    overlapping = [m.model for m in others if max(m.effective[mode]) >= lowest]
    if overlapping:
        return (
            f"Which model looks farthest back is {UNDECIDED}: the effective context of "
            f"{leader.model} ({span(leader.effective[mode], leader.window)}) does not exceed "
            f"that of {names(overlapping)} at every seed."
        )
    return (
        f"{leader.model} looks farthest back of these checkpoints: its effective context "
        f"({span(leader.effective[mode], leader.window)}) exceeds every other model's at every "
        f"seed ({len(leader.seeds)} seeds or more each)."
    )


def positions(found: list[ModelContext], within: float) -> str:
    parts = []
    for m in found:
        spans = bucket_losses(m.positions.mean)
        first, last = spans[0], spans[-1]
        parts.append(
            f"{m.model} from {number(first[2])} at position 0 to {number(last[2])} at "
            f"{last[0]}-{last[1]}, within {within:.0%} of that from position "
            f"{settles_at(m.positions.mean, within)}"
        )
    return "Loss by position (nats per character, mean over seeds): " + "; ".join(parts) + "."


def effective(found: list[ModelContext], mode: str) -> str:
    what = {"replace": "far text replaced", "shuffle": "far text shuffled"}[mode]
    parts = [f"{m.model} {span(m.effective[mode], m.window)}" for m in found]
    return f"Effective context, {what} (characters): " + "; ".join(parts) + "."


def order(found: list[ModelContext]) -> str:
    """Models that use far characters but not their order: every seed's shuffle context is
    shorter than every seed's replace context ("fuzzy far away")."""
    fuzzy = [
        f"{m.model} (order within {span(m.effective['shuffle'], m.window)}, characters "
        f"within {span(m.effective['replace'], m.window)})"
        for m in found
        if max(m.effective["shuffle"]) < min(m.effective["replace"])
    ]
    if not fuzzy:
        return (
            "No model uses far characters without their order: at every seed, shuffling "
            "the far text matters as far back as replacing it does, or farther."
        )
    return (
        "Using which characters came far back but not their order (shuffling costs less far "
        f"back than replacing, at every seed): {'; '.join(fuzzy)}."
    )


def context_reading(result: dict) -> list[str]:
    """The lesson's sentences from the numbers ``seqbench context`` wrote."""
    found = models(result)
    if not found:
        return []
    within = threshold_of(result)
    took = result.get("seconds")
    lines = [
        expected(result),
        positions(found, within),
        effective(found, "replace"),
        effective(found, "shuffle"),
        order(found),
        farthest(found),
        "These are the checkpoints as trained; a model whose training curve was still falling "
        "may come to use more context, so this says how far back each looks now, not how far "
        "it could.",
    ]
    if isinstance(took, int | float):
        lines.append(
            f"Measured in {seconds(took)} on {setting(result, 'threads')} CPU thread "
            f"({sum(len(m.seeds) for m in found)} checkpoints)."
        )
    return [line for line in lines if line]
