"""The text-classification lesson's figure: every seed's test accuracy per model (the seed
spread), with the baselines' accuracy as dashed lines."""

from matplotlib import rc_context
from matplotlib.figure import Figure

from seqbench.lessons.text_classify.measure import Results
from seqbench.lessons.text_classify.reading import BASELINE_WORDS
from seqbench.page.svg import BASELINE_STYLE, STYLE, colour, legend, to_svg

DASHES = {"majority": "--", "bag_of_chars": ":"}


def text_svg(results: Results) -> str:
    models = list(results.acc)
    with rc_context(STYLE):
        fig = Figure(figsize=(6.4, 3.8), layout="constrained")
        ax = fig.subplots()
        for i, model in enumerate(models):
            values = results.acc[model]
            ax.scatter(
                [i] * len(values), values, color=colour(model, models), label=model, zorder=3
            )
            ax.hlines(sum(values) / len(values), i - 0.25, i + 0.25, color=colour(model, models))
        for name, scores in results.baselines.items():
            style = BASELINE_STYLE | {"linestyle": DASHES.get(name, "--")}
            ax.axhline(scores["acc"], **style, label=BASELINE_WORDS.get(name, name))
        ax.set_xticks(range(len(models)), models)
        ax.set_ylabel("test accuracy")
        ax.set_title(f"{results.data}: each seed (dot) and the mean (bar)", fontsize=10)
        legend(fig, ax, ncol=4)
        return to_svg(fig, f"text-{results.data}")
