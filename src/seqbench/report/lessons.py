"""The RNN lessons as report sections: gradient flow, long memory, activations and clipping.

Each builder reads what training wrote (metrics.json, gradient_flow.csv) and returns a page
Lesson (reading, tables, figures) that both the HTML and the Markdown report render, or None
when its runs are absent. The text-generation and streaming lessons come
from their JSON files in :mod:`seqbench.report.lessons_text`.
"""

import csv
import statistics
from pathlib import Path

from seqbench import rundir
from seqbench.data import baselines, registry
from seqbench.lessons.gradient_flow import slope
from seqbench.report import lesson_plots
from seqbench.report.formatting import MISSING, number, spread
from seqbench.report.lesson_readings import activation_reading, gradient_reading, shape
from seqbench.report.page import Figure, Lesson
from seqbench.report.results import Run, finite, model_rank
from seqbench.report.tables import Table
from seqbench.report.verdicts import memory_verdicts


def read_profiles(run: Run) -> dict[str, list[tuple[float, float]]]:
    """gradient_flow.csv as {"init": [(distance, norm)], "trained": [...]}."""
    path = Path(run.path) / rundir.GRADIENT_FLOW
    if not path.is_file():
        return {}
    by_step: dict[int, list[tuple[float, float]]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                by_step.setdefault(int(row["step"]), []).append(
                    (float(row["distance"]), float(row["norm"]))
                )
            except (KeyError, ValueError):
                continue
    if not by_step:
        return {}
    profiles = {"trained": sorted(by_step[max(by_step)])}
    if 0 in by_step and max(by_step) > 0:
        profiles["init"] = sorted(by_step[0])
    return profiles


def slope_text(profile: list[tuple[float, float]] | None) -> str:
    """The fitted decay as "×10^k per 10 steps"; "vanished" when nothing is left to fit."""
    value = slope(dict(profile)) if profile else None
    if value is None:
        return "vanished" if profile else MISSING
    return f"×10^{10 * value:+.2f} / 10 steps"


def gradient_flow_section(panels: dict[str, list[Run]]) -> Lesson | None:
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
                lesson_plots.gradient_flow_svg(name, profiles),
                f"{name}: gradient norm reaching back from the loss at the last step; dashed "
                "at initialisation, solid after training (log scale).",
            )
        )
    if not rows:
        return None
    reading = gradient_reading(trained_profiles)
    header = ["data", "model", "decay at init", "decay trained", "shape (trained)",
              "‖∂L/∂h‖ far / near (trained)"]  # fmt: skip
    return Lesson(
        "gradient-flow", "Gradient flow through time", reading, [Table(header, rows)], figures
    )


def study_runs(runs: list[Run], study: str) -> list[Run]:
    return [run for run in runs if run.metrics.get("study") == study]


def activation_runs(runs: list[Run]) -> list[Run]:
    """The activation study's runs plus its tanh-with-clipping runs, which are the
    comparison's own rnn runs (same config, trained once) on the study's datasets and seeds."""
    study = study_runs(runs, "activations")
    cells = {(run.data, run.seed) for run in study}
    tanh = [
        run
        for run in runs
        if not run.metrics.get("study")
        and run.model == "rnn"
        and (run.data, run.seed) in cells
        and run.metrics.get("clip_gradients", True)
    ]
    return study + tanh


def _memory_metric(task: str) -> tuple[str, str, bool]:
    if task == "adding":
        return "test/mse", "test MSE (lower is better)", True
    return "test/recall_acc", "test recall accuracy (higher is better)", False


def _score(run: Run, key: str) -> float | None:
    """A study run's test value of `key` (not its monitor's), if it finished with one."""
    value = (run.metrics.get("test") or {}).get(key)
    return float(value) if run.metrics.get("status") == "finished" and finite(value) else None


def _cell(values: list[float]) -> str:
    if not values:
        return MISSING
    std = statistics.stdev(values) if len(values) > 1 else None
    return f"{spread(statistics.fmean(values), std)} (n={len(values)})"


def memory_section(runs: list[Run]) -> Lesson | None:
    """Final metric against T for adding and copy, with the trivial baselines."""
    grid: dict[str, dict[int, dict[str, list[float]]]] = {}
    failed = []
    for run in runs:
        if not (study := registry.memory_dataset(run.data)):
            continue
        task, length = study
        value = _score(run, _memory_metric(task)[0])
        if value is None:
            failed.append(f"{run.data}/{run.model}/{run.seed}: {run.reason or 'no result'}")
            continue
        grid.setdefault(task, {}).setdefault(length, {}).setdefault(run.model, []).append(value)
    if not grid and not failed:
        return None
    section = Lesson("long-memory", "Long-memory study: adding and copy against T", [])
    for task, by_length in sorted(grid.items()):
        _, label, log = _memory_metric(task)
        models = sorted({m for per in by_length.values() for m in per}, key=model_rank)
        rows = [
            [str(t), *(_cell(by_length[t].get(m, [])) for m in models)] for t in sorted(by_length)
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
                lesson_plots.memory_svg(task, label, series, baseline, log),
                f"{task}: mean ± std over seeds against T; dashed: the trivial baseline "
                f"({base_words}).",
            )
        )
        section.reading += memory_verdicts(task, by_length)
    section.reading += [f"Failed or unfinished: {'; '.join(failed)}."] if failed else []
    return section


def activations_section(runs: list[Run]) -> Lesson | None:
    """tanh vs ReLU vs IRNN, clipping on/off: explosions counted, results and failures."""
    if not runs:
        return None
    section = Lesson(
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
            steps = run.metrics.get("steps") or 0
            clipped = run.metrics.get("clipped_steps")
            share = clipped / steps if steps and isinstance(clipped, int) else None
            clip = bool(run.metrics.get("clip_gradients", True))
            plotted.append({"model": run.model, "clip": clip, "exploded_share": share,
                            "max_grad_norm": run.metrics.get("max_grad_norm")})  # fmt: skip
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
                lesson_plots.activations_svg(data, plotted),
                f"{data}: share of optimiser steps whose gradient norm exceeded task.grad_clip.",
            )
        )
    return section
