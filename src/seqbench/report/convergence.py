"""What each run's validation curve (curves.csv) says beyond its final number: whether it had
flattened by the end, what it read at a wall-clock time every run reached, and what a
training step cost. The verdicts lean on these, so they only claim what the curves show."""

import math
import statistics
from dataclasses import dataclass
from itertools import pairwise

from seqbench.report.results import DatasetResult, ModelResult
from seqbench.rundir.run import Run, finite

LATE_PART = 0.25  # the last quarter of the steps
SMALL_SHARE = 0.05  # flattened: the last quarter gained at most 5 % of the whole run's gain
MAX_GROWTH = 10  # a projection past 10x the steps is reported as "more than 10x"
FLAT_RULE = (
    "A curve counts as flattened when its validation metric improved over the last quarter "
    f"of its steps by no more than {SMALL_SHARE:.0%} of its improvement since the first "
    "validation, or by no more than the spread across seeds of its final value (sample std); "
    "otherwise it is still improving and more steps could change the order."
)


@dataclass
class Trend:
    """One model's validation curve at the end of training, averaged over its good seeds.
    Gains are in the metric's better direction (a falling loss gains)."""

    model: str
    state: str  # "flattened", "improving" or "unknown"
    late: float | None = None  # gain over the last quarter of the steps
    before: float | None = None  # gain over the quarter before it
    total: float | None = None  # gain from the first validation to the last
    spread: float | None = None  # sample std over seeds of the final validation value
    steps: int | None = None

    @property
    def threshold(self) -> float:
        return max(SMALL_SHARE * abs(self.total or 0.0), self.spread or 0.0)

    def settle_steps(self) -> int | None:
        """Steps after which a quarter would gain no more than the threshold, if each
        quarter keeps shrinking by the factor measured between the last two quarters;
        None when the curve is not slowing down (or cannot be projected)."""
        if self.state != "improving" or not self.steps or not self.before or not self.late:
            return None
        shrink = self.late / self.before
        if not 0 < shrink < 1 or self.threshold <= 0:
            return None
        quarters = math.ceil(math.log(self.threshold / self.late) / math.log(shrink))
        return self.steps + max(quarters, 1) * math.ceil(self.steps * LATE_PART)


def points(run: Run, key: str, x: str = "step") -> list[tuple[float, float]]:
    """(x, value) of one validation metric, in order, finite values only."""
    rows = [row for row in run.curves if finite(row.get(x)) and finite(row.get(key))]
    return sorted((row[x], row[key]) for row in rows)


def value_at(curve: list[tuple[float, float]], x: float) -> float | None:
    """Linear interpolation inside the measured range; None outside it (never extrapolated)."""
    if not curve or x < curve[0][0] or x > curve[-1][0]:
        return None
    for (x0, y0), (x1, y1) in pairwise(curve):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return curve[-1][1]


def _gains(run: Run, key: str, sign: float) -> tuple[float, float | None, float, int] | None:
    curve = points(run, key)
    if len(curve) < 2:
        return None
    end_step, end = curve[-1]
    late_start = (1 - LATE_PART) * end_step
    start = value_at(curve, late_start)
    if start is None or curve[0][0] >= late_start:
        return None  # no validation before the last quarter: nothing to compare with
    middle = value_at(curve, (1 - 2 * LATE_PART) * end_step)
    before = sign * (middle - start) if middle is not None else None
    return sign * (start - end), before, sign * (curve[0][1] - end), int(end_step)


def trend(model: ModelResult, key: str, mode: str) -> Trend:
    """The model's curve judged by :data:`FLAT_RULE` (mean gains over its good seeds)."""
    sign = 1.0 if mode == "min" else -1.0
    found = [g for run in model.good if (g := _gains(run, key, sign))]
    if not found:
        return Trend(model.model, "unknown")
    ends = [points(run, key)[-1][1] for run in model.good if points(run, key)]
    befores = [g[1] for g in found if g[1] is not None]
    result = Trend(
        model.model,
        "unknown",
        late=statistics.fmean(g[0] for g in found),
        before=statistics.fmean(befores) if len(befores) == len(found) else None,
        total=statistics.fmean(g[2] for g in found),
        spread=statistics.stdev(ends) if len(ends) > 1 else None,
        steps=max(g[3] for g in found),
    )
    result.state = "improving" if result.late > result.threshold else "flattened"
    return result


def trends(result: DatasetResult) -> dict[str, Trend]:
    return {m.model: trend(m, result.monitor, result.mode) for m in result.ranked}


def common_time(result: DatasetResult) -> float | None:
    """The shortest good run's last validation time: a wall-clock time every run reached."""
    curves = [points(run, result.monitor, "time_s") for run in result.runs if run.ok]
    ends = [curve[-1][0] for curve in curves if curve]
    return min(ends) if ends else None


def at_time(model: ModelResult, key: str, seconds: float) -> tuple[float | None, int]:
    """Mean validation value at `seconds` over the seeds whose curve covers that time, and
    how many seeds that is (a run whose first validation came later does not count)."""
    found = [value_at(points(run, key, "time_s"), seconds) for run in model.good]
    values = [v for v in found if v is not None]
    return (statistics.fmean(values) if values else None), len(values)


def time_order(result: DatasetResult) -> tuple[float | None, list[tuple[str, float]]]:
    """Models ordered by their validation value at the common time, best first."""
    seconds = common_time(result)
    if seconds is None:
        return None, []
    found = [(m.model, at_time(m, result.monitor, seconds)[0]) for m in result.ranked]
    found = [(name, v) for name, v in found if v is not None]
    return seconds, sorted(found, key=lambda item: item[1] if result.mode == "min" else -item[1])


def cost_per_1k(model: ModelResult) -> float | None:
    """Seconds of training step per 1000 tokens (time steps x sequences), mean over seeds:
    the reciprocal of the recorded throughput, which times the training batches only."""
    rates = [run.metrics.get("throughput_tokens_per_s") for run in model.good]
    costs = [1000.0 / r for r in rates if finite(r) and r > 0]
    return statistics.fmean(costs) if costs else None
