"""The report's judgements, each computed from the numbers so it cannot drift from the tables:
who won and by how much, against the trivial baseline, whether the spread across seeds lets
the gap mean anything, and the long-memory study's claims checked seed by seed."""

import statistics
from itertools import pairwise

from seqbench.report.formatting import mean_std, names, number
from seqbench.report.results import DatasetResult, ModelResult

ADDING_TARGET, RNN_FAILS_ABOVE, COPY_SOLVED = 0.01, 0.1, 0.99


def better(a: float, b: float, mode: str) -> bool:
    """Whether a beats b under the metric's direction ("min": lower is better)."""
    return a < b if mode == "min" else a > b


def winner(result: DatasetResult) -> ModelResult | None:
    """The best mean among models with a good run (None when nothing finished)."""
    return result.ranked[0] if result.ranked else None


def best_marked(result: DatasetResult) -> ModelResult | None:
    """The model the tables mark as best: the winner, once it had someone to beat."""
    return winner(result) if len(result.ranked) > 1 else None


def _spread(best: ModelResult, second: ModelResult) -> str:
    if best.n < 2 or second.n < 2:
        single = names([m.model for m in (best, second) if m.n < 2])
        return (
            f"Single seed ({single}): no spread to judge whether the gap is meaningful; "
            "train more seeds to tell."
        )
    low_best, high_best = best.mean - best.std, best.mean + best.std
    low_second, high_second = second.mean - second.std, second.mean + second.std
    if low_best <= high_second and low_second <= high_best:
        return (
            f"The seed spreads overlap ({best.model} {mean_std(best)} over {best.n} seeds, "
            f"{second.model} {mean_std(second)} over {second.n}), so the gap is within "
            "seed-to-seed variation: not a meaningful difference at this number of seeds."
        )
    return (
        f"The mean ± std ranges do not overlap ({best.n} and {second.n} seeds), so the gap "
        "is larger than the seed-to-seed variation."
    )


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


def _lead(result: DatasetResult, best: ModelResult, second: ModelResult) -> str:
    words = result.label()
    gap = abs(best.mean - second.mean)
    if gap == 0:
        tie = f"{best.model} and {second.model} tie on {result.data}"
        return f"{tie} ({words} {number(best.mean)})."
    relative = f" ({gap / abs(second.mean):.1%} relative)" if second.mean else ""
    return (
        f"{best.model} wins on {result.data} with {words} {mean_std(best)}, ahead of "
        f"{second.model} ({mean_std(second)}) by {number(gap)}{relative}; {result.better}."
    )


def reading(result: DatasetResult) -> list[str]:
    """Plain sentences that read the result of one dataset."""
    ranked = result.ranked
    failures = _failures(result)
    if not ranked:
        return [f"No model finished on {result.data}, so there is nothing to compare.", failures]
    best = ranked[0]
    if len(ranked) == 1:
        sentences = [
            f"{best.model} is the only model that finished on {result.data} "
            f"({result.label()} {mean_std(best)})."
        ]
        if best.n < 2:
            sentences.append("Single seed: no spread to judge.")
    else:
        order = ranked[0].model + "".join(
            f" {'=' if b.mean == a.mean else '>'} {b.model}" for a, b in pairwise(ranked)
        )
        lead = _lead(result, best, ranked[1])
        sentences = [lead, f"Ranking: {order}.", _spread(best, ranked[1])]
    if result.baseline_applies:
        sentences.insert(1, _baseline(result, ranked))
    return [s for s in [*sentences, failures] if s]


def memory_verdicts(task: str, by_length: dict[int, dict[str, list[float]]]) -> list[str]:
    """The long-memory study's claims (the LSTM solves adding, the tanh RNN does not; who
    solves copy), each checked against every seed at every sequence length T."""
    lines = []
    for t in sorted(by_length):
        values = by_length[t]
        per = {m: statistics.fmean(v) for m, v in values.items()}
        if task != "adding":
            solved = [m for m, v in per.items() if v > COPY_SOLVED]
            lines.append(
                f"Copy, T={t}: recall accuracy "
                + ", ".join(f"{m} {number(v)}" for m, v in per.items())
                + (f"; solved (> 0.99) by {', '.join(solved)}." if solved else "; none solved.")
            )
            continue
        checks = []
        if "lstm" in per:
            below = sum(v < ADDING_TARGET for v in values["lstm"])
            verdict = "target met" if below == len(values["lstm"]) else "target missed"
            checks.append(
                f"LSTM {number(per['lstm'])}, below 0.01 on {below} of {len(values['lstm'])} "
                f"seeds ({verdict})"
            )
        if "rnn" in per:
            above = sum(v > RNN_FAILS_ABOVE for v in values["rnn"])
            checks.append(
                f"tanh RNN {number(per['rnn'])}, above 0.1 on {above} of {len(values['rnn'])}"
            )
        others = [f"{m} {number(v)}" for m, v in per.items() if m not in ("lstm", "rnn")]
        lines.append(f"Adding, T={t}: " + "; ".join(checks + others) + ".")
    return lines
