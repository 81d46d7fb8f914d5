"""The context lesson's command: ``seqbench context`` measures every trained text model of
every seed (loss by position, context perturbation) into one JSON file for the report,
written atomically. Heavy imports wait for the command."""

import argparse
from pathlib import Path

from seqbench.lessons.sources import write_json


def _context(args: argparse.Namespace) -> int:
    from seqbench.lessons.context.measure import context_lesson, summary

    result = context_lesson(args.runs_dir, args.data, args.raw_dir, args.windows, args.seed)
    write_json(args.out, result)
    for line in summary(result):
        print(line)
    print(f"-> {args.out}")
    return 0


def add_commands(commands: argparse._SubParsersAction, raw_dir: Path) -> None:
    """Add context to the `seqbench` parser; ``raw_dir``: its --raw-dir default."""
    from seqbench.lessons.context.aggregate import WINDOWS

    context = commands.add_parser("context", help="how far back each text model looks")
    context.add_argument("runs_dir", type=Path, help="holds <data>/<model>/<seed>/checkpoints")
    context.add_argument("--data", default="shakespeare", help="the text dataset they trained on")
    context.add_argument("--raw-dir", type=Path, default=raw_dir)
    context.add_argument("--windows", type=int, default=WINDOWS, help="seeded test windows")
    context.add_argument("--seed", type=int, default=0, help="picks the windows and shuffles")
    context.add_argument("--out", type=Path, default=Path("reports/lessons/context.json"))
    context.set_defaults(run=_context)
