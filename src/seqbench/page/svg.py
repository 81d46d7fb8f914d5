"""Figures as inline SVG strings, in one style and one palette for every section.

Inline SVG keeps the page one self-contained file: no image files beside it, no fonts or
scripts from the network (text stays text, drawn with the reader's sans-serif font). The
object-oriented matplotlib API (Figure, not pyplot) needs no GUI backend and no global state.
"""

import io
import re

from matplotlib.figure import Figure

from seqbench.page.safe import identifier, visible

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
MODEL_COLOURS = {  # the paper models (seqbench.models.MODELS), each always in its own colour
    "rnn": "#E69F00",
    "lstm": "#0072B2",
    "gru": "#009E73",
    "transformer": "#CC79A7",
}
SPARE_COLOURS = ("#D55E00", "#56B4E9", "#000000", "#F0E442")
BASELINE_STYLE = {"color": "#555555", "linestyle": "--", "linewidth": 1.3}
STYLE = {
    "svg.fonttype": "none",  # real <text>, not glyph paths: smaller, selectable
    "svg.hashsalt": "seqbench",  # stable ids, so the same runs give the same file
    "text.parse_math": False,  # a "$" in a run's name is a dollar sign, not TeX to parse
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
}


def colour(model: str, models: list[str]) -> str:
    """A paper model's own colour; any other model a spare one, by its place among ``models``."""
    if model in MODEL_COLOURS:
        return MODEL_COLOURS[model]
    others = [m for m in models if m not in MODEL_COLOURS]
    return SPARE_COLOURS[others.index(model) % len(SPARE_COLOURS)] if model in others else "#000"


def to_svg(fig: Figure, name: str) -> str:
    """The figure as an <svg> element for inlining in HTML.

    Drops the XML prologue, DOCTYPE, RDF metadata (their namespace URLs look like network
    references and HTML does not need them), comments (they repeat every label) and the
    <style> element (the page's CSS carries its one rule; the page's CSP admits no other),
    and prefixes every id with a safe identifier made from ``name`` (a dataset or model name
    from the runs: never written raw into markup), so several figures on one page cannot
    collide. Invisible direction controls in labels are written out (page/safe.py).
    """
    prefix = identifier(name)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    svg = re.sub(r"<style[^>]*>.*?</style>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    return visible(svg.strip())


def legend(fig: Figure, ax, ncol: int = 5) -> None:
    """The axes' legend above the figure, in up to ``ncol`` columns; none without handles."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ncol = min(len(handles), ncol)
        fig.legend(handles, labels, loc="outside upper center", ncol=ncol, frameon=False)
