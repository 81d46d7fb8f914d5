"""`seqbench choose`: the lecture's "start with the simplest model that matches your latency
and memory constraints", answered from a runs folder (the pipeline's runs/, a user's own, a
Hydra multirun sweep) and the deploy.json that `seqbench deploy` wrote beside each run.

It lists the models that meet the constraints, simplest first (fewest parameters, then
least state), and names the simplest whose quality the report's rule cannot separate from
the best of every model with results; while the results are too unsettled (one seed, curves
still falling) it says so instead of naming one. Exit status: 0 with an answer, 1 when
nothing fits, 2 for a refusal (one `error:` line). The answer itself: answer.py.
"""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from seqbench.errors import ConfigError
from seqbench.lessons.deploy.constraints import limits
from seqbench.lessons.deploy.record import DEPLOY

if TYPE_CHECKING:  # the parser is built on every `seqbench` start: no torch imported for it
    from seqbench.lessons.deploy.reading import Board


def load(runs_dir: Path, data: str | None) -> "Board":
    """The dataset's board from every run under ``runs_dir``; refused in one line when the
    folder, the dataset's results or its deploy measurements are missing."""
    from seqbench.lessons.deploy.reading import board
    from seqbench.report.collect import find_runs

    if not Path(runs_dir).is_dir():
        raise ConfigError(
            f"{runs_dir} is not a folder: give the folder holding your runs (runs, outputs, or "
            "a multirun sweep's folder)"
        )
    runs = find_runs(runs_dir)
    with_results = sorted({run.data for run in runs if run.ok})
    have = (
        f"datasets with results: {', '.join(with_results)}"
        if with_results
        else "no run there finished with a result"
    )
    if data is None:
        raise ConfigError(f"give --data DATASET; {have} in {runs_dir}")
    if data not in with_results:
        raise ConfigError(f"no results for dataset {data!r} in {runs_dir}; {have}")
    found = board(data, [run for run in runs if run.data == data])
    if not any(entry.cost for entry in found.entries):
        damaged = found.unreadable
        why = f" ({len(damaged)} unreadable: {damaged[0]})" if damaged else ""
        raise ConfigError(
            f"no run of {data} in {runs_dir} has a readable {DEPLOY}{why}: measure them first "
            f"with `seqbench deploy {runs_dir}`"
        )
    return found


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`seqbench choose`'s arguments; numbers are read as text and checked by :func:`limits`."""
    parser.add_argument(
        "runs_dir", type=Path, nargs="?", default=Path("runs"),
        help="the folder holding the runs (default runs; outputs, a multirun sweep's folder)",
    )  # fmt: skip
    parser.add_argument("--data", help="the dataset to choose for, e.g. watch")
    parser.add_argument("--max-step-ms", metavar="MS", help="budget per streaming step (median)")
    parser.add_argument(
        "--max-memory-kb", metavar="KB", help="budget for weights + one stream's state (1 kB = "
        "1,000 bytes)"
    )  # fmt: skip
    parser.add_argument(
        "--min-quality", metavar="Q", help="the worst acceptable main metric (at least Q when "
        "higher is better, at most Q when lower is)"
    )  # fmt: skip
    parser.add_argument("--runtime", default="eager", help="eager (PyTorch) or onnx step times")


def run(args: argparse.Namespace) -> int:
    from seqbench.lessons.deploy.answer import answer

    given = limits(args)
    lines, status = answer(load(args.runs_dir, args.data), given)
    print("\n".join(lines))
    return status
