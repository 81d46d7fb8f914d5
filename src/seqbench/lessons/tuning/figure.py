"""The tuning lesson's figure: per model, the grid's validation values against the learning
rate (log scale), one line per weight decay, the chosen setting ringed."""

import math

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from seqbench.lessons.tuning.measure import Tuned, grid_points
from seqbench.page.svg import SPARE_COLOURS, STYLE, to_svg


def grid_svg(data: str, cells: list[Tuned]) -> str:
    """One panel per model with a choice.json: best validation value per grid setting."""
    cells = [cell for cell in cells if cell.choice and grid_points(cell.choice)]
    columns = min(4, len(cells))
    rows = math.ceil(len(cells) / columns)
    with rc_context(STYLE):
        fig = Figure(figsize=(3.2 * columns, 2.9 * rows + 0.4), layout="constrained")
        axes = fig.subplots(rows, columns, squeeze=False).ravel()
        for ax, cell in zip(axes, cells, strict=False):
            choice = cell.choice
            for i, (wd, points) in enumerate(grid_points(choice).items()):
                lrs, values = zip(*points, strict=True)
                tint = SPARE_COLOURS[i % len(SPARE_COLOURS)]
                ax.plot(lrs, values, marker="o", color=tint, label=f"weight decay {wd:g}")
            if cell.chosen and isinstance(choice["chosen"].get("best_val"), int | float):
                ax.plot(cell.chosen[0], choice["chosen"]["best_val"], marker="o", markersize=14,
                        markerfacecolor="none", markeredgecolor="#000000", linestyle="none",
                        label="chosen")  # fmt: skip
            ax.set_xscale("log")  # ticks written out: the page's style draws no TeX
            lrs_all = sorted({lr for points in grid_points(choice).values() for lr, _ in points})
            ax.set_xticks(lrs_all, [f"{lr:g}" for lr in lrs_all])
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel("learning rate")
            ax.set_ylabel(f"best {choice.get('monitor', 'validation')}")
            ax.set_title(f"{cell.model} ({'lower' if choice.get('mode') == 'min' else 'higher'}"
                         " is better)", fontsize=9)  # fmt: skip
            ax.legend(fontsize=7)
        for ax in axes[len(cells) :]:
            ax.set_visible(False)
        fig.suptitle(f"{data}: the grid at the tune seed", fontsize=10)
        return to_svg(fig, f"tuning-{data}")
