"""The anomaly lesson as a page section: per dataset a table of every model's test quality
and streaming step time beside the baselines, the AUROC figure and the reading."""

from pathlib import Path

from seqbench.lessons.anomaly.figure import anomaly_svg
from seqbench.lessons.anomaly.measure import BASELINES, QUALITY, STUDY, Detection, measured
from seqbench.lessons.anomaly.reading import anomaly_reading
from seqbench.lessons.curves import mark_unsettled
from seqbench.lessons.sources import study_runs
from seqbench.models import model_rank
from seqbench.page.formats import number, over_seeds
from seqbench.page.parts import Figure, Section, Table
from seqbench.rundir.run import Run

COLUMNS = (*QUALITY, "step_ms")


def table(detection: Detection) -> Table:
    models = sorted(detection.values, key=model_rank)
    rows = [[m, *(over_seeds(detection.of(m, c)) for c in COLUMNS)] for m in models]
    states = ["ok"] * len(rows)
    for name, words in BASELINES.items():
        found = detection.baselines.get(name, {})
        cells = [number(found.get(f"test/{c}")) for c in COLUMNS]
        rows.append([f"baseline: {words}", *cells])
        states.append("baseline")
    return Table(
        ["model", "AUROC", "AUPRC", "precision", "recall", "F1", "delay (steps)", "ms/step"],
        rows,
        caption=(
            f"{detection.data}: test split, mean ± std over seeds; precision, recall, F1 and "
            "delay at the threshold with the best validation F1; delay: first flagged step of each "
            "anomalous segment minus its start; ms/step: median time of one streamed step "
            "(step(), one sample) on the device the test ran on"
        ),
        numeric=frozenset(range(1, len(COLUMNS) + 1)),
        states=states,
        models=[*models, *([""] * len(BASELINES))],
    )


def anomaly_section(runs: list[Run]) -> Section | None:
    found, failed = measured(runs)
    mark_unsettled(found, runs)
    if not found and not failed:
        return None
    section = Section("anomaly", "Anomaly detection in sensor data", [])
    for name in sorted(found):
        detection = found[name]
        section.tables.append(table(detection))
        section.figures.append(
            Figure(
                f"anomaly-{name}",
                anomaly_svg(detection),
                f"{name}: test AUROC per model, mean over seeds (dots: seeds); lines: baselines.",
            )
        )
        section.reading += anomaly_reading(detection)
    section.reading += [f"Failed or unfinished: {'; '.join(failed)}."] if failed else []
    return section


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from the anomaly study's runs; None when there are none."""
    return anomaly_section(study_runs(runs, STUDY))
