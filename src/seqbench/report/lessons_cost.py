"""The cost-against-T lesson (``seqbench cost-bench``) as a report section: a table, a log-log
figure with the fitted exponents, and sentences that say only what the exponents show.

The exponents are refitted here from the file's rows (lessons.cost.fit_all, the benchmark's
own fit), so the figure, the table and the sentences always describe the same numbers.
"""

import math
from pathlib import Path

from matplotlib import rc_context
from matplotlib.figure import Figure as MplFigure

from seqbench.lessons.cost import exponent_text, fit_all, fit_lengths
from seqbench.report.lessons_text import _load  # one reader for every lesson file
from seqbench.report.page import Figure, Lesson
from seqbench.report.plots import STYLE, colour, to_svg
from seqbench.report.results import model_rank
from seqbench.report.tables import Table

COST_FILE = "cost.json"
ATTENTION = "transformer"
MARGIN = 0.1  # an exponent difference smaller than this is not worth a sentence
FUSED = (
    " A fused attention kernel, such as the scaled_dot_product_attention the Transformer "
    "calls, need not keep the T×T attention weights for the backward pass."
)


def steeper(fit: dict | None, other: dict | None) -> bool | None:
    """Whether ``fit``'s exponent is measurably larger than ``other``'s: by more than twice
    their combined standard error and by at least MARGIN. None when either lacks an error
    estimate (fitted through two points) or is missing: then nothing can be said."""
    if not fit or not other or fit.get("stderr") is None or other.get("stderr") is None:
        return None
    gap = fit["exponent"] - other["exponent"]
    return gap > max(MARGIN, 2 * math.hypot(fit["stderr"], other["stderr"]))


def verdict(kind: str, fits: dict[str, dict]) -> str:
    """One sentence: does attention's ``kind`` ("time" or "memory") exponent exceed every
    recurrent model's, measurably? Empty without a Transformer and a recurrent model."""
    recurrent = {m: f[kind] for m, f in fits.items() if m != ATTENTION and f.get(kind)}
    attention = (fits.get(ATTENTION) or {}).get(kind)
    if not recurrent or not attention:
        return ""
    what = {"time": "step time", "memory": "memory"}[kind]
    others = ", ".join(f"{m} {exponent_text(f)}" for m, f in recurrent.items())
    judged = [steeper(attention, f) for f in recurrent.values()]
    mine = f"attention's {what} exponent {exponent_text(attention)}"
    if any(j is None for j in judged):
        return (
            f"The {what} exponents ({mine}; {others}) come from two lengths and carry no "
            "error estimate, so they are not compared; fit over more lengths to compare them."
        )
    mine = mine[0].upper() + mine[1:]
    if all(judged):
        return (
            f"{mine} is measurably larger than every recurrent model's ({others}): "
            f"attention's {what} grows faster with T."
        )
    level = [m for m, j in zip(recurrent, judged, strict=True) if not j]
    said = (
        f"{mine} is not measurably larger than that of {', '.join(level)} ({others}): over "
        f"these lengths the measurements do not show attention's {what} growing faster."
    )
    return said + (FUSED if kind == "memory" else "")


def cost_svg(rows: list[dict], fits: dict[str, dict], fitted: list[int], memory: str) -> str:
    """Step time and memory against T, log-log, one line per model; exponents in the legends,
    the fitted range shaded."""
    models = list(fits)
    with rc_context(STYLE):
        fig = MplFigure(figsize=(11, 4.2), layout="constrained")
        panels = fig.subplots(1, 2)
        for ax, key, kind in zip(panels, ("step_ms", "memory_bytes"), ("time", "memory"),
                                 strict=True):  # fmt: skip
            for model in models:
                mine = sorted((r for r in rows if r["model"] == model), key=lambda r: r["T"])
                ys = [r[key] / (2**20 if kind == "memory" else 1) for r in mine]
                label = f"{model} (T^{exponent_text(fits[model][kind])})"
                tint = colour(model, models)
                ax.plot([r["T"] for r in mine], ys, "o-", color=tint, label=label, markersize=4)
            if len(fitted) >= 2:
                ax.axvspan(fitted[0], fitted[-1], color="#000000", alpha=0.05, linewidth=0)
            ax.set_xscale("log", base=2)
            lengths = sorted({r["T"] for r in rows})
            ax.set_xticks(lengths, [str(t) for t in lengths])
            ax.minorticks_off()
            ax.set_yscale("log")
            ax.set_xlabel("sequence length T (shaded: exponents fitted here)")
            ax.legend(frameon=False, fontsize=8)
        panels[0].set_ylabel("training step time (ms, median)")
        panels[1].set_ylabel("memory (MiB)")
        panels[1].set_title(memory, fontsize=8)
        return to_svg(fig, "cost")


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


def _setting(found: dict) -> str:
    """What was measured and how, from the file's own record of it."""
    threads = found.get("threads")
    where = found.get("device", "cpu") + (f", {_count(threads, 'thread')}" if threads else "")
    return (
        f"Each model, sized to the same parameter budget as in training, takes full training "
        f"steps ({found.get('step', 'forward, backward, optimiser update')}) on a batch of "
        f"{found.get('batch_size', '?')} sensor windows of T steps ({where}); a step's time is "
        f"the median of {_count(found.get('timed_steps'), 'timed step')} after "
        f"{_count(found.get('warmup_steps'), 'warm-up step')}. "
        f"Memory: {found.get('memory_measure', 'as recorded')}."
    )


def _count(n: object, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _complete(row: object) -> bool:
    """A row the section can plot: a file from another version may lack or mistype keys."""
    numbers = ("T", "step_ms", "memory_bytes")
    return (
        isinstance(row, dict)
        and isinstance(row.get("model"), str)
        and all(isinstance(row.get(k), int | float) and row[k] > 0 for k in numbers)
    )


def cost_section(lessons_dir: Path) -> Lesson | None:
    """The lesson from cost.json; None when the file is absent or holds no rows."""
    found = _load(Path(lessons_dir) / COST_FILE)
    rows = [r for r in (found or {}).get("rows") or [] if _complete(r)]
    if not rows:
        return None
    rows.sort(key=lambda r: model_rank(r["model"]))
    fitted = found.get("fit_lengths") or fit_lengths(r["T"] for r in rows)
    fits = fit_all(rows, fitted)
    reading = [
        _setting(found),
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
    return Lesson(
        "cost",
        "Cost against sequence length: training steps",
        [line for line in reading if line],
        [_table(rows, fits)],
        [figure],
    )
