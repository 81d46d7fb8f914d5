"""The comparison's figures: validation curves and test-metric bars per dataset, drawn with
the page kit's style, colours and inline SVG (:mod:`seqbench.page.svg`)."""

import statistics

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from seqbench.page.formats import spread
from seqbench.page.svg import BASELINE_STYLE, STYLE, colour, to_svg
from seqbench.report.results import (
    STEP_AXIS,
    TIME_AXIS,
    DatasetResult,
    ModelResult,
    metric_words,
)


def _mean_curve(model: ModelResult, column: str) -> tuple[list[float], list[float], list[float]]:
    """Steps, mean wall-clock seconds and mean metric at the steps every seed recorded."""
    per_step: dict[float, list[tuple[float, float]]] = {}
    for run in model.good:
        for row in run.curves:
            if column in row and "step" in row:
                per_step.setdefault(row["step"], []).append((row.get("time_s", 0.0), row[column]))
    steps = sorted(s for s, points in per_step.items() if len(points) == len(model.good))
    times = [statistics.fmean(t for t, _ in per_step[s]) for s in steps]
    values = [statistics.fmean(v for _, v in per_step[s]) for s in steps]
    return steps, times, values


def curves_svg(result: DatasetResult) -> str:
    """Validation metric vs step and vs wall-clock seconds, every model overlaid.

    Each seed is a thin line; with several seeds a thick line is their mean.
    """
    column = result.monitor
    names = [m.model for m in result.models]
    with rc_context(STYLE):
        fig = Figure(figsize=(11, 4.2), layout="constrained")
        by_step, by_time = fig.subplots(1, 2, sharey=True)
        drawn = False
        for model in result.models:
            tint = colour(model.model, names)
            runs = [r for r in model.good if any(column in row for row in r.curves)]
            many = len(runs) > 1
            for run in runs:
                rows = [row for row in run.curves if column in row]
                xs, ts = [r.get("step", 0) for r in rows], [r.get("time_s", 0) for r in rows]
                ys = [r[column] for r in rows]
                style = {"color": tint, "alpha": 0.45 if many else 1.0, "marker": "o"}
                style |= {"linewidth": 1.2 if many else 2.0, "markersize": 3 if many else 4}
                label = None if many else f"{model.model} (1 seed)"
                by_step.plot(xs, ys, label=label, **style)
                by_time.plot(ts, ys, **style)
                drawn = True
            if many:
                steps, times, values = _mean_curve(model, column)
                style = {"color": tint, "linewidth": 2.2, "marker": "o", "markersize": 4}
                by_step.plot(steps, values, label=f"{model.model} (mean of {len(runs)})", **style)
                by_time.plot(times, values, **style)
        if result.baseline_applies:
            for ax in (by_step, by_time):
                ax.axhline(result.baseline, **BASELINE_STYLE, label="trivial baseline")
        if not drawn:
            for ax in (by_step, by_time):
                ax.text(
                    0.5,
                    0.5,
                    "no validation curves recorded",
                    ha="center",
                    transform=ax.transAxes,
                    color="#777777",
                )
        by_step.xaxis.set_major_locator(MaxNLocator(integer=True))
        by_step.set_xlabel(STEP_AXIS)
        by_time.set_xlabel(TIME_AXIS)
        by_step.set_ylabel(f"{result.label('val')}\n({result.better})")
        by_step.set_title("vs training step", fontsize=10)
        by_time.set_title("vs wall-clock time", fontsize=10)
        handles, labels = by_step.get_legend_handles_labels()
        if handles:
            fig.legend(
                handles,
                labels,
                loc="outside upper center",
                ncol=min(len(handles), 5),
                frameon=False,
            )
        svg = to_svg(fig, f"curves-{result.data}")
    return svg


def bars_svg(result: DatasetResult) -> str:
    """The main test metric per model: mean over seeds, ±1 std error bars, dashed baseline."""
    names = [m.model for m in result.models]
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.2), layout="constrained")
        ax = fig.subplots()
        ax.grid(axis="x", visible=False)
        xs = list(range(len(result.models)))
        ticks = []
        tops = [0.0]
        for x, model in zip(xs, result.models, strict=True):
            tint = colour(model.model, names)
            if model.mean is None:
                ticks.append(f"{model.model}\n(failed)")
                ax.text(x, 0, "failed", ha="center", va="bottom", color="#b00020", fontsize=9)
                continue
            ticks.append(f"{model.model}\n(n={model.n})")
            error = model.std or 0.0
            ax.bar(x, model.mean, width=0.6, color=tint, alpha=0.9, zorder=2)
            if model.std is not None:
                ax.errorbar(x, model.mean, yerr=error, color="#222222", capsize=6, zorder=3)
            top = model.mean + error
            tops.append(top)
            ax.annotate(
                spread(model.mean, model.std),
                (x, top),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=9,
            )
        if result.baseline_applies:
            ax.axhline(result.baseline, **BASELINE_STYLE, label="trivial baseline", zorder=4)
            tops.append(result.baseline)
            ax.legend(loc="upper right", frameon=False, fontsize=9)
        ax.set_xticks(xs, ticks)
        ax.set_xlim(-0.6, len(xs) - 0.4)
        ax.set_ylim(0, max(tops) * 1.18 or 1.0)
        ax.set_ylabel(f"{result.label('test')}\n({result.better})")
        ax.set_title(
            f"{result.data}: test {metric_words(result.monitor, result.kind)}", fontsize=10
        )
        svg = to_svg(fig, f"bars-{result.data}")
    return svg
