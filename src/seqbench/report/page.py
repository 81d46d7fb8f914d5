"""The report as one page model: numbers, tables, verdicts, readings and figures, built once
from the collected runs. The HTML and Markdown renderers only lay it out, so both show the
same winner, baseline and sentences; the W&B Report takes its title and notes from here.
"""

from dataclasses import dataclass
from pathlib import Path

from seqbench.models import MODELS
from seqbench.page.parts import Figure, Section, Table
from seqbench.report.convergence import FLAT_RULE
from seqbench.report.judgement import GAP_RULE
from seqbench.report.plots import bars_svg, curves_svg
from seqbench.report.provenance import provenance_rows
from seqbench.report.reference import compare
from seqbench.report.results import DatasetResult, metric_words
from seqbench.report.tables import config_table, results_table, runs_table, summary_table
from seqbench.report.verdicts import best_marked, reading

TITLE = "seqbench: model comparison"
MODELS_COMPARED = " vs ".join(MODELS)
MAIN_METRIC_NOTE = (
    "Main metric: the test value of the metric that picked each run's best checkpoint; the "
    "order by it is the order at equal steps (equal tokens) where every run trained the same "
    "steps, and each reading says whether they did. Equal time: "
    "each run's validation curve interpolated at the shortest run's last validation time "
    "(wall clock, validation included). Cost: seconds of training step per 1000 tokens. "
    "Mean ± sample standard deviation over seeds; failed runs are listed, never averaged. "
    f"{FLAT_RULE} {GAP_RULE}"
)
FIGURES_ELSEWHERE = "Learning curves and bar charts are in `comparison.html`."


@dataclass
class DatasetPage:
    """Everything the report says about one dataset."""

    data: str
    subtitle: str
    reading: list[str]
    results: Table
    figures: list[Figure]
    runs: Table
    provenance: list[tuple[str, str]]
    config: Table | None
    shared: dict[str, str]
    shared_title: str
    best: str | None


@dataclass
class Page:
    title: str
    runs_dir: str
    generated: str
    runs: int
    finished: int
    summary: Table
    note: str
    datasets: list[DatasetPage]
    lessons: list[Section]
    reference: str = ""  # which full-budget reference the rankings are held against, or none

    @property
    def tally(self) -> str:
        unfinished = self.runs - self.finished
        return f"{self.runs} runs, {self.finished} finished, {unfinished} failed or unfinished"


def dataset_figures(result: DatasetResult) -> list[Figure]:
    """The bar chart of the main test metric and the validation curves of one dataset."""
    words = metric_words(result.monitor, result.kind)
    return [
        Figure(
            "bars",
            bars_svg(result),
            f"Test {words} per model: mean over seeds, error bars ±1 std; dashed: the trivial "
            "baseline.",
        ),
        Figure(
            "curves",
            curves_svg(result),
            f"Validation {words} during training, against optimiser steps and wall-clock "
            "seconds; thin lines are single seeds.",
        ),
    ]


def dataset_page(result: DatasetResult, runs_dir: Path, reference: dict | None) -> DatasetPage:
    config, shared = config_table(result.runs)
    best = best_marked(result)
    held = compare(result, reference)
    return DatasetPage(
        data=result.data,
        subtitle=(
            f"{result.kind_words}; main metric: {result.label()}, {result.better}; {result.matched}"
        ),
        reading=reading(result) + ([held] if held else []),
        results=results_table(result),
        figures=dataset_figures(result),
        runs=runs_table(result, runs_dir),
        provenance=provenance_rows(result.provenance),
        config=config,
        shared=shared,
        shared_title=f"Settings all {len(config.rows) if config else 0} runs share",
        best=best.model if best else None,
    )


def build_page(
    results: list[DatasetResult],
    runs_dir: Path,
    generated: str,
    lessons: list[Section] = (),
    reference: tuple[dict | None, str] = (None, ""),
) -> Page:
    """The page model of a comparison: one section per dataset, then the lessons;
    ``reference`` is the stored full-budget result and the page's note about it."""
    runs = [run for result in results for run in result.runs]
    return Page(
        title=TITLE,
        runs_dir=str(runs_dir),
        generated=generated,
        runs=len(runs),
        finished=sum(run.ok for run in runs),
        summary=summary_table(results),
        note=MAIN_METRIC_NOTE,
        datasets=[dataset_page(result, runs_dir, reference[0]) for result in results],
        lessons=list(lessons),
        reference=reference[1],
    )
