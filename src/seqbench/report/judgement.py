"""Whether a dataset's result may name a winner, and if not, why and what budget would settle
it: every contender's curve flattened (convergence.FLAT_RULE) and the gap between the first
two larger than the seed-to-seed variation (Welch's t-test at 5 %, GAP_RULE)."""

import math
from dataclasses import dataclass, field

from seqbench.page.formats import names, number
from seqbench.report.convergence import MAX_GROWTH, Trend, trends
from seqbench.report.results import DatasetResult, ModelResult

MAX_SEEDS = 50
# two-sided 5 % critical values of Student's t by degrees of freedom; the next lower tabled
# dof is used (a stricter value), and 1.96 beyond the table
T_975 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 8: 2.31, 10: 2.23, 15: 2.13,
         20: 2.09, 30: 2.04, 60: 2.00}  # fmt: skip
GAP_RULE = (
    "A gap counts as larger than the seed-to-seed variation when Welch's t-test over the "
    "seeds rejects equal means at 5 % (a single seed has no spread, so it never does). "
    "A winner is named only when every model's curve had flattened and the gap between the "
    "first two passes this test; otherwise the report says what budget would settle it."
)


def t_critical(dof: float) -> float:
    tabled = [d for d in T_975 if d <= dof]
    if not tabled:
        return T_975[1]
    return T_975[max(tabled)] if dof <= 120 else 1.96


def gap_test(a: ModelResult, b: ModelResult, n: int | None = None) -> tuple[float, float] | None:
    """(|gap|, the gap the test needs) with each model's measured std over `n` seeds (default:
    its own count); None with fewer than two seeds on either side."""
    na, nb = (n, n) if n else (a.n, b.n)
    if na < 2 or nb < 2 or a.std is None or b.std is None:
        return None
    va, vb = a.std**2 / na, b.std**2 / nb
    spread = va**2 / (na - 1) + vb**2 / (nb - 1)
    dof = (va + vb) ** 2 / spread if spread > 0 else na + nb - 2
    return abs(a.mean - b.mean), t_critical(dof) * math.sqrt(va + vb)


def seeds_needed(a: ModelResult, b: ModelResult) -> int | None:
    """Seeds per model at which the measured gap and spreads would pass the test."""
    for n in range(max(a.n, b.n, 2), MAX_SEEDS + 1):
        tested = gap_test(a, b, n)
        if tested and tested[0] > tested[1]:
            return n
    return None


@dataclass
class Judgement:
    """The verdict on one dataset: the leader at equal steps, the named winner (or None),
    and the reasons and budgets when none may be named."""

    leader: ModelResult | None
    runner_up: ModelResult | None
    trends: dict[str, Trend]
    reasons: list[str] = field(default_factory=list)
    settle: list[str] = field(default_factory=list)
    gap: tuple[float, float] | None = None

    @property
    def named(self) -> ModelResult | None:
        return self.leader if self.runner_up and not self.reasons else None


def _steps_budget(improving: list[Trend]) -> str:
    """The steps after which every improving curve would flatten, projected from how much
    its last quarter slowed against the quarter before."""
    projected = {t.model: t.settle_steps() for t in improving}
    longest = max(t.steps or 0 for t in improving)
    stuck = [m for m, v in projected.items() if v is None]
    if stuck:
        return (
            f"at least {2 * longest} steps (budget.max_steps={2 * longest}), then judge again: "
            f"{names(stuck)} did not slow down between the last two quarters, so there is no "
            "projection"
        )
    too_far = [t.model for t in improving if projected[t.model] > MAX_GROWTH * (t.steps or 0)]
    if too_far:
        return f"more than {MAX_GROWTH}x the steps: {names(too_far)} slowed down too little"
    steps = max(projected.values())
    each = ", ".join(f"{m} {v}" for m, v in projected.items())
    return (
        f"about {steps} steps (budget.max_steps={steps}) for every curve to flatten, if each "
        f"keeps slowing as it did over the last two quarters ({each})"
    )


def judge(result: DatasetResult) -> Judgement:
    ranked = result.ranked
    found = trends(result)
    judgement = Judgement(ranked[0] if ranked else None, ranked[1] if len(ranked) > 1 else None,
                          found)  # fmt: skip
    if judgement.runner_up is None:
        return judgement
    if len({run.metrics.get("steps") for run in result.runs if run.ok}) > 1:
        judgement.reasons.append("the runs trained different numbers of steps")
        judgement.settle.append("the same budget for every run")
    unknown = [t.model for t in found.values() if t.state == "unknown"]
    improving = [t for t in found.values() if t.state == "improving"]
    if unknown:
        judgement.reasons.append(
            f"{names(unknown)} recorded too few validations to tell whether the curve flattened"
        )
        judgement.settle.append("at least 4 validations per run (budget.val_every <= steps / 4)")
    if improving:
        verb = "was" if len(improving) == 1 else "were"
        judgement.reasons.append(f"{names([t.model for t in improving])} {verb} still improving")
        judgement.settle.append(_steps_budget(improving))
    best, second = judgement.leader, judgement.runner_up
    judgement.gap = gap_test(best, second)
    if judgement.gap is None:
        single = names([m.model for m in (best, second) if m.n < 2])
        judgement.reasons.append(f"single seed ({single}): no spread to judge the gap")
        judgement.settle.append("at least 3 seeds per model (compare.seeds=[0,1,2])")
    elif judgement.gap[0] <= judgement.gap[1]:
        gap, needed = judgement.gap
        judgement.reasons.append(
            f"the gap {best.model}-{second.model} ({number(gap)}) is within the seed-to-seed "
            f"variation (the test needs more than {number(needed)})"
        )
        n = seeds_needed(best, second)
        judgement.settle.append(
            f"about {n} seeds per model (compare.seeds=[{','.join(map(str, range(n)))}]), if "
            "the gap and spreads stay as measured"
            if n
            else f"more than {MAX_SEEDS} seeds per model (the gap is that small against the spread)"
        )
    return judgement
