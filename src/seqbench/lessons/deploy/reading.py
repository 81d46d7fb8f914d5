"""The deploy lesson's numbers and sentences: per dataset and model, quality over seeds beside
what the model costs on a device (deploy.json), the Pareto fronts of quality against step
time and against memory, and which is the simplest model whose quality cannot be told apart
from the best's.

"Cannot be told apart" is the report's own rule (report.judgement.gap_test: Welch's t-test
over seeds at 5 %). A single seed has no spread and a curve still falling could change the
order, so with either no model is named: the numbers are shown and the reasons said.
"""

import statistics
from dataclasses import dataclass, field

from seqbench.lessons.deploy.record import Cost, Timing, read_cost
from seqbench.page.formats import MISSING, count, names, number
from seqbench.report.convergence import trend
from seqbench.report.formatting import mean_std
from seqbench.report.judgement import gap_test
from seqbench.report.results import DatasetResult, ModelResult, most_common
from seqbench.rundir.run import Run

KB = 1000  # bytes: a device's budget read strictly (256 kB is 256,000 bytes)
AXES = {"step": "step time", "memory": "memory"}


@dataclass
class Entry:
    """One model (at one size) on one dataset: quality over its seeds, its median cost over
    the runs measured, and whether its validation curve had flattened."""

    label: str  # the model, with its size when one dataset holds it at several sizes
    result: ModelResult
    cost: Cost | None
    curve: str  # "flattened", "improving" or "unknown" (report.convergence.FLAT_RULE)

    @property
    def mean(self) -> float | None:
        return self.result.mean

    def step(self, runtime: str) -> Timing | None:
        return self.cost.step_ms.get(runtime) if self.cost else None

    def axis(self, axis: str, runtime: str = "eager") -> float | None:
        """The cost on one axis: step ms (median) or memory bytes; None if not measured."""
        if axis == "memory":
            return float(self.cost.memory_bytes) if self.cost else None
        timing = self.step(runtime)
        return timing.median if timing else None

    @property
    def simplicity(self) -> tuple:
        """Fewest parameters first, then least state (and its growth per step)."""
        cost = self.cost
        size = (cost.parameters, cost.state_bytes, cost.state_growth_bytes) if cost else (0,) * 3
        return (cost is None, *size, self.label)


@dataclass
class Board:
    """One dataset: every model with runs, and what its deploy.json files said."""

    data: str
    result: DatasetResult  # the dataset's metric, direction and words
    entries: list[Entry]
    unreadable: list[str] = field(default_factory=list)  # "path: why", one a damaged file

    @property
    def mode(self) -> str:
        return self.result.mode

    @property
    def scored(self) -> list[Entry]:
        """Models with at least one good run, best quality first."""
        found = [e for e in self.entries if e.mean is not None]
        return sorted(found, key=lambda e: e.mean if self.mode == "min" else -e.mean)

    @property
    def measured(self) -> list[Entry]:
        """Models with a quality and a device cost, simplest first."""
        return sorted((e for e in self.scored if e.cost), key=lambda e: e.simplicity)

    @property
    def unmeasured(self) -> list[Entry]:
        return [e for e in self.scored if e.cost is None]

    @property
    def best(self) -> Entry | None:
        return self.scored[0] if self.scored else None

    def better(self, a: float, b: float) -> bool:
        return a < b if self.mode == "min" else a > b

    def unsettled(self) -> list[str]:
        """Why no model may be named: seeds, curves, budgets (empty: the numbers may speak).
        Every model with results counts: one still learning could become the best."""
        reasons = []
        single = [e.label for e in self.scored if e.result.n < 2]
        if single:
            reasons.append(f"single seed ({names(single)}): no spread to judge a gap by")
        learning = [e.label for e in self.scored if e.curve != "flattened"]
        if learning:
            verb = "was" if len(learning) == 1 else "were"
            reasons.append(
                f"{names(learning)} {verb} still improving at the end of training (or recorded "
                "too few validations to tell)"
            )
        if len({run.metrics.get("steps") for e in self.scored for run in e.result.good}) > 1:
            reasons.append("the runs trained different numbers of steps")
        return reasons


@dataclass
class Choice:
    """The simplest candidate whose quality is not separable from the best, or why none."""

    best: Entry | None
    named: Entry | None = None
    reasons: list[str] = field(default_factory=list)  # too unsettled to choose


def median_cost(costs: list[Cost]) -> Cost:
    """The cost of one architecture over its seeds: equal up to timing noise, so the median
    (the lower middle value for counts, which stay whole numbers)."""
    sizes = {
        key: statistics.median_low(getattr(c, key) for c in costs)
        for key in ("parameters", "weight_bytes", "state_bytes", "state_growth_bytes",
                    "memory_bytes")
    }  # fmt: skip
    timings: dict[str, Timing | None] = {}
    for runtime in dict.fromkeys(r for c in costs for r in c.step_ms):
        found = [c.step_ms.get(runtime) for c in costs if runtime in c.step_ms]
        if any(t is None for t in found):
            timings[runtime] = None  # not exportable for one run is not exportable
            continue
        medians, p99s = [t.median for t in found], [t.p99 for t in found]
        timings[runtime] = Timing(statistics.median(medians), statistics.median(p99s))
    positions = statistics.median_low(
        [c.state_positions for c in costs if c.state_positions is not None] or [0]
    )
    return Cost(**sizes, step_ms=timings, state_positions=positions or None)


def _size_key(run: Run, cost: Cost | None) -> int | None:
    counted = run.metrics.get("num_parameters")
    if isinstance(counted, int) and not isinstance(counted, bool):
        return counted
    return cost.parameters if cost else None


def dataset(data: str, runs: list[Run]) -> DatasetResult:
    """The dataset's metric and its direction, by the runs' majority as the report takes
    them (a run that did not record its mode reads as "min", the report's default); the
    data's provenance is not verified here (that hashes the snapshot: the report's job)."""
    recorded = [run for run in runs if "monitor" in run.metrics] or runs
    tasks = [((run.config or {}).get("task") or {}).get("_target_") for run in runs]
    return DatasetResult(
        data,
        [],
        monitor=str(most_common([run.monitor for run in recorded])),
        mode=str(most_common([run.metrics.get("mode") for run in recorded]) or "min"),
        baseline=None,
        baseline_metric=None,
        task=most_common([t for t in tasks if isinstance(t, str)]),
    )


def comparable(runs: list[Run]) -> list[Run]:
    """The runs of one dataset that are compared with each other: the comparison's own (no
    ``study``), as the report's tables take them, so a study's variants (the activation
    study's clipping arms on adding) do not pass for seeds; a dataset that only studies
    trained (forecast, anomaly...) keeps the runs of its most common study."""
    plain = [run for run in runs if not run.metrics.get("study")]
    if plain or not runs:
        return plain
    study = most_common([run.metrics.get("study") for run in runs])
    return [run for run in runs if run.metrics.get("study") == study]


def board(data: str, runs: list[Run]) -> Board:
    """One dataset's board from its runs (any number of models, seeds and sizes), the
    comparable ones only (:func:`comparable`)."""
    runs = comparable(runs)
    result = dataset(data, runs)
    groups: dict[tuple[str, int | None], list[tuple[Run, Cost | None]]] = {}
    unreadable = []
    for run in runs:
        cost, why = read_cost(run.path)
        if why:
            unreadable.append(why)
        groups.setdefault((run.model, _size_key(run, cost)), []).append((run, cost))
    sizes: dict[str, int] = {}
    for model, _ in groups:
        sizes[model] = sizes.get(model, 0) + 1
    entries = []
    for (model, size), members in groups.items():
        label = model if sizes[model] == 1 else f"{model} ({count(size)} params)"
        quality = ModelResult(label, [run for run, _ in members])
        costs = [cost for _, cost in members if cost]
        state = trend(quality, result.monitor, result.mode).state
        entries.append(Entry(label, quality, median_cost(costs) if costs else None, state))
    return Board(data, result, entries, unreadable)


def measured(runs: list[Run]) -> dict[str, Board]:
    """Every dataset with runs, as a board (deploy.json read beside each run's metrics)."""
    by_data: dict[str, list[Run]] = {}
    for run in runs:
        by_data.setdefault(run.data, []).append(run)
    return {data: board(data, found) for data, found in sorted(by_data.items())}


def pareto(points: dict[str, tuple[float, float]], mode: str) -> set[str]:
    """The names no other point beats on both counts: quality at least as good and cost no
    higher, one of them strictly. ``points``: name -> (quality, cost); ``mode``: "min" when
    lower quality values are better. Swept in cost order: a point stays when its quality is
    the best at its cost and strictly better than at any lower cost."""
    sign = -1.0 if mode == "min" else 1.0
    front: set[str] = set()
    lower_best = float("-inf")  # best goodness at any strictly lower cost
    for cost in sorted({c for _, c in points.values()}):
        here = {n: sign * q for n, (q, c) in points.items() if c == cost}
        top = max(here.values())
        if top > lower_best:
            front |= {n for n, good in here.items() if good == top}
        lower_best = max(lower_best, top)
    return front


def fronts(found: Board, runtime: str = "eager") -> dict[str, set[str]]:
    """The Pareto front on each axis ("step", "memory") over the measured models."""
    result = {}
    for axis in AXES:
        points = {
            e.label: (e.mean, e.axis(axis, runtime))
            for e in found.measured
            if e.axis(axis, runtime) is not None
        }
        result[axis] = pareto(points, found.mode)
    return result


def choose(found: Board, candidates: list[Entry]) -> Choice:
    """The simplest of ``candidates`` whose quality the test cannot separate from the best
    of every model with results; none while the results are unsettled."""
    choice = Choice(found.best, reasons=found.unsettled())
    if choice.best is None or choice.reasons:
        return choice
    for entry in sorted(candidates, key=lambda e: e.simplicity):
        tested = gap_test(choice.best.result, entry.result)
        if entry is choice.best or (tested and tested[0] <= tested[1]):
            choice.named = entry
            return choice
    return choice


def cost_words(entry: Entry, runtime: str = "eager") -> str:
    cost = entry.cost
    if cost is None:
        return "not measured on a device"
    timing = entry.step(runtime)
    step = f"{number(timing.median)} ms a step ({runtime})" if timing else f"no {runtime} timing"
    return (
        f"{count(cost.parameters)} parameters, {count(cost.state_bytes)} bytes of state, "
        f"{step}, {number(cost.memory_bytes / KB)} kB in memory"
    )


def choice_words(found: Board, choice: Choice, runtime: str = "eager") -> str:
    """The sentence naming the simplest match for the best, or saying why none is named."""
    data, best = found.data, choice.best
    if best is None:
        return f"{data}: no model finished with a result, so there is nothing to choose from."
    if choice.reasons:
        return (
            f"{data}: the simplest model matching the best cannot be named yet: "
            f"{'; '.join(choice.reasons)}. The numbers are shown, not ranked."
        )
    if choice.named is None:
        return (
            f"{data}: every candidate's {found.result.label()} is separably worse than the "
            f"best, {best.label} (Welch's t-test over seeds at 5 %)."
        )
    named = choice.named
    if named is best:
        return (
            f"{data}: {best.label} has the best {found.result.label()} ({mean_std(best.result)}, "
            f"n={best.result.n}) and no simpler model comes within the seed-to-seed variation "
            f"of it; it costs {cost_words(best, runtime)}."
        )
    return (
        f"{data}: {named.label} is the simplest model whose {found.result.label()} is not "
        f"separable from the best's by Welch's t-test over seeds at 5 %: {named.label} "
        f"{mean_std(named.result)} (n={named.result.n}) against {best.label} "
        f"{mean_std(best.result)} (n={best.result.n}); it costs {cost_words(named, runtime)}."
    )


def dataset_reading(found: Board, runtime: str = "eager") -> list[str]:
    """The sentences of one dataset: the choice, the fronts, what was not measured."""
    if not found.measured:
        return []
    said = [choice_words(found, choose(found, found.measured), runtime)]
    front = fronts(found, runtime)
    said.append(
        f"{found.data}: on the Pareto front of quality against step time ({runtime}): "
        f"{names(sorted(front['step'])) if front['step'] else MISSING}; against memory: "
        f"{names(sorted(front['memory'])) if front['memory'] else MISSING}."
    )
    if missing := [e.label for e in found.unmeasured]:
        said.append(
            f"{found.data}: not measured on a device (no deploy.json): {names(missing)}; run "
            "`seqbench deploy RUNS_DIR` to measure them."
        )
    if found.unreadable:
        said.append(f"Unreadable deploy.json, left out: {'; '.join(found.unreadable)}.")
    return said


def deploy_reading(boards: dict[str, Board]) -> list[str]:
    return [line for name in sorted(boards) for line in dataset_reading(boards[name])]
