"""The deploy lesson as a page section: per dataset whose runs were measured on a device
(deploy.json), a table of each model's cost beside its quality with the Pareto fronts
marked, the figure, and the sentence naming the simplest model not separable from the best
(or why none is named)."""

from pathlib import Path

from seqbench.lessons.deploy.figure import deploy_svg
from seqbench.lessons.deploy.reading import KB, Board, Entry, dataset_reading, fronts, measured
from seqbench.lessons.deploy.record import DEPLOY, Timing
from seqbench.page.formats import MISSING, count, number
from seqbench.page.parts import Figure, Section, Table
from seqbench.report.formatting import mean_std
from seqbench.rundir.run import Run

HOW = (
    "Each trained run was measured by `seqbench deploy`: its parameters and the bytes of its "
    "weights, the bytes of streaming state it carries per stream after a full window (and "
    "how much that grows per further step: a key/value cache does), and the time of one "
    "streaming step at batch 1 on one CPU thread, median and 99th percentile over at least "
    "1,000 steps after warm-up, in eager PyTorch and in ONNX Runtime where the model exports. "
    "Costs are medians over a model's seeds; quality is mean ± std over them."
)


def _timing(timing: Timing | None, runtime_measured: bool) -> str:
    if timing is None:
        return "not exported" if runtime_measured else MISSING
    return f"{number(timing.median)} / {number(timing.p99)}"


def _row(entry: Entry, front: dict[str, set[str]]) -> list[str]:
    quality = f"{mean_std(entry.result)} (n={entry.result.n})"
    cost = entry.cost
    if cost is None:
        return [entry.label, *[MISSING] * 5, quality, "not measured"]
    growth = f" +{count(cost.state_growth_bytes)}/step" if cost.state_growth_bytes else ""
    marks = [word for axis, word in (("step", "time"), ("memory", "memory"))
             if entry.label in front[axis]]  # fmt: skip
    return [
        entry.label,
        count(cost.parameters),
        number(cost.weight_bytes / KB),
        count(cost.state_bytes) + growth,
        _timing(cost.step_ms.get("eager"), "eager" in cost.step_ms),
        _timing(cost.step_ms.get("onnx"), "onnx" in cost.step_ms),
        quality,
        " and ".join(marks) or MISSING,
    ]


def _table(found: Board) -> Table:
    front = fronts(found)
    entries = found.measured + found.unmeasured
    header = ["model", "parameters", "weights (kB)", "state (bytes)",
              "step ms eager (median / p99)", "step ms ONNX (median / p99)",
              found.result.label(), "Pareto front"]  # fmt: skip
    return Table(
        header,
        [_row(entry, front) for entry in entries],
        caption=(
            f"{found.data}: simplest first (fewest parameters, then least state); 1 kB = 1,000 "
            "bytes; Pareto front: no other model is both better and cheaper on that axis"
        ),
        numeric=frozenset({1, 2, 3, 4, 5}),
        models=[entry.label for entry in entries],
    )


def section(runs: list[Run], lessons_dir: Path) -> Section | None:
    """The lesson from the deploy.json beside each run; None when no run has one."""
    if not any((Path(run.path) / DEPLOY).is_file() for run in runs):
        return None
    boards = {n: b for n, b in measured(runs).items() if b.measured or b.unreadable}
    if not boards:
        return None
    part = Section("deploy", "On a device: quality against step time and memory", [HOW])
    for name, found in boards.items():
        part.reading += dataset_reading(found)
        if not found.measured:
            part.reading.append(f"Unreadable deploy.json, left out: {'; '.join(found.unreadable)}.")
            continue
        part.tables.append(_table(found))
        part.figures.append(
            Figure(
                f"deploy-{name}",
                deploy_svg(found),
                f"{name}: quality (mean over seeds, bars ± one std) against time per streaming "
                "step and against memory per stream, both log scale; dashed and ringed: the "
                "Pareto front.",
                wide=True,
            )
        )
    return part
