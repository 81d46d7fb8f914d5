"""The exposure-bias lesson's figure: loss on real text under teacher forcing against loss
on the model's own free-running samples."""

from matplotlib import rc_context
from matplotlib.figure import Figure

from seqbench.page.svg import STYLE, legend, to_svg


def exposure_svg(models: dict[str, dict]) -> str:
    """Teacher-forced loss on real text vs the model's loss on its own free-running text."""
    keys = (
        ("teacher_forced_loss", "real text, teacher forcing", "#0072B2"),
        ("self_loss", "own samples (T=1.0)", "#D55E00"),
    )
    names = list(models)
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.0), layout="constrained")
        ax = fig.subplots()
        ax.grid(axis="x", visible=False)
        for i, (key, label, tint) in enumerate(keys):
            xs = [x + (i - 0.5) * 0.38 for x in range(len(names))]
            ax.bar(xs, [models[n].get(key) or 0 for n in names], 0.38, color=tint, label=label)
        ax.set_xticks(range(len(names)), names)
        ax.set_ylabel("loss (nats/char)")
        ax.set_title("exposure bias: what the model sees vs what it makes", fontsize=10)
        legend(fig, ax)
        return to_svg(fig, "exposure")
