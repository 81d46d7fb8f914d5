"""The deploy lesson's figure, one per dataset: quality against time per streaming step and
against memory per stream (both on log axes, since the models span orders of magnitude),
each model a labelled point with its seed spread, the Pareto front drawn as a step line
(the best quality to be had at each budget) and its points ringed."""

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from seqbench.lessons.deploy.reading import KB, Board, Entry, fronts
from seqbench.page.svg import STYLE, colour, to_svg

FRONT = "#555555"


def _x(entry: Entry, axis: str, runtime: str) -> float | None:
    value = entry.axis(axis, runtime)
    return None if value is None else value / (KB if axis == "memory" else 1)


def deploy_svg(found: Board, runtime: str = "eager") -> str:
    """Two panels (step time, memory) of one dataset's measured models."""
    entries = found.measured
    models = list(dict.fromkeys(e.result.runs[0].model for e in entries))
    front = fronts(found, runtime)
    with rc_context(STYLE):
        fig = Figure(figsize=(11, 4.4), layout="constrained")
        panels = fig.subplots(1, 2, sharey=True)
        for ax, axis in zip(panels, ("step", "memory"), strict=True):
            placed = [(e, x) for e in entries if (x := _x(e, axis, runtime)) is not None]
            for entry, x in placed:
                tint = colour(entry.result.runs[0].model, models)
                ax.errorbar(x, entry.mean, yerr=entry.result.std or 0.0, fmt="o", color=tint,
                            capsize=3, markersize=5)  # fmt: skip
                ax.annotate(entry.label, (x, entry.mean), textcoords="offset points",
                            xytext=(5, 4), fontsize=8)  # fmt: skip
            on = sorted((x, e.mean) for e, x in placed if e.label in front[axis])
            if on:
                xs, ys = zip(*on, strict=True)
                ax.step(xs, ys, where="post", color=FRONT, linestyle="--", linewidth=1,
                        label="Pareto front")  # fmt: skip
                ax.plot(xs, ys, "o", markersize=13, markerfacecolor="none",
                        markeredgecolor=FRONT, linestyle="none")  # fmt: skip
                ax.legend(frameon=False, fontsize=8, loc="lower right")
            ax.set_xscale("log")  # ticks written out: the page's style draws no TeX
            ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
        panels[0].set_xlabel(f"time per streaming step (ms, median, {runtime}; log scale)")
        panels[1].set_xlabel("memory per stream: weights + state (kB; log scale)")
        panels[0].set_ylabel(f"{found.result.label()} ({found.result.better})")
        fig.suptitle(f"{found.data}: quality against on-device cost", fontsize=10)
        return to_svg(fig, f"deploy-{found.data}")
