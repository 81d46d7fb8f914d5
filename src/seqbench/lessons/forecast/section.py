"""The forecasting lesson as a page section: per dataset a table of every model's test MSE
and MAE (mean ± std over seeds) above the baselines' on the same windows, and the MSE per
horizon step."""

from pathlib import Path

from seqbench.lessons.curves import mark_unsettled
from seqbench.lessons.forecast.figure import horizon_svg
from seqbench.lessons.forecast.measure import STUDY, Dataset, measured
from seqbench.lessons.forecast.reading import WORDS, forecast_reading
from seqbench.lessons.sources import study_runs
from seqbench.models import model_rank
from seqbench.page.formats import number, over_seeds
from seqbench.page.parts import Figure, Section, Table
from seqbench.rundir.run import Run


def _table(data: Dataset) -> Table:
    models = sorted(data.mse, key=model_rank)
    rows = [[m, over_seeds(data.mse[m]), over_seeds(data.mae[m])] for m in models]
    rows += [
        [f"baseline: {WORDS.get(n, n)}", number(b["mse"]), number(b["mae"])]
        for n, b in data.baselines.items()
    ]
    return Table(
        ["model", "test MSE", "test MAE"],
        rows,
        caption=(
            f"{data.name}: {data.context} steps in, {data.horizon} out; normalised scale "
            "(train statistics); models mean ± std over seeds; baselines on the same test "
            "windows, the linear one fitted on train only"
        ),
    )


def forecast_section(runs: list[Run]) -> Section | None:
    datasets, failed = measured(runs)
    mark_unsettled(datasets, runs)
    if not datasets and not failed:
        return None
    section = Section("forecast", "Forecasting: models against simple baselines", [])
    for name in sorted(datasets):
        data = datasets[name]
        section.tables.append(_table(data))
        section.figures.append(
            Figure(
                f"forecast-{name}",
                horizon_svg(data),
                f"{name}: mean test MSE over seeds at each step ahead; grey: the baselines.",
            )
        )
    section.reading += forecast_reading(datasets)
    section.reading += [f"Failed or unfinished: {'; '.join(failed)}."] if failed else []
    return section


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from the forecast study's runs; None when there are none."""
    return forecast_section(study_runs(runs, STUDY))
