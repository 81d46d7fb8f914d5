"""The context lesson's figure: loss by position from a zero state, and the loss increase
against the distance beyond which the context is replaced or shuffled (log x), one line
per model (mean over seeds) with the band from its lowest to its highest seed."""

from matplotlib import rc_context
from matplotlib.figure import Figure

from seqbench.lessons.context.aggregate import MODES, Band, ModelContext, bucket_losses
from seqbench.page.svg import BASELINE_STYLE, STYLE, colour, legend, to_svg

YTICKS = (-1, 0, 1, 10, 100)  # % on a symlog axis: text labels, no math text
TITLES = {"replace": "far text replaced", "shuffle": "far text shuffled"}


def _line(ax, xs: list[int], band: Band, tint: str, label: str, scale: float = 1.0) -> None:
    ax.plot(xs, [v * scale for v in band.mean], color=tint, marker=".", label=label)
    low, high = [v * scale for v in band.low], [v * scale for v in band.high]
    ax.fill_between(xs, low, high, color=tint, alpha=0.2, linewidth=0)


def _buckets(band: Band) -> tuple[list[str], Band]:
    """Loss by position as means over buckets that double in width (one position is too
    noisy to read), the band's edges bucketed the same way."""
    spans = bucket_losses(band.mean)
    labels = [str(a) if a == b else f"{a}-{b}" for a, b, _ in spans]
    means = [[mean for _, _, mean in bucket_losses(curve)] for curve in (band.low, band.high)]
    return labels, Band([mean for _, _, mean in spans], *means)


def context_svg(found: list[ModelContext], threshold: float) -> str:
    """Three panels: loss by position; % loss increase against d, replaced and shuffled."""
    names = [m.model for m in found]
    with rc_context(STYLE):
        fig = Figure(figsize=(12.8, 4.0), layout="constrained")
        position, *perturbed = fig.subplots(1, 1 + len(MODES))
        for m in found:
            tint = colour(m.model, names)
            labels, bucketed = _buckets(m.positions)
            _line(position, list(range(len(labels))), bucketed, tint, m.model)
            position.set_xticks(range(len(labels)), labels, fontsize=8)
            for ax, mode in zip(perturbed, MODES, strict=True):
                _line(ax, m.distances, m.relative[mode], tint, "", scale=100)
        position.set_xlabel("position in the window (= characters of context)")
        position.set_ylabel("test loss (nats/char)")
        position.set_title("loss by position, from a zero state", fontsize=10)
        for ax, mode in zip(perturbed, MODES, strict=True):
            ax.axhline(100 * threshold, **BASELINE_STYLE)
            ax.set_xscale("log", base=2)
            ax.set_yscale("symlog", linthresh=1)  # linear up to 1 %, where the threshold is
            ax.set_yticks(YTICKS, [f"{t:g}" for t in YTICKS])
            ticks = sorted({d for m in found for d in m.distances})
            ax.set_xticks(ticks, [str(d) for d in ticks])
            ax.set_xlabel("d: context kept intact (characters back)")
            ax.set_ylabel("last-character loss increase (%)")
            ax.set_title(f"{TITLES[mode]} beyond d (dashed: {threshold:.0%})", fontsize=9)
        legend(fig, position)
        return to_svg(fig, "context")
