"""The streaming lesson as a page section, from the file ``seqbench stream-bench`` writes:
latency and state at the first and last position, a figure, and the reading."""

from pathlib import Path

from seqbench.lessons.sources import read_json
from seqbench.lessons.streaming.figure import streaming_svg
from seqbench.lessons.streaming.reading import streaming_caption, streaming_reading
from seqbench.page.formats import number
from seqbench.page.parts import Figure, Section, Table
from seqbench.rundir.run import Run

STREAMING_FILE = "streaming.json"


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from streaming.json (``seqbench stream-bench``); None without rows."""
    found = read_json(Path(lessons_dir) / STREAMING_FILE)
    rows = (found or {}).get("rows") or []
    if not rows:
        return None
    table = []
    for model in dict.fromkeys(row["model"] for row in rows):
        mine = [r for r in rows if r["model"] == model]
        first, last = mine[0], mine[-1]
        table.append(
            [
                model,
                str(first.get("num_parameters", "–")),
                f"{number(first['latency_ms'])} → {number(last['latency_ms'])}",
                f"{first['state_bytes']:,} → {last['state_bytes']:,}",
            ]
        )
    positions = rows[-1]["position"]
    return Section(
        "streaming",
        "Streaming: one time step at a time",
        streaming_reading(found),
        [
            Table(
                ["model", "parameters", "latency per step (ms)", "state (bytes)"],
                table,
                caption=f"positions 1 → {positions}",
            )
        ],
        [
            Figure(
                "streaming",
                streaming_svg(rows),
                streaming_caption(found),
                wide=True,
            )
        ],
    )
