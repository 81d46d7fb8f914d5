"""The anomaly lesson's figure: test AUROC per model (bar: mean over seeds, dots: each seed)
with the z-score and last-value baselines as lines."""

from matplotlib import rc_context
from matplotlib.figure import Figure

from seqbench.lessons.anomaly.measure import BASELINES, Detection
from seqbench.lessons.anomaly.reading import baseline_auroc, mean
from seqbench.page.svg import BASELINE_STYLE, STYLE, colour, legend, to_svg

LINES = {"zscore": ":", "last_value": "--"}


def anomaly_svg(detection: Detection) -> str:
    models = list(detection.values)
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.0), layout="constrained")
        ax = fig.subplots()
        for i, model in enumerate(models):
            seeds = detection.of(model, "auroc")
            ax.bar(i, mean(seeds) or 0.0, color=colour(model, models), alpha=0.7, label=model)
            ax.plot([i] * len(seeds), seeds, "o", color="#222222", markersize=3)
        for name, words in BASELINES.items():
            value = baseline_auroc(detection, name)
            if value is not None:
                style = BASELINE_STYLE | {"linestyle": LINES[name]}
                ax.axhline(value, **style, label=words)
        ax.axhline(0.5, color="#bbbbbb", linewidth=0.8)
        ax.set_xticks(range(len(models)), models, rotation=30)
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("test AUROC")
        ax.set_title(f"{detection.data}: anomaly AUROC by model (dots: seeds)", fontsize=10)
        legend(fig, ax, ncol=3)
        return to_svg(fig, f"anomaly-{detection.data}")
