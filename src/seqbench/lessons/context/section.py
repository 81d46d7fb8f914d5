"""The context lesson as a page section, from the file ``seqbench context`` writes: per model
its loss by position and effective context over seeds, a figure, and the reading."""

from pathlib import Path

from seqbench.lessons.context.aggregate import (
    bucket_losses,
    models,
    setting,
    settles_at,
    threshold,
)
from seqbench.lessons.context.figure import context_svg
from seqbench.lessons.context.reading import context_reading, span
from seqbench.lessons.sources import read_json
from seqbench.page.formats import number
from seqbench.page.parts import Figure, Section, Table
from seqbench.rundir.run import Run

CONTEXT_FILE = "context.json"
HEADER = ["model", "seeds", "loss at position 0", "loss at the window's end",
          "within 1 % from position", "effective context, replaced",
          "effective context, shuffled"]  # fmt: skip


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from context.json (``seqbench context``); None without a usable model."""
    found_file = read_json(Path(lessons_dir) / CONTEXT_FILE)
    found = models(found_file)
    if not found:
        return None
    within = threshold(found_file)
    rows = []
    for m in found:
        spans = bucket_losses(m.positions.mean)
        rows.append(
            [
                m.model,
                str(len(m.seeds)),
                number(spans[0][2]),
                f"{number(spans[-1][2])} ({spans[-1][0]}-{spans[-1][1]})",
                str(settles_at(m.positions.mean, within)),
                span(m.effective["replace"], m.window),
                span(m.effective["shuffle"], m.window),
            ]
        )
    header = [h.replace("1 %", f"{within:.0%}") for h in HEADER]
    caption = (
        f"{found_file.get('data', '')} test split, {setting(found_file, 'windows')} windows; "
        "losses are means over seeds"
    )
    return Section(
        "context",
        "How far back does each model look?",
        context_reading(found_file),
        [Table(header, rows, caption=caption, numeric=frozenset({1, 2, 3, 4}))],
        [
            Figure(
                "context",
                context_svg(found, within),
                "Left: test loss by position from a zero state. Middle and right: the loss "
                "increase of the last character when the context farther than d characters "
                "back is replaced or shuffled, as a share of its loss; lines are means over "
                "seeds, bands span the lowest to the highest seed.",
                wide=True,
            )
        ],
    )
