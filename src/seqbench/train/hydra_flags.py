"""Hydra's command-line flags, read the way Hydra reads them, so that no flag skips the checks
or the scrubbing.

``--cfg`` and ``--info`` print the composed config, and Hydra prints it as it is: a secret
given on the command line or in a config file would reach the console. seqbench prints
``--cfg`` itself through :func:`seqbench.safety.redaction.scrub_all`, and passes what Hydra
prints for ``--info`` and ``--help`` through the same scrubbing (see :func:`scrubbed_stdout`).
"""

import argparse
import contextlib
import io
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from omegaconf import DictConfig, ListConfig, OmegaConf

from seqbench.errors import ConfigError
from seqbench.safety.redaction import MASK, SECRET, scrub, scrub_all

COMMANDS = ("--run", "--multirun", "--cfg", "--info", "--shell-completion")
# a YAML line of a secret-looking key, as Hydra prints a config: "  api_key: abc"
SECRET_LINE = re.compile(rf"^(\s*-?\s*[\w.-]*{SECRET.pattern}[\w.-]*:[ \t]+)(\S.*)$", re.I | re.M)


def _refuse(message: str) -> None:
    """argparse's error, as one line instead of usage and exit."""
    raise ConfigError(f"{message}; see seqbench-train --hydra-help for Hydra's flags")


def parse(argv: list[str]) -> argparse.Namespace:
    """``argv`` read by Hydra's parser; flags that cannot go together refused in one line."""
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()
    parser.error = _refuse  # type: ignore[method-assign]
    args = parser.parse_args(argv)
    given = [args.run, args.multirun, args.cfg is not None, args.info is not None]
    if sum(given) + args.shell_completion > 1:
        raise ConfigError(f"give at most one of {', '.join(COMMANDS)}")
    if args.resolve and args.cfg is None and not args.help:
        raise ConfigError("--resolve goes with --cfg (or --help): it resolves what they print")
    if args.experimental_rerun is not None:
        raise ConfigError(
            "seqbench-train does not rerun a pickled job (--experimental-rerun): run the "
            "job's command again, its overrides are in its .hydra/overrides.yaml"
        )
    return args


def only_hydra(args: argparse.Namespace) -> bool:
    """Flags Hydra answers without a config to check: help, version, shell completion."""
    return args.help or args.hydra_help or args.shell_completion


def config_place(args: argparse.Namespace, default: Path) -> tuple[Path, str, list[str]]:
    """The primary config folder and name the flags choose (``--config-path``, relative to
    seqbench's package as Hydra reads it; ``--config-name``), and the overrides with
    ``--config-dir``'s folder first in ``hydra.searchpath`` (where the checks look for it)."""
    folder = default
    if args.config_path is not None:
        folder = (Path(__file__).parent / args.config_path).resolve()
        if not folder.is_dir():
            raise ConfigError(f"--config-path {args.config_path}: {folder} is not a folder")
    overrides = list(args.overrides)
    if args.config_dir is not None:
        extra = Path(args.config_dir).resolve()
        if not extra.is_dir():
            raise ConfigError(f"--config-dir {args.config_dir}: {extra} is not a folder")
        given = [o for o in overrides if o.startswith("hydra.searchpath=")]
        entries = given[-1].partition("=")[2].strip("[]") if given else ""
        overrides = [o for o in overrides if o not in given]
        overrides.append(f"hydra.searchpath=[file://{extra}{',' * bool(entries)}{entries}]")
    return folder, args.config_name or "train", overrides


def show(cfg: DictConfig, args: argparse.Namespace) -> None:
    """What ``--cfg job|hydra|all [--package P] [--resolve]`` prints, secrets as ``***``."""
    if args.resolve:
        try:
            OmegaConf.resolve(cfg)  # as Hydra resolves: a value still missing stays ???
        except Exception as error:
            raise ConfigError(f"--resolve: {' '.join(str(error).split())}") from None
    container = OmegaConf.to_container(cfg)
    if args.cfg == "job":
        container.pop("hydra", None)
    elif args.cfg == "hydra":
        container = {"hydra": container["hydra"]}
    clean = scrub_all(container)
    package = None if args.package in (None, "_global_") else args.package
    if package is not None:
        clean = OmegaConf.select(OmegaConf.create(clean), package, default=None)
        if clean is None:
            raise ConfigError(f"--package {package}: no such key in the config")
        if SECRET.search(package.rpartition(".")[2]):
            clean = MASK
        if not isinstance(clean, DictConfig | ListConfig):
            print(clean)
            return
        print(f"# @package {package}")
    sys.stdout.write(OmegaConf.to_yaml(clean))


def scrub_text(text: str) -> str:
    """Printed text with command-line secrets and secret-looking YAML values masked."""
    return SECRET_LINE.sub(lambda m: m.group(1) + MASK, scrub(text))


def hand_to_hydra(args: argparse.Namespace, hydra_main: Callable[[], object]) -> None:
    """Hydra runs what the flags ask (``--cfg`` was printed by the precheck), what it prints
    for ``--help`` and ``--info`` scrubbed; a search in which no trial finished ends in one
    line and exit status 1 (its trials failed: not a mistake in the command)."""
    from seqbench.train import sweep

    if args.cfg is not None:
        return
    printing = only_hydra(args) or args.info is not None
    with scrubbed_stdout() if printing else contextlib.nullcontext():
        hydra_main()
    if sweep.UNFINISHED:
        summary = Path(sweep.UNFINISHED[0]) / "sweep_summary.csv"
        print(
            scrub(
                f"error: no trial of the search finished; why each failed is in {summary} "
                "and in each trial's metrics.json"
            ),
            file=sys.stderr,
        )
        sys.exit(1)


@contextmanager
def scrubbed_stdout() -> Iterator[None]:
    """What Hydra prints meanwhile (``--help``, ``--info``), printed scrubbed at the end,
    also when Hydra ends the process with ``sys.exit``."""
    captured, original = io.StringIO(), sys.stdout
    sys.stdout = captured
    try:
        yield
    finally:
        sys.stdout = original
        original.write(scrub_text(captured.getvalue()))
        original.flush()
