"""The `seqbench` command: fetch data (train, report and friends come as subcommands)."""

import argparse
import json
import os
import sys
from pathlib import Path

from seqbench.errors import SeqbenchError
from seqbench.lessons import registry as lessons
from seqbench.safety import storage

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
        args.out.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return 0


def _check_params(args: argparse.Namespace) -> int:
    """Refuse names in params.yaml that no config or dataset knows, before any training."""
    from seqbench.launch import params

    params.check(params.load(args.params))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("params ok\n")  # constant, so later stages rerun only on their own deps
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
    from seqbench import train

    sys.argv = ["seqbench-train", *args.overrides]
    train.main()
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seqbench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", help="build raw datasets under data/raw")
    fetch.add_argument("names", nargs="*", help="datasets to fetch (default: the pinned set)")
    fetch.add_argument("--raw-dir", type=Path, default=RAW_DIR)
    fetch.add_argument("--root", type=Path, default=Path("."), help="project root with data.dvc")
    fetch.add_argument("--pin", action="store_true", help="record the result in data.dvc")
    fetch.add_argument("--list", action="store_true", help="list the known datasets")
    fetch.add_argument("--config-dir", type=Path, action="append", default=[], metavar="DIR",
                       help="a config folder of yours holding data/<name>.yaml")  # fmt: skip
    fetch.set_defaults(run=_fetch)
    train = commands.add_parser("train", help="seqbench-train with Hydra overrides")
    train.add_argument("overrides", nargs=argparse.REMAINDER, help="e.g. model=gru data=watch")
    train.set_defaults(run=_train)
    report = commands.add_parser("report", help="comparison report (HTML, Markdown, W&B)")
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
    report.set_defaults(run=_report)
    describe = commands.add_parser("describe", help="summarise the verified snapshots")
    describe.add_argument("raw_dir", type=Path, nargs="?", default=RAW_DIR)
    describe.add_argument("--out", type=Path, help="also write the summary as JSON")
    describe.add_argument(
        "--rehash", action="store_true", help="read every file through (no remembered md5s)"
    )
    describe.set_defaults(run=_describe)
    check = commands.add_parser(
        "check-params", help="validate params.yaml (compare, activations, memory)"
    )
    check.add_argument("params", type=Path, nargs="?", default=Path("params.yaml"))
    check.add_argument("--out", type=Path, default=Path("runs/.params-ok"))
    check.set_defaults(run=_check_params)
    lessons.add_commands(commands, RAW_DIR)  # each lesson's own: seqbench/lessons/*/command.py
    memory = commands.add_parser("memory-data", help="the long-memory study's datasets")
    memory.add_argument("params", type=Path, nargs="?", default=Path("params.yaml"))
    memory.add_argument("--raw-dir", type=Path, default=Path("data/memory"))
    memory.set_defaults(run=_memory_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:  # everything after it is Hydra's, flags (-m, --cfg) included
        args = argparse.Namespace(run=_train, overrides=argv[1:])
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
