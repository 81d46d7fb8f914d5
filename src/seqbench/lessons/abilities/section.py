"""The abilities lesson as a page section: the ability matrix (models x probes, mean ± std
over seeds with its verdict) and, per grouped probe, accuracy against length or pairs."""

from pathlib import Path

from seqbench.lessons.abilities.figure import ability_svg
from seqbench.lessons.abilities.measure import STUDY, measured
from seqbench.lessons.abilities.reading import (
    SEEDS,
    SOLVED,
    ability_reading,
    paper_claims,
    verdict,
)
from seqbench.lessons.sources import study_runs
from seqbench.models import model_rank
from seqbench.page.formats import over_seeds
from seqbench.page.parts import Figure, Section, Table
from seqbench.rundir.run import Run


def _cell(values: list[float]) -> str:
    return over_seeds(values, f", {verdict(values)}")


def ability_section(runs: list[Run]) -> Section | None:
    probes, failed = measured(runs)
    if not probes and not failed:
        return None
    section = Section("abilities", "Abilities: selection, recall, state tracking, length", [])
    names = sorted(probes)
    models = sorted({m for p in probes.values() for m in p.accuracy}, key=model_rank)
    rows = [[m, *(_cell(probes[n].accuracy.get(m, [])) for n in names)] for m in models]
    section.tables.append(
        Table(
            ["model", *names],
            rows,
            caption=(
                f"test accuracy over all test groups, mean ± std over seeds; solved: every seed "
                f">= {SOLVED}; not solved: none; undecided: seeds disagree or fewer than {SEEDS}"
            ),
        )
    )
    for name in names:
        probe = probes[name]
        if len(probe.groups) > 1:
            shade = "; shaded: the training lengths" if probe.group_by == "length" else ""
            section.figures.append(
                Figure(
                    f"ability-{name}",
                    ability_svg(probe),
                    f"{name}: mean test accuracy over seeds per group; dashed: chance{shade}.",
                )
            )
    section.reading += ability_reading({n: probes[n] for n in names})
    section.reading += paper_claims(probes)
    section.reading += [f"Failed or unfinished: {'; '.join(failed)}."] if failed else []
    return section


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from the abilities study's runs; None when there are none."""
    return ability_section(study_runs(runs, STUDY))
