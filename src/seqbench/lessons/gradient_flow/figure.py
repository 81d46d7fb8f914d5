"""The gradient-flow lesson's figure: ‖∂L/∂h_t‖ against distance from the loss, per model."""

from matplotlib import rc_context
from matplotlib.figure import Figure

from seqbench.page.svg import STYLE, colour, legend, to_svg

Profile = list[tuple[float, float]]  # (distance from the loss, ‖∂L/∂h‖)


def gradient_flow_svg(name: str, profiles: dict[str, dict[str, Profile]]) -> str:
    """‖∂L/∂h_t‖ (log) against distance from the loss; solid trained, dashed at init."""
    models = list(profiles)
    with rc_context(STYLE):
        fig = Figure(figsize=(6.6, 4.3), layout="constrained")
        ax = fig.subplots()
        for model, by_stage in profiles.items():
            for stage, style in (("trained", "-"), ("init", "--")):
                points = [(d, n) for d, n in by_stage.get(stage, []) if n > 0]
                if points:
                    xs, ys = zip(*points, strict=True)
                    label = f"{model} ({stage})"
                    ax.plot(xs, ys, style, color=colour(model, models), label=label, linewidth=1.6)
        ax.set_yscale("log")
        ax.set_xlabel("distance from the loss (time steps)")
        ax.set_ylabel("‖∂L/∂h_t‖ (mean over 16 sequences)")
        ax.set_title(name, fontsize=10)
        legend(fig, ax, ncol=4)
        return to_svg(fig, f"gradflow-{name}")
