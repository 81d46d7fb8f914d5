"""The cost lesson's figure: step time and memory against T, log-log, the fitted exponents
in the legends and the fitted range shaded."""

from matplotlib import rc_context
from matplotlib.figure import Figure as MplFigure

from seqbench.lessons.cost.measure import exponent_text
from seqbench.page.svg import STYLE, colour, to_svg


def cost_svg(rows: list[dict], fits: dict[str, dict], fitted: list[int], memory: str) -> str:
    """Step time and memory against T, log-log, one line per model; exponents in the legends,
    the fitted range shaded."""
    models = list(fits)
    with rc_context(STYLE):
        fig = MplFigure(figsize=(11, 4.2), layout="constrained")
        panels = fig.subplots(1, 2)
        for ax, key, kind in zip(panels, ("step_ms", "memory_bytes"), ("time", "memory"),
                                 strict=True):  # fmt: skip
            for model in models:
                mine = sorted((r for r in rows if r["model"] == model), key=lambda r: r["T"])
                ys = [r[key] / (2**20 if kind == "memory" else 1) for r in mine]
                label = f"{model} (T^{exponent_text(fits[model][kind])})"
                tint = colour(model, models)
                ax.plot([r["T"] for r in mine], ys, "o-", color=tint, label=label, markersize=4)
            if len(fitted) >= 2:
                ax.axvspan(fitted[0], fitted[-1], color="#000000", alpha=0.05, linewidth=0)
            ax.set_xscale("log", base=2)
            lengths = sorted({r["T"] for r in rows})
            ax.set_xticks(lengths, [str(t) for t in lengths])
            ax.minorticks_off()
            ax.set_yscale("log")
            ax.set_xlabel("sequence length T (shaded: exponents fitted here)")
            ax.legend(frameon=False, fontsize=8)
        panels[0].set_ylabel("training step time (ms, median)")
        panels[1].set_ylabel("memory (MiB)")
        panels[1].set_title(memory, fontsize=8)
        return to_svg(fig, "cost")
