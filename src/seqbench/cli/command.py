"""One entry of the `seqbench` command table (see seqbench.cli.main.COMMANDS)."""

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


@dataclass(frozen=True)
class Command:
    """A `seqbench <name>` command: its one-line help, its flags and what it runs (an exit
    status). A ``passthrough`` command reads its own arguments (``train``: Hydra's overrides
    and flags, as ``seqbench-train`` reads them; ``together``): `seqbench` hands it everything
    after its name unread, as ``args.args``."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    add_arguments: Callable[[argparse.ArgumentParser], None] = field(default=_no_arguments)
    passthrough: bool = False
