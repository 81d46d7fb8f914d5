"""The long-memory lesson as a page section: per task a table and a figure of the final metric
against T, with the trivial baselines, and the study's claims checked seed by seed."""

import statistics
from pathlib import Path

from seqbench.data import baselines
from seqbench.lessons.long_memory.figure import memory_svg
from seqbench.lessons.long_memory.measure import measured, memory_metric
from seqbench.lessons.long_memory.reading import memory_verdicts
from seqbench.lessons.sources import study_runs
from seqbench.models import model_rank
from seqbench.page.formats import over_seeds
from seqbench.page.parts import Figure, Section, Table
from seqbench.rundir.run import Run


def study_section(runs: list[Run]) -> Section | None:
    """Final metric against T for adding and copy, with the trivial baselines."""
    grid, failed = measured(runs)
    if not grid and not failed:
        return None
    section = Section("long-memory", "Long-memory study: adding and copy against T", [])
    for task, by_length in sorted(grid.items()):
        _, label, log = memory_metric(task)
        models = sorted({m for per in by_length.values() for m in per}, key=model_rank)
        rows = [
            [str(t), *(over_seeds(by_length[t].get(m, [])) for m in models)]
            for t in sorted(by_length)
        ]
        section.tables.append(Table(["T", *models], rows, caption=f"{task}: {label}"))
        series = {
            m: [
                (t, statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else 0.0)
                for t, per in sorted(by_length.items())
                if (v := per.get(m))
            ]
            for m in models
        }
        baseline = baselines.ADDING_MSE if task == "adding" else baselines.COPY_RECALL_CHANCE
        base_words = "predict the mean, 1/6" if task == "adding" else "chance, 1/8"
        section.figures.append(
            Figure(
                "memory",
                memory_svg(task, label, series, baseline, log),
                f"{task}: mean ± std over seeds against T; dashed: the trivial baseline "
                f"({base_words}).",
            )
        )
        section.reading += memory_verdicts(task, by_length)
    section.reading += [f"Failed or unfinished: {'; '.join(failed)}."] if failed else []
    return section


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from the long_memory study's runs; None when there are none."""
    return study_section(study_runs(runs, "long_memory"))
