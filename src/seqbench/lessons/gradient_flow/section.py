"""The gradient-flow lesson as a page section: one figure per dataset, every model's profile
at initialisation and trained, read from the gradient_flow.csv each training run wrote."""

from pathlib import Path

from seqbench.lessons.gradient_flow.figure import gradient_flow_svg
from seqbench.lessons.gradient_flow.measure import read_profiles
from seqbench.lessons.gradient_flow.reading import gradient_reading, shape, slope_text
from seqbench.lessons.sources import study_runs
from seqbench.models import model_rank
from seqbench.page.formats import number
from seqbench.page.parts import Figure, Section, Table
from seqbench.rundir.run import Run


def panels(runs: list[Run]) -> dict[str, list[Run]]:
    """The comparison's datasets, and the long-memory study's longest adding task."""
    compare = [run for run in runs if not run.metrics.get("study")]
    memory = study_runs(runs, "long_memory")
    found: dict[str, list[Run]] = {}
    for run in compare:
        found.setdefault(run.data, []).append(run)
    adding = [run for run in memory if run.data.startswith("adding-T")]
    if adding:
        longest = max(adding, key=lambda run: int(run.data.rsplit("T", 1)[-1])).data
        found[f"{longest} (long-memory study)"] = [r for r in adding if r.data == longest]
    return found


def profiles_section(panels: dict[str, list[Run]]) -> Section | None:
    """One figure per dataset: every model's profile at init and trained (first seed)."""
    rows, figures, trained_profiles = [], [], {}
    for name, runs in panels.items():
        profiles = {}
        for run in sorted(runs, key=lambda r: (model_rank(r.model), str(r.seed))):
            if run.model not in profiles and (found := read_profiles(run)):
                profiles[run.model] = found
        if not profiles:
            continue
        trained_profiles[name] = {model: found["trained"] for model, found in profiles.items()}
        for model, found in profiles.items():
            trained = dict(found["trained"])
            far = max(trained)
            ratio = trained[far] / trained[1] if trained.get(1) else None
            init = slope_text(found.get("init"))
            rows.append(
                [name, model, init, slope_text(found["trained"]), shape(found["trained"]),
                 number(ratio)]
            )  # fmt: skip
        figures.append(
            Figure(
                "gradient-flow",
                gradient_flow_svg(name, profiles),
                f"{name}: gradient norm reaching back from the loss at the last step; dashed "
                "at initialisation, solid after training (log scale).",
            )
        )
    if not rows:
        return None
    reading = gradient_reading(trained_profiles)
    header = ["data", "model", "decay at init", "decay trained", "shape (trained)",
              "‖∂L/∂h‖ far / near (trained)"]  # fmt: skip
    return Section(
        "gradient-flow", "Gradient flow through time", reading, [Table(header, rows)], figures
    )


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from every run's gradient_flow.csv; None when no run recorded one."""
    return profiles_section(panels(runs))
