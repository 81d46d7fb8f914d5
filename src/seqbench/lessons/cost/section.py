"""The cost-against-T lesson (``seqbench cost-bench``) as a page section: a table, a log-log
figure with the fitted exponents, and sentences that say only what the exponents show.

The exponents are refitted here from the file's rows (lessons.cost.measure.fit_all, the
benchmark's own fit), so the figure, the table and the sentences always describe the same
numbers."""

from pathlib import Path

from seqbench.lessons.cost.figure import cost_svg
from seqbench.lessons.cost.measure import exponent_text, fit_all, fit_lengths
from seqbench.lessons.cost.reading import setting, verdict
from seqbench.lessons.sources import read_json
from seqbench.models import model_rank
from seqbench.page.parts import Figure, Section, Table
from seqbench.rundir.run import Run

COST_FILE = "cost.json"


def _table(rows: list[dict], fits: dict[str, dict]) -> Table:
    body = []
    for model, fit in fits.items():
        mine = sorted((r for r in rows if r["model"] == model), key=lambda r: r["T"])
        a, b = mine[0], mine[-1]
        body.append(
            [
                model,
                str(a.get("num_parameters", "–")),
                f"{a['step_ms']:.1f} → {b['step_ms']:.1f}",
                f"{a['memory_bytes'] / 2**20:.2f} → {b['memory_bytes'] / 2**20:.2f}",
                exponent_text(fit["time"]),
                exponent_text(fit["memory"]),
                exponent_text(fit.get("time_longest_two")),
            ]
        )
    header = ["model", "parameters", "step time (ms)", "memory (MiB)", "time exponent",
              "memory exponent", "time exponent, two longest T"]  # fmt: skip
    lengths = sorted({r["T"] for r in rows})
    return Table(header, body, caption=f"T = {lengths[0]} → {lengths[-1]}")


def _complete(row: object) -> bool:
    """A row the section can plot: a file from another version may lack or mistype keys."""
    numbers = ("T", "step_ms", "memory_bytes")
    return (
        isinstance(row, dict)
        and isinstance(row.get("model"), str)
        and all(isinstance(row.get(k), int | float) and row[k] > 0 for k in numbers)
    )


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from cost.json; None when the file is absent or holds no rows."""
    found = read_json(Path(lessons_dir) / COST_FILE)
    rows = [r for r in (found or {}).get("rows") or [] if _complete(r)]
    if not rows:
        return None
    rows.sort(key=lambda r: model_rank(r["model"]))
    fitted = found.get("fit_lengths") or fit_lengths(r["T"] for r in rows)
    fits = fit_all(rows, fitted)
    reading = [
        setting(found),
        "A recurrent model does the same work at every time step, so its cost should grow "
        "about as T; self-attention compares each position with every earlier one, a T² term "
        "that dominates once T is long. Exponents k of cost ∝ T^k are least-squares fits on "
        f"log-log axes over T = {', '.join(map(str, fitted))} (the longer lengths, where fixed "
        "per-step overheads weigh least); ± one standard error.",
        verdict("time", fits),
        verdict("memory", fits),
    ]
    figure = Figure(
        "cost",
        cost_svg(rows, fits, list(fitted), found.get("memory_measure", "")),
        "Training step time and memory against sequence length T (log-log), fitted "
        "exponents in the legends.",
        wide=True,
    )
    return Section(
        "cost",
        "Cost against sequence length: training steps",
        [line for line in reading if line],
        [_table(rows, fits)],
        [figure],
    )
