"""The abilities lesson's figure: accuracy against test length (training range shaded) or
against the number of key-value pairs (each model's state size in its label)."""

from matplotlib import rc_context
from matplotlib.figure import Figure

from seqbench.lessons.abilities.measure import Probe
from seqbench.lessons.abilities.reading import group_means, group_words
from seqbench.page.svg import BASELINE_STYLE, STYLE, colour, legend, to_svg


def ability_svg(probe: Probe) -> str:
    """Mean test accuracy per group and model, over seeds; chance dashed."""
    models = list(probe.by_group)
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.3), layout="constrained")
        ax = fig.subplots()
        for model in models:
            label = model
            if probe.group_by == "answers" and model in probe.state_floats:
                label = f"{model} (state {probe.state_floats[model]:,} floats)"
            points = [
                (g, m) for g, m in zip(probe.groups, group_means(probe, model), strict=True) if m
            ]
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, color=colour(model, models), marker="o", label=label)
        if probe.group_by == "length":
            ax.axvspan(min(probe.groups[0], probe.train_length), probe.train_length, alpha=0.12)
        ax.axhline(probe.chance, **BASELINE_STYLE, label="chance")
        ax.set_xscale("log", base=2)
        ax.set_xticks(probe.groups, [str(g) for g in probe.groups])
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("test length" if probe.group_by == "length" else "key-value pairs")
        ax.set_ylabel("test accuracy (answers exactly right)")
        ax.set_title(f"{probe.name}: accuracy against {group_words(probe)}", fontsize=10)
        legend(fig, ax, ncol=3)
        return to_svg(fig, f"ability-{probe.name}")
