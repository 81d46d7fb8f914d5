"""The report's tables as plain text cells, built once for every rendering: the summary, one
dataset's results (at equal steps and equal time, with cost, its baseline row and any named
winner marked), its runs and their settings."""

from pathlib import Path

from seqbench.page.formats import MISSING, count, number, seconds
from seqbench.page.parts import Table
from seqbench.report.convergence import Trend, at_time, cost_per_1k, time_order, trends
from seqbench.report.formatting import mean_std, seeds_text
from seqbench.report.judgement import judge
from seqbench.report.provenance import config_split, run_label, settings_text, where
from seqbench.report.results import DatasetResult, Run
from seqbench.report.verdicts import best_marked

BASELINE = "trivial baseline"
SUMMARY_HEADER = [
    "dataset",
    "main metric",
    "leader, equal steps",
    "leader, equal time",
    "winner",
    "gap to second",
    BASELINE,
]
RUN_HEADER = ["model", "seed", "status", "test", "best val", "steps", "time", "directory or reason"]
CONFIG_HEADER = ["run", "settings that differ"]


def summary_table(results: list[DatasetResult]) -> Table:
    """One row per dataset: the leader on each axis, the verdict, the gap and the baseline."""
    rows = []
    for result in results:
        verdict = judge(result)
        best, second = verdict.leader, verdict.runner_up
        timed = time_order(result)[1]
        named = verdict.named
        rows.append(
            [
                result.data,
                f"{result.label()}, {result.better}",
                f"{best.model} ({mean_std(best)})" if best else "none finished",
                timed[0][0] if timed else MISSING,
                f"{named.model} wins" if named else ("none named" if second else MISSING),
                number(abs(best.mean - second.mean)) if best and second else MISSING,
                number(result.baseline) if result.baseline_applies else MISSING,
            ]
        )
    return Table(SUMMARY_HEADER, rows, numeric=frozenset({5, 6}))


def _rank(model: str, order: list[str]) -> str:
    return str(order.index(model) + 1) if model in order else MISSING


def _trend_cell(trend: Trend | None) -> str:
    if trend is None or trend.state == "unknown":
        return MISSING
    word = "still improving" if trend.state == "improving" else "flattened"
    return f"{word} ({number(trend.late)} in last quarter)"


def results_table(result: DatasetResult) -> Table:
    """The headline table of one dataset, with the trivial baseline as its last row: quality
    at equal steps and at equal wall-clock time, the curve's state at the end, and cost."""
    at, timed = time_order(result)
    steps_order = [m.model for m in result.ranked]
    time_rank = [name for name, _ in timed]
    header = [
        "model",
        f"{result.label()} (mean ± std)",
        "seeds",
        "rank, equal steps",
        f"{result.label('val')} at {seconds(at)}",
        "rank, equal time",
        "curve at the end",
        "parameters",
        "state (floats)",
        "training time",
        "s per 1k tokens",
        "status",
    ]
    table = Table(header, [], numeric=frozenset({1, 2, 3, 4, 5, 7, 8, 9, 10}))
    best = best_marked(result)
    found = trends(result)
    for model in result.models:
        state = "best" if model is best else ("failed" if model.mean is None else "ok")
        status = "ok" if not model.failed else f"{len(model.failed)} failed"
        value, seeds_at = at_time(model, result.monitor, at) if at is not None else (None, 0)
        table.rows.append(
            [
                model.model + (" (best)" if state == "best" else ""),
                mean_std(model),
                seeds_text(model),
                _rank(model.model, steps_order),
                number(value) + (f" (n={seeds_at})" if 0 < seeds_at < model.n else ""),
                _rank(model.model, time_rank),
                _trend_cell(found.get(model.model)),
                count(model.num_parameters),
                state_text(model.state),
                seconds(model.average("train_seconds")),
                number(cost_per_1k(model)),
                "failed" if model.mean is None else status,
            ]
        )
        table.states.append(state)
        table.models.append(model.model)
    if result.baseline_applies:
        table.rows.append([BASELINE, number(result.baseline), *[""] * (len(header) - 2)])
        table.states.append("baseline")
        table.models.append("")
    return table


def state_text(state: tuple[int, bool] | None) -> str:
    """ "544", or "704 per position" for a cache that grows with the stream."""
    if state is None:
        return MISSING
    return count(state[0]) + (" per position" if state[1] else "")


def runs_table(result: DatasetResult, base: Path | None = None) -> Table:
    """Every run of one dataset, failed ones with their reason instead of their directory."""
    rows = []
    for run in result.runs:
        best_val = run.metrics.get("best_val")
        rows.append(
            [
                run.model,
                str(run.seed),
                run.status,
                number(run.score),
                number(best_val) if isinstance(best_val, int | float) else MISSING,
                str(run.metrics.get("steps", MISSING)),
                seconds(run.metrics.get("train_seconds")),
                run.reason or where(run, base),
            ]
        )
    states = [run.status for run in result.runs]
    return Table(RUN_HEADER, rows, numeric=frozenset({1, 3, 4, 5, 6}), states=states)


def config_table(runs: list[Run]) -> tuple[Table | None, dict[str, str]]:
    """What each run sets differently, and the settings all runs share; None when no run
    recorded its configuration."""
    shared, differs = config_split(runs)
    if not shared and not differs:
        return None, {}
    rows = [[run_label(run), settings_text(diff)] for run, diff in differs.items()]
    return Table(CONFIG_HEADER, rows), shared
