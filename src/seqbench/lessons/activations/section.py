"""The activation lesson as a page section: tanh vs ReLU vs IRNN, clipping on and off; the
steps whose gradient exploded, each run's result or failure, and its gradient decay at init."""

from pathlib import Path

from seqbench.lessons.activations.figure import activations_svg
from seqbench.lessons.activations.measure import activation_runs, exploded
from seqbench.lessons.activations.reading import activation_reading
from seqbench.lessons.gradient_flow.measure import read_profiles
from seqbench.lessons.gradient_flow.reading import slope_text
from seqbench.page.formats import MISSING, number
from seqbench.page.parts import Figure, Section, Table
from seqbench.rundir.run import Run


def study_section(runs: list[Run]) -> Section | None:
    """tanh vs ReLU vs IRNN, clipping on/off: explosions counted, results and failures."""
    if not runs:
        return None
    section = Section(
        "activations",
        "Activations, initialisation and gradient clipping",
        [
            "Vanilla RNNs only. The textbook expects tanh to saturate (gradients vanish) and "
            "ReLU, being unbounded, to let gradients explode; IRNN starts ReLU units from the "
            "identity so the state is carried unchanged at first. Every step whose gradient "
            "norm exceeded task.grad_clip is counted, with clipping on (the norm is rescaled) "
            "and off (the step goes through).",
        ],
    )
    for data in sorted({run.data for run in runs}):
        rows, plotted = [], []
        for run in sorted([r for r in runs if r.data == data], key=lambda r: r.model):
            counts = exploded(run)
            plotted.append(counts)
            steps, clipped = run.metrics.get("steps") or 0, run.metrics.get("clipped_steps")
            share, clip = counts["exploded_share"], counts["clip"]
            result = number(run.score) if run.ok else f"failed: {run.reason}"
            init = slope_text(read_profiles(run).get("init"))
            rows.append(
                [
                    run.model,
                    "on" if clip else "off",
                    str(run.seed),
                    result,
                    f"{clipped} / {steps}" if share is not None else MISSING,
                    number(run.metrics.get("max_grad_norm")),
                    init,
                ]
            )
        header = [
            "model",
            "clipping",
            "seed",
            "test metric",
            "steps ‖g‖ > clip",
            "max ‖g‖",
            "gradient decay at init",
        ]
        section.tables.append(Table(header, rows, caption=data))
        section.reading.append(activation_reading(data, plotted))
        section.figures.append(
            Figure(
                "activations",
                activations_svg(data, plotted),
                f"{data}: share of optimiser steps whose gradient norm exceeded task.grad_clip.",
            )
        )
    return section


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from the activation study's runs and the comparison's tanh RNN runs."""
    return study_section(activation_runs(runs))
