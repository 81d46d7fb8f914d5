"""The text-classification lesson's command: ``seqbench text-baselines DATA`` fits the
majority-class and bag-of-characters baselines on the train split and writes their validation
and test scores for the report, atomically. Heavy imports wait for the command."""

import argparse
from pathlib import Path

from seqbench.lessons.sources import write_json


def _baselines(args: argparse.Namespace) -> int:
    from seqbench.lessons.text_classify.measure import baselines, baselines_file

    result = baselines(args.data, args.raw_dir)
    out = args.out or baselines_file(Path("reports/lessons"), args.data)
    write_json(out, result)
    for split in ("validation", "test"):
        for name, scores in result[split].items():
            print(
                f"{args.data} {split} {name}: acc {scores['acc']:.4f}, macro F1 {scores['f1']:.4f}"
            )
    print(f"-> {out}")
    return 0


def add_commands(commands: argparse._SubParsersAction, raw_dir: Path) -> None:
    """Add text-baselines to the `seqbench` parser; ``raw_dir``: its --raw-dir default."""
    command = commands.add_parser(
        "text-baselines", help="majority-class and bag-of-characters baselines of a text dataset"
    )
    command.add_argument("data", help="a text-classification dataset (tweet_sentiment, sst2)")
    command.add_argument("--raw-dir", type=Path, default=raw_dir)
    command.add_argument(
        "--out", type=Path, default=None, help="default reports/lessons/text_baselines/DATA.json"
    )
    command.set_defaults(run=_baselines)
