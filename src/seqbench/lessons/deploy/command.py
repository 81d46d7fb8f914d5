"""The deploy lesson's commands: ``seqbench choose`` (the simplest model that fits a device's
budget, from a runs folder and its deploy.json files)."""

import argparse
from pathlib import Path


def _choose(args: argparse.Namespace) -> int:
    from seqbench.lessons.deploy.choose import run

    return run(args)


def add_commands(commands: argparse._SubParsersAction, raw_dir: Path) -> None:
    """Add choose to the `seqbench` parser (it reads runs folders: no data read)."""
    from seqbench.lessons.deploy.choose import add_arguments

    choose = commands.add_parser(
        "choose", help="the simplest model that fits a step-time and memory budget"
    )
    add_arguments(choose)
    choose.set_defaults(run=_choose)
