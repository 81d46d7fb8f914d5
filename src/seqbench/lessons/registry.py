"""Every lesson, by the key its section carries on the page: which function of its folder
measures, reads, draws and lays out, which DVC stages make its numbers and which `seqbench`
commands it adds. The report builds its lesson sections from this table, in this order; the
CLI adds the lessons' commands from it; tests/unit/test_lessons_registry.py holds it against
the folders, dvc.yaml and the CLI.

A part is named "module:function" inside the lesson's folder and imported only when used, so
reading the table (as the CLI does on every start) imports neither torch nor matplotlib.
"""

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seqbench.page.parts import Section
from seqbench.rundir.run import Run

PARTS = ("measure", "reading", "figure", "section")


@dataclass(frozen=True)
class Lesson:
    """One lesson: its folder under seqbench/lessons/ and the parts in it.

    ``measure``: what measures the lesson's numbers (or reads back what training measured);
    ``reading``: the sentences from the numbers; ``figure``: the SVG;
    ``section``: ``section(runs, lessons_dir) -> Section | None`` for the report;
    ``stages``: the dvc.yaml stages whose outputs the section reads; ``commands``: the
    `seqbench` commands that run the lesson, added by ``add_commands`` where the folder
    defines them (``add_commands(subparsers, raw_dir)``).
    """

    folder: str
    measure: str
    reading: str
    figure: str
    section: str
    stages: tuple[str, ...]
    commands: tuple[str, ...] = ()
    add_commands: str | None = None

    def part(self, name: str) -> Callable | None:
        """The function a part names, imported now; None for a part the lesson has not."""
        where = getattr(self, name)
        if where is None:
            return None
        module, _, function = where.partition(":")
        return getattr(
            importlib.import_module(f"seqbench.lessons.{self.folder}.{module}"), function
        )

    def build_section(self, runs: list[Run], lessons_dir: Path) -> Section | None:
        """The lesson's section of the report; None when its numbers are absent."""
        return self.part("section")(runs, lessons_dir)


LESSONS: dict[str, Lesson] = {  # key (the section's id on the page) -> lesson, in page order
    "gradient-flow": Lesson(
        "gradient_flow",
        measure="measure:measure",
        reading="reading:gradient_reading",
        figure="figure:gradient_flow_svg",
        section="section:section",
        stages=("train", "memory"),  # every training run's probe writes gradient_flow.csv
    ),
    "long-memory": Lesson(
        "long_memory",
        measure="measure:measured",
        reading="reading:memory_verdicts",
        figure="figure:memory_svg",
        section="section:section",
        stages=("memory-data", "memory", "memory-long"),
        commands=("memory-data",),  # the CLI's own: it reads params.yaml (seqbench.launch)
    ),
    "abilities": Lesson(
        "abilities",
        measure="measure:measured",
        reading="reading:ability_reading",
        figure="figure:ability_svg",
        section="section:section",
        stages=("ability-data", "abilities"),
    ),
    "forecast": Lesson(
        "forecast",
        measure="measure:measured",
        reading="reading:forecast_reading",
        figure="figure:horizon_svg",
        section="section:section",
        stages=("forecast-data", "forecast"),
    ),
    "anomaly": Lesson(
        "anomaly",
        measure="measure:measured",
        reading="reading:anomaly_reading",
        figure="figure:anomaly_svg",
        section="section:section",
        stages=("anomaly-data", "anomaly"),
    ),
    "text-classify": Lesson(
        "text_classify",
        measure="measure:measured",
        reading="reading:text_reading",
        figure="figure:text_svg",
        section="section:section",
        stages=("text-data", "text-baselines", "text-classify"),
        commands=("text-baselines",),
        add_commands="command:add_commands",
    ),
    "tuning": Lesson(
        "tuning",
        measure="measure:tuned",
        reading="reading:tuning_reading",
        figure="figure:grid_svg",
        section="section:section",
        stages=("train", "tune"),  # the shared setting's runs are the comparison's own
        commands=("tune",),  # the CLI's own: it launches training (seqbench.launch)
    ),
    "activations": Lesson(
        "activations",
        measure="measure:exploded",
        reading="reading:activation_reading",
        figure="figure:activations_svg",
        section="section:section",
        stages=("train", "activations", "activations-tanh"),  # tanh with clipping: compare's
    ),
    "exposure-bias": Lesson(
        "exposure_bias",
        measure="measure:text_lessons",
        reading="reading:bias_reading",
        figure="figure:exposure_svg",
        section="section:section",
        stages=("text-lessons",),
        commands=("text-lessons", "generate"),
        add_commands="command:add_commands",
    ),
    "context": Lesson(
        "context",
        measure="measure:context_lesson",
        reading="reading:context_reading",
        figure="figure:context_svg",
        section="section:section",
        stages=("context",),
        commands=("context",),
        add_commands="command:add_commands",
    ),
    "streaming": Lesson(
        "streaming",
        measure="measure:measure",
        reading="reading:streaming_reading",
        figure="figure:streaming_svg",
        section="section:section",
        stages=("streaming",),
        commands=("stream-bench",),
        add_commands="command:add_commands",
    ),
    "cost": Lesson(
        "cost",
        measure="measure:measure",
        reading="reading:verdict",
        figure="figure:cost_svg",
        section="section:section",
        stages=("cost",),
        commands=("cost-bench",),
        add_commands="command:add_commands",
    ),
    "deploy": Lesson(
        "deploy",
        measure="measure:measure_runs",  # `seqbench deploy`: each run into its deploy.json
        reading="reading:deploy_reading",
        figure="figure:deploy_svg",
        section="section:section",
        stages=("deploy",),
        commands=("export", "deploy", "choose"),
        add_commands="command:add_commands",
    ),
}


def sections(runs: list[Run], lessons_dir: Path) -> list[Section]:
    """Every lesson's section whose numbers are there, in the table's order."""
    found = (lesson.build_section(runs, lessons_dir) for lesson in LESSONS.values())
    return [section for section in found if section is not None]


def add_commands(commands: argparse._SubParsersAction, raw_dir: Path) -> None:
    """Add every lesson's own commands to the `seqbench` parser."""
    for lesson in LESSONS.values():
        if adder := lesson.part("add_commands"):
            adder(commands, raw_dir)
