"""The activation lesson's figure: per RNN variant, the share of exploding-gradient steps
with clipping on and off."""

from matplotlib import rc_context
from matplotlib.figure import Figure

from seqbench.page.svg import STYLE, legend, to_svg


def activations_svg(data: str, rows: list[dict]) -> str:
    """Per RNN variant: steps whose gradient norm exceeded the threshold, clipping on/off."""
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.0), layout="constrained")
        ax = fig.subplots()
        ax.grid(axis="x", visible=False)
        variants = sorted({row["model"] for row in rows}, key=[r["model"] for r in rows].index)
        for offset, clip, tint in ((-0.2, True, "#0072B2"), (0.2, False, "#D55E00")):
            for x, variant in enumerate(variants):
                match = [r for r in rows if r["model"] == variant and r["clip"] is clip]
                share = match[0]["exploded_share"] if match else None
                if share is None:
                    continue
                label = f"clipping {'on' if clip else 'off'}" if x == 0 else None
                ax.bar(x + offset, 100 * share, width=0.38, color=tint, label=label, zorder=2)
                ax.annotate(
                    f"{100 * share:.0f}%",
                    (x + offset, 100 * share),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    xytext=(0, 2),
                    textcoords="offset points",
                )
        ax.set_xticks(range(len(variants)), variants)
        ax.set_ylabel("steps with ‖g‖ > grad_clip (%)")
        ax.set_title(f"{data}: exploding-gradient steps", fontsize=10)
        legend(fig, ax)
        return to_svg(fig, f"activations-{data}")
