"""The report's readings, each computed from the numbers so it cannot drift from the tables:
who leads at equal steps and at equal time and by how much, against the trivial baseline,
whether the curves had flattened and the gap exceeds the seed spread (so a winner may be
named, see judgement)."""

from itertools import pairwise

from seqbench.page.formats import count, names, number, seconds
from seqbench.report.convergence import time_order
from seqbench.report.formatting import mean_std
from seqbench.report.judgement import Judgement, judge
from seqbench.report.results import DatasetResult, ModelResult


def better(a: float, b: float, mode: str) -> bool:
    """Whether a beats b under the metric's direction ("min": lower is better)."""
    return a < b if mode == "min" else a > b


def leader(result: DatasetResult) -> ModelResult | None:
    """The best mean at equal steps among models with a good run (None when nothing finished);
    a leader, not a winner: :func:`judge` says whether it may be named one."""
    return result.ranked[0] if result.ranked else None


def best_marked(result: DatasetResult) -> ModelResult | None:
    """The model the tables mark as best: only a winner the judgement may name."""
    return judge(result).named


def _baseline(result: DatasetResult, ranked: list[ModelResult]) -> str:
    base = result.baseline
    losers = [m for m in ranked if not better(m.mean, base, result.mode)]
    best = ranked[0]
    if best in losers:
        return f"No model beats the trivial baseline ({number(base)})."
    sentence = (
        f"The trivial baseline scores {number(base)}; {best.model} beats it by "
        f"{number(abs(best.mean - base))}."
    )
    if losers:
        verb = "does" if len(losers) == 1 else "do"
        sentence += f" {names([m.model for m in losers])} {verb} not beat it."
    return sentence


def _failures(result: DatasetResult) -> str:
    failed = [run for run in result.runs if not run.ok]
    if not failed:
        return ""
    first = failed[0]
    reason = first.reason if len(first.reason) <= 140 else first.reason[:137] + "..."
    more = f" and {len(failed) - 1} more" if len(failed) > 1 else ""
    return (
        f"{len(failed)} of {len(result.runs)} runs did not finish and are left out of the "
        f"averages ({first.model} seed {first.seed}: {reason}{more})."
    )


def _lead(result: DatasetResult, verdict: Judgement) -> str:
    best, second = verdict.leader, verdict.runner_up
    words = result.label()
    gap = abs(best.mean - second.mean)
    if gap == 0:
        tie = f"{best.model} and {second.model} tie on {result.data}"
        return f"{tie} ({words} {number(best.mean)})."
    relative = f" ({gap / abs(second.mean):.1%} relative)" if second.mean else ""
    verb = "wins on" if verdict.named else "leads at equal steps on"
    return (
        f"{best.model} {verb} {result.data} with {words} {mean_std(best)}, ahead of "
        f"{second.model} ({mean_std(second)}) by {number(gap)}{relative}; {result.better}."
    )


def _curves(result: DatasetResult, verdict: Judgement) -> str:
    """Each model's curve at the end, in the numbers FLAT_RULE reads."""
    parts = []
    for trend in verdict.trends.values():
        if trend.state == "unknown":
            parts.append(f"{trend.model} too few validations to tell")
            continue
        share = f", {trend.late / trend.total:.0%} of its total" if trend.total else ""
        parts.append(
            f"{trend.model} {'still improving' if trend.state == 'improving' else 'flattened'} "
            f"({number(trend.late)} gained over the last quarter of {trend.steps} steps{share})"
        )
    return f"Validation curves at the end: {'; '.join(parts)}." if parts else ""


def _chain(items: list[tuple[str, float]]) -> str:
    text = items[0][0]
    for (_, a), (name, b) in pairwise(items):
        text += f" {'=' if a == b else '>'} {name}"
    return text


def orders(result: DatasetResult) -> list[str]:
    """The order at equal steps (the main metric) and at equal wall-clock time."""
    ranked = result.ranked
    steps = sorted({run.metrics.get("steps") for run in result.runs if run.ok} - {None})
    tokens = sorted({run.metrics.get("train_tokens") for run in result.runs if run.ok} - {None})
    axis = "Order at equal steps"
    if len(steps) > 1 or len(tokens) > 1:
        axis = "Order by the main metric, NOT at equal steps"
        budget = f"runs trained {steps[0]} to {steps[-1]} steps" if steps else "tokens differ"
    else:
        budget = f"{steps[0] if steps else '?'} steps"
        budget += (f", {count(tokens[0])} tokens" if tokens else "") + " per run"
    lines = [f"{axis} ({budget}; {result.label()}): "
             f"{_chain([(m.model, m.mean) for m in ranked])}."]  # fmt: skip
    at, timed = time_order(result)
    if at is None:
        return [*lines, "No run recorded its curve against time: no order at equal time."]
    late = [m.model for m in ranked if m.model not in dict(timed)]
    late = f" ({names(late)} had not validated by then)" if late else ""
    where = f"{result.label('val')} at {seconds(at)}, the shortest run's end"
    if len(timed) < 2:
        return [*lines, f"At equal wall-clock time ({where}) fewer than two models compare{late}."]
    lines.append(f"Order at equal wall-clock time ({where}): {_chain(timed)}{late}.")
    if timed[0][0] != ranked[0].model:
        lines.append("The two axes disagree on who leads.")
    return lines


def _verdict(verdict: Judgement) -> str:
    if verdict.named:
        return (
            f"{verdict.named.model} is named the winner: every curve had flattened and the gap "
            "is larger than the seed-to-seed variation."
        )
    return (
        f"No winner is named: {'; '.join(verdict.reasons)}. What would settle it: "
        f"{'; '.join(verdict.settle)}."
    )


def reading(result: DatasetResult) -> list[str]:
    """Plain sentences that read the result of one dataset."""
    ranked = result.ranked
    failures = _failures(result)
    if not ranked:
        return [f"No model finished on {result.data}, so there is nothing to compare.", failures]
    verdict = judge(result)
    best = ranked[0]
    if len(ranked) == 1:
        sentences = [
            f"{best.model} is the only model that finished on {result.data} "
            f"({result.label()} {mean_std(best)})."
        ]
        if best.n < 2:
            sentences.append("Single seed: no spread to judge.")
    else:
        sentences = [_lead(result, verdict), *orders(result), _curves(result, verdict)]
        sentences.append(_verdict(verdict))
    if result.baseline_applies:
        sentences.insert(1, _baseline(result, ranked))
    return [s for s in [*sentences, failures] if s]
