"""The text-classification lesson as a page section: per dataset, each model's test accuracy
and macro F1 (mean ± std over seeds) beside the baselines, the seed spread and the reading."""

from pathlib import Path

from seqbench.lessons.curves import mark_unsettled
from seqbench.lessons.sources import study_runs
from seqbench.lessons.text_classify.figure import text_svg
from seqbench.lessons.text_classify.measure import STUDY, measured
from seqbench.lessons.text_classify.reading import BASELINE_WORDS, SEEDS, text_reading, versus
from seqbench.models import model_rank
from seqbench.page.formats import number, over_seeds
from seqbench.page.parts import Figure, Section, Table
from seqbench.rundir.run import Run


def text_section(runs: list[Run], lessons_dir: Path) -> Section | None:
    found, failed = measured(runs, lessons_dir)
    mark_unsettled(found, runs)
    if not found and not failed:
        return None
    section = Section("text-classify", "Text classification beside simple baselines", [])
    for data in sorted(found):
        results = found[data]
        bag = results.baselines.get("bag_of_chars", {}).get("acc")
        models = sorted(results.acc, key=model_rank)
        rows = [
            [
                m,
                over_seeds(results.acc[m]),
                over_seeds(results.f1[m]),
                versus(results.acc[m], bag) if bag is not None else "–",
            ]
            for m in models
        ]
        rows += [
            [BASELINE_WORDS.get(n, n), number(s["acc"]), number(s["f1"]), "baseline"]
            for n, s in results.baselines.items()
        ]
        section.tables.append(
            Table(
                ["model", "test accuracy", "test macro F1", "vs bag of characters"],
                rows,
                caption=(
                    f"{data}: mean ± std over seeds; beats: every seed above the bag of "
                    f"characters' accuracy, does not beat: none, undecided: seeds disagree or "
                    f"fewer than {SEEDS}"
                ),
                states=["ok"] * len(models) + ["baseline"] * len(results.baselines),
                models=models + [""] * len(results.baselines),
            )
        )
        results.acc = {m: results.acc[m] for m in models}
        section.figures.append(
            Figure(f"text-{data}", text_svg(results), f"{data}: test accuracy of every seed.")
        )
    section.reading += text_reading({d: found[d] for d in sorted(found)})
    section.reading += [f"Failed or unfinished: {'; '.join(failed)}."] if failed else []
    return section


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from the text_classify study's runs; None when there are none."""
    return text_section(study_runs(runs, STUDY), lessons_dir)
