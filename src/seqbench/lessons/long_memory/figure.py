"""The long-memory lesson's figure: a test metric against sequence length T per model."""

from matplotlib import rc_context
from matplotlib.figure import Figure

from seqbench.page.svg import BASELINE_STYLE, STYLE, colour, legend, to_svg


def memory_svg(
    task: str,
    label: str,
    series: dict[str, list[tuple[int, float, float]]],
    baseline: float,
    log: bool,
) -> str:
    """A test metric against sequence length T per model (mean ± std over seeds)."""
    models = list(series)
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.3), layout="constrained")
        ax = fig.subplots()
        lengths = sorted({t for points in series.values() for t, _, _ in points})
        for model, points in series.items():
            ts, means, stds = zip(*sorted(points), strict=True)
            tint = colour(model, models)
            ax.errorbar(ts, means, yerr=stds, color=tint, marker="o", capsize=4, label=model)
        ax.axhline(baseline, **BASELINE_STYLE, label="trivial baseline")
        if log:
            ax.set_yscale("log")
        ax.set_xscale("log", base=2)
        ax.set_xticks(lengths, [str(t) for t in lengths])
        ax.set_xlabel("sequence length T")
        ax.set_ylabel(label)
        ax.set_title(f"{task}: {label} against T", fontsize=10)
        legend(fig, ax)
        return to_svg(fig, f"memory-{task}")
