"""The `seqbench` command: every seqbench command, from one table (COMMANDS).

    seqbench fetch                      # the datasets, checked against data.dvc
    seqbench train model=gru data=watch # = seqbench-train (Hydra's overrides and flags)
    seqbench together seed=0 seed=1 -- data=copy model=gru   # = seqbench-together
    seqbench report runs --out reports

``seqbench-train`` and ``seqbench-together`` stay as console scripts: the same commands.
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import NoReturn

from seqbench.cli.command import Command
from seqbench.errors import SeqbenchError
from seqbench.lessons import registry as lessons
from seqbench.safety import atomic, storage

RAW_DIR = Path(os.environ.get("SEQBENCH_RAW_DIR", "data/raw"))


def _fetch(args: argparse.Namespace) -> int:
    from seqbench.data import fetch, registry

    if args.list:
        print("\n".join(fetch.listing(args.config_dir)))
        return 0
    names = args.names or registry.default_names(args.config_dir)
    written = fetch.fetch(names, args.raw_dir, args.config_dir, pinning=args.pin)
    for name, prov in written.items():
        rows = ", ".join(f"{split} {n}" for split, n in prov["rows"].items())
        folder = fetch.destination(name, args.raw_dir, args.pin) / name
        print(f"{name}: {rows} rows -> {folder} (content {prov['content_hash']})")
    if args.pin:
        fetch.pin(args.raw_dir, args.root)
        print(f"pinned {args.raw_dir} in {args.root / fetch.PIN_FILE}; commit it")
        return 0
    if mismatches := fetch.compare_with_pins(written, args.root):
        for line in mismatches:
            print(f"error: {line}", file=sys.stderr)
        print(
            "error: the data differs from the snapshot pinned in data.dvc. Restore the pinned "
            "snapshot with `dvc pull`, or adopt the new data with `seqbench fetch --pin` and "
            "commit data.dvc",
            file=sys.stderr,
        )
        return 1
    if set(names) >= set(fetch.read_pins(args.root)) and fetch.read_pins(args.root):
        print(fetch.status_line(fetch.dvc_status(args.root)))
    return 0


def _describe(args: argparse.Namespace) -> int:
    from seqbench.data import snapshot

    summary = snapshot.describe(args.raw_dir, rehash=args.rehash)
    for name, facts in summary.items():
        rows = ", ".join(f"{split} {n}" for split, n in facts["rows"].items())
        print(f"{name:18} {facts['kind']:7} {facts['bytes'] / 1e6:6.1f} MB  {rows}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(args.out, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return 0


def _check_params(args: argparse.Namespace) -> int:
    """Refuse names in params.yaml that no config or dataset knows, before any training."""
    from seqbench.launch import params

    params.check(params.load(args.params))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # constant, so later stages rerun only on their own deps
    atomic.write_text(args.out, "params ok\n")
    return 0


def _memory_data(args: argparse.Namespace) -> int:
    from seqbench.data import fetch
    from seqbench.launch import params

    names = params.memory_datasets(params.load(args.params))
    args.raw_dir.mkdir(parents=True, exist_ok=True)  # the stage's output, even when empty
    if names:
        fetch.fetch(names, args.raw_dir)
    print(f"{len(names)} study datasets in {args.raw_dir}: {', '.join(names) or 'none'}")
    return 0


def _train(args: argparse.Namespace) -> int:
    """seqbench-train, its arguments as given (Hydra's overrides and flags, -m, --cfg...)."""
    from seqbench import train

    train.main(args.args)
    return 0


def _together(args: argparse.Namespace) -> int:
    from seqbench.launch import together

    return together.main(args.args)


def _report(args: argparse.Namespace) -> int:
    from seqbench.errors import ConfigError

    if args.wandb:
        from seqbench.report import publish

        if not args.group:
            raise ConfigError("--wandb needs --group G: the W&B group of the runs to compare")
        print(publish(args.wandb, args.group))
        return 0
    if args.runs_dir is None:
        raise ConfigError(
            "give RUNS_DIR (runs: the pipeline's; outputs: those trained by hand with "
            "seqbench-train) or --wandb ENTITY/PROJECT --group G"
        )
    from seqbench.report import write_report

    summary = write_report(args.runs_dir, args.out, args.raw_dir, args.lessons)
    failed = f", {len(summary['failed'])} failed" if summary["failed"] else ""
    print(f"{summary['runs']} runs ({summary['finished']} finished{failed}) -> {summary['html']}")
    return 0


def _tune(args: argparse.Namespace) -> int:
    """Choose one model's lr x weight decay on validation, then retrain it on every seed."""
    from rich.console import Console

    from seqbench.launch import tune

    words = list(args.args)
    cut = words.index("--") if "--" in words else len(words)
    args = _tune_parser().parse_args(words[:cut])

    def given(words: list[str] | None, flag: str, kind: type, default: tuple) -> list:
        return list(default) if words is None else _numbers(words, flag, kind)

    job = tune.plan(
        args.runs_dir,
        args.data,
        args.model,
        given(args.lr, "--lr", float, tune.LRS),
        given(args.weight_decay, "--weight-decay", float, tune.WEIGHT_DECAYS),
        given(args.seeds, "--seeds", int, tune.SEEDS),
        _numbers([args.tune_seed], "--tune-seed", int)[0],
        words[cut + 1 :],
    )
    return tune.tune(job, Console(stderr=True))


def _numbers(words: list[str], flag: str, kind: type) -> list:
    """Numbers from the command line, a bad one refused in one line (not argparse's usage)."""
    from seqbench.errors import ConfigError

    numbers = []
    for word in words:
        try:
            numbers.append(kind(word))
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise ConfigError(f"{flag} {word!r} is not {what}") from None
    return numbers


class _OneLineParser(argparse.ArgumentParser):
    """A parser whose mistakes are one `error:` line like every other refusal (not a usage
    block); a negative number in exponent form (-1e-3) reads as a flag to argparse."""

    def error(self, message: str) -> NoReturn:
        from seqbench.errors import ConfigError

        negative = re.search(r"unrecognized arguments:.*(^| )-\d", message)
        hint = " (write a negative number as -0.001)" if negative else ""
        raise ConfigError(f"{self.prog}: {message}{hint}; see {self.prog} --help")


def _tune_parser() -> argparse.ArgumentParser:
    """`seqbench tune`'s own flags; the overrides after `--` are handed on unread (argparse
    cannot take a list of positionals after flags and `--`)."""
    tune = _OneLineParser(
        prog="seqbench tune",
        usage="seqbench tune RUNS_DIR --data D --model M [--lr ...] [--weight-decay ...] "
        "[--seeds ...] [--tune-seed S] [-- OVERRIDE ...]",
        description="Train every lr x weight decay at the tune seed, choose on validation, "
        "retrain the choice on every seed.",
    )
    tune.add_argument("runs_dir", type=Path, help="e.g. runs/tune (the DVC stage's)")
    tune.add_argument("--data", required=True, help="one dataset, e.g. watch")
    tune.add_argument("--model", required=True, help="one model, e.g. gru")
    tune.add_argument("--lr", nargs="*", metavar="LR", help="default: 1e-4 5e-4 1e-3 (MAD)")
    tune.add_argument("--weight-decay", nargs="*", metavar="WD", help="default: 0 0.1 (MAD)")
    tune.add_argument("--seeds", nargs="*", metavar="SEED", help="retrained on (default: 0 1 2)")
    tune.add_argument(
        "--tune-seed", default="100", help="the seed the grid trains at (not a comparison seed)"
    )
    return tune


def _fetch_arguments(fetch: argparse.ArgumentParser) -> None:
    fetch.add_argument("names", nargs="*", help="datasets to fetch (default: the pinned set)")
    fetch.add_argument("--raw-dir", type=Path, default=RAW_DIR)
    fetch.add_argument("--root", type=Path, default=Path("."), help="project root with data.dvc")
    fetch.add_argument("--pin", action="store_true", help="record the result in data.dvc")
    fetch.add_argument("--list", action="store_true", help="list the known datasets")
    fetch.add_argument("--config-dir", type=Path, action="append", default=[], metavar="DIR",
                       help="a config folder of yours holding data/<name>.yaml")  # fmt: skip


def _report_arguments(report: argparse.ArgumentParser) -> None:
    report.add_argument(
        "runs_dir",
        type=Path,
        nargs="?",
        help="runs/ (DVC), outputs/ (by hand) or a multirun folder",
    )
    report.add_argument("--out", type=Path, default=Path("reports"))
    report.add_argument("--raw-dir", type=Path, default=RAW_DIR, help="for data provenance")
    report.add_argument(
        "--lessons", type=Path, help="text.json/streaming.json folder (default: OUT/lessons)"
    )
    report.add_argument("--wandb", metavar="ENTITY/PROJECT", help="build a W&B Report instead")
    report.add_argument("--group", help="the W&B group whose runs to compare")


def _describe_arguments(describe: argparse.ArgumentParser) -> None:
    describe.add_argument("raw_dir", type=Path, nargs="?", default=RAW_DIR)
    describe.add_argument("--out", type=Path, help="also write the summary as JSON")
    describe.add_argument(
        "--rehash", action="store_true", help="read every file through (no remembered md5s)"
    )


def _check_params_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument("params", type=Path, nargs="?", default=Path("params.yaml"))
    check.add_argument("--out", type=Path, default=Path("runs/.params-ok"))


def _memory_data_arguments(memory: argparse.ArgumentParser) -> None:
    memory.add_argument("params", type=Path, nargs="?", default=Path("params.yaml"))
    memory.add_argument("--raw-dir", type=Path, default=Path("data/memory"))


COMMANDS: list[Command] = [  # `seqbench <command>` in --help order; then the lessons' own
    Command("fetch", "build raw datasets under data/raw", _fetch, _fetch_arguments),
    Command(
        "train",
        "train one run (= seqbench-train, Hydra overrides and flags)",
        _train,
        passthrough=True,
    ),
    Command(
        "together", "several runs side by side (= seqbench-together)", _together, passthrough=True
    ),
    Command(
        "tune",
        "choose lr x weight decay per model, retrain on every seed",
        _tune,
        passthrough=True,
    ),
    Command("report", "comparison report (HTML, Markdown, W&B)", _report, _report_arguments),
    Command("describe", "summarise the verified snapshots", _describe, _describe_arguments),
    Command(
        "check-params",
        "validate params.yaml (compare, activations, memory, abilities, tune)",
        _check_params,
        _check_params_arguments,
    ),
    Command(
        "memory-data", "the long-memory study's datasets", _memory_data, _memory_data_arguments
    ),
]


def build_parser() -> argparse.ArgumentParser:
    """`seqbench`'s parser: one subcommand per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="seqbench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, add_help=not command.passthrough)
        if command.passthrough:  # listed and reachable; its arguments are its own
            sub.add_argument("args", nargs=argparse.REMAINDER, help="its own arguments")
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    lessons.add_commands(commands, RAW_DIR)  # each lesson's own: seqbench/lessons/*/command.py
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    passthrough = {c.name: c for c in COMMANDS if c.passthrough}
    if argv[:1] and argv[0] in passthrough:  # everything after it is its own, flags included
        args = argparse.Namespace(run=passthrough[argv[0]].run, args=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (SeqbenchError, OSError) as error:  # OSError: a full disk, a denied folder
        problem = storage.explain(error) if isinstance(error, OSError) else error
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        return getattr(problem, "code", 2)
    except KeyboardInterrupt:
        print("error: interrupted; earlier files are intact, run it again", file=sys.stderr)
        return 130
