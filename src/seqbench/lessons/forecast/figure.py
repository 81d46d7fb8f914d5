"""The forecasting lesson's figure: test MSE at each horizon step per model (mean over
seeds), the baselines dashed or dotted."""

from matplotlib import rc_context
from matplotlib.figure import Figure

from seqbench.lessons.forecast.measure import Dataset
from seqbench.lessons.forecast.reading import WORDS
from seqbench.page.svg import STYLE, colour, legend, to_svg

LINES = {"last_value": "--", "seasonal_naive": ":", "linear": "-."}


def mean_curve(curves: list[list[float]]) -> list[float]:
    """Step-wise mean over seeds (curves of equal length; shorter ones are left out)."""
    length = max((len(c) for c in curves), default=0)
    full = [c for c in curves if len(c) == length and all(v is not None for v in c)]
    return [sum(c[i] for c in full) / len(full) for i in range(length)] if full else []


def horizon_svg(data: Dataset) -> str:
    models = list(data.by_horizon)
    steps = list(range(1, data.horizon + 1))
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.3), layout="constrained")
        ax = fig.subplots()
        for model in models:
            curve = mean_curve(data.by_horizon[model])
            if len(curve) == len(steps):
                ax.plot(steps, curve, color=colour(model, models), label=model)
        for name, result in data.baselines.items():
            curve = result.get("mse_by_horizon") or []
            if len(curve) == len(steps):
                style = {"color": "#555555", "linewidth": 1.3, "linestyle": LINES.get(name, "--")}
                ax.plot(steps, curve, **style, label=WORDS.get(name, name))
        ax.set_xlabel("steps ahead")
        ax.set_ylabel("test MSE (normalised scale)")
        ax.set_title(f"{data.name}: error against the horizon", fontsize=10)
        legend(fig, ax, ncol=3)
        return to_svg(fig, f"forecast-{data.name}")
