"""The tuning lesson as a page section: per dataset, both rankings side by side (the shared
optimiser setting, the comparison's own runs; and each model at its tuned setting), each
model's chosen setting, the grid figure and the sentences."""

from pathlib import Path

from seqbench.lessons.tuning.figure import grid_svg
from seqbench.lessons.tuning.measure import setting, shared, tuned
from seqbench.lessons.tuning.reading import caveats, setting_words, tuning_reading
from seqbench.page.formats import MISSING
from seqbench.page.parts import Figure, Section, Table
from seqbench.report.collect import summarise
from seqbench.report.formatting import mean_std
from seqbench.report.results import DatasetResult, most_common
from seqbench.rundir.run import Run


def _settings(result: DatasetResult | None) -> dict[str, tuple[float, float] | None]:
    """Each model's shared setting, the one most of its runs trained with."""
    models = result.models if result else []
    return {m.model: most_common([setting(r) for r in m.runs]) for m in models}


def _table(shared_result: DatasetResult | None, tuned_result: DatasetResult, cells: dict) -> Table:
    before = {m.model: m for m in (shared_result.models if shared_result else [])}
    settings = _settings(shared_result)
    rows = []
    for model in tuned_result.models:
        old = before.get(model.model)
        rows.append([
            model.model,
            setting_words(settings.get(model.model)) if old else MISSING,
            f"{mean_std(old)} (n={old.n})" if old else MISSING,
            setting_words(cells[model.model].chosen if model.model in cells else None),
            f"{mean_std(model)} (n={model.n})",
        ])  # fmt: skip
    header = ["model", "shared setting", "shared: test", "tuned setting", "tuned: test"]
    caption = f"{tuned_result.data}: {tuned_result.label()}, mean ± std over seeds"
    return Table(header, rows, caption=caption, numeric=frozenset({2, 4}),
                 models=[m.model for m in tuned_result.models])  # fmt: skip


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from the tune stage's runs; None when there are none."""
    found = tuned(runs)
    if not found:
        return None
    part = Section("tuning", "Tuned against shared optimiser settings", [])
    for data, cells in sorted(found.items()):
        tuned_result = summarise([r for c in cells.values() for r in c.runs])[0]
        same = shared(runs, data, list(cells))
        shared_result = summarise(same)[0] if same else None
        part.tables.append(_table(shared_result, tuned_result, cells))
        if any(cell.choice for cell in cells.values()):
            part.figures.append(
                Figure(
                    "tuning",
                    grid_svg(data, list(cells.values())),
                    f"{data}: each model's best validation value per grid setting at the tune "
                    "seed (lr on a log axis, one line per weight decay); ringed: the choice.",
                    wide=True,
                )
            )
        reading = tuning_reading(shared_result, tuned_result, cells, _settings(shared_result))
        part.reading += [f"{data}: {line}" for line in reading] + caveats(cells)
    return part
